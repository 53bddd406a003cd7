"""API endpoints for the signed-in user, users, roles and tokens."""

from datetime import timedelta
from typing import cast

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from csi.accounts import selectors, services
from csi.accounts.choices import ROLE_DESCRIPTIONS, Role
from csi.accounts.models import User
from csi.accounts.schemas import (
    MeOut,
    RoleOut,
    RolesIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserFilter,
    UserIn,
    UserOut,
    UserPatch,
)
from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import MAX_ID, Pagination

router = Router(tags=["accounts"])
ERRORS = ERROR_RESPONSES


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
def me(request: HttpRequest):
    """Who the request is authenticated as, with their roles."""
    return selectors.user_get(actor=request.user, user_id=cast(int, request.user.pk))


@router.get("/roles", response={200: list[RoleOut], **ERRORS}, summary="List roles")
def roles(request: HttpRequest):
    """The roles a user can hold, and what each may do."""
    return [{"key": r.value, "label": r.label, "description": ROLE_DESCRIPTIONS[r]} for r in Role]


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="List users")
@paginate(Pagination)
def user_list(request: HttpRequest, filters: Query[UserFilter]):
    """Users by username; `search` matches username, name and email. Administrators only."""
    return selectors.user_list(actor=request.user, search=filters.search, role=filters.role)


@router.post("/users", response={201: UserOut, **ERRORS}, summary="Create a user")
def user_create(request: HttpRequest, payload: UserIn):
    """Create a user with roles. Without a password the user cannot sign in until one is set."""
    user = services.user_create(
        actor=request.user,
        username=payload.username,
        password=payload.password,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        roles=[r.value for r in payload.roles],
    )
    return Status(201, user)


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Get a user")
def user_get(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID)):
    return selectors.user_get(actor=request.user, user_id=user_id)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Update a user")
def user_update(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID), *, payload: UserPatch):
    """Change details or (de)activate. Only the fields sent are changed."""
    user = selectors.user_get(actor=request.user, user_id=user_id)
    data = payload.dict(exclude_unset=True)
    if "email" in data and data["email"] is None:
        data["email"] = ""
    return services.user_update(actor=request.user, user=user, **data)


@router.put("/users/{user_id}/roles", response={200: UserOut, **ERRORS}, summary="Set a user's roles")
def user_set_roles(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID), *, payload: RolesIn):
    """Replace the user's roles with the list sent."""
    user = selectors.user_get(actor=request.user, user_id=user_id)
    return services.user_set_roles(actor=request.user, user=user, roles=[r.value for r in payload.roles])


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="List my API tokens")
@paginate(Pagination)
def token_list(request: HttpRequest):
    """The signed-in user's tokens, newest first. Secrets are never shown again."""
    return selectors.token_list(actor=request.user)


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn):
    """Create a token for the signed-in user. The secret is in this response only."""
    expires_at = timezone.now() + timedelta(days=payload.expires_days) if payload.expires_days else None
    user = cast(User, request.user)
    token, secret = services.token_create(actor=user, user=user, name=payload.name, expires_at=expires_at)
    token.token = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: int = Path(..., ge=1, le=MAX_ID)):
    """Revoke one of your tokens (administrators: anyone's). It stops working at once."""
    token = selectors.token_get(actor=request.user, token_id=token_id)
    return services.token_revoke(actor=request.user, token=token)
