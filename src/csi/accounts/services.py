"""Every write to users, roles and API tokens. Each checks permission, runs in one transaction and
leaves an audit event."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csi.accounts.choices import Role
from csi.accounts.models import ApiToken, User
from csi.core.errors import ConflictError
from csi.core.permissions import refuse_self_grant, require
from csi.core.services import audit_record, snapshot

TOKEN_PREFIX = "csi_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for, not a secret
USER_AUDIT_FIELDS = ["username", "email", "first_name", "last_name", "is_active"]
TOKEN_AUDIT_FIELDS = ["user_id", "name", "prefix", "expires_at", "revoked_at"]
# last_used_at is written at most once a minute per token, so busy machine clients do not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def roles_ensure() -> None:
    """Create the role groups that are missing. The data migration does this too; tests that flush
    the database call it again."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def _clean_roles(roles: Iterable[str]) -> list[str]:
    valid = set(Role.values)
    cleaned = sorted(set(roles))
    unknown = [r for r in cleaned if r not in valid]
    if unknown:
        raise ValidationError(
            {"roles": f"Unknown role(s): {', '.join(unknown)}. Known roles: {', '.join(Role.values)}."}
        )
    return cleaned


def _user_state(user: User) -> dict[str, Any]:
    state = snapshot(user, USER_AUDIT_FIELDS)
    state["roles"] = sorted(user.groups.values_list("name", flat=True))
    return state


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
) -> User:
    """Create an active user with the given roles. Without a password the account cannot sign in
    until one is set. Raises ValidationError (field -> message) for a taken username, an invalid
    email or a weak password; nothing is stored then."""
    require(actor, "accounts.manage_users")
    role_names = _clean_roles(roles)
    if User.objects.filter(username=username).exists():
        raise ConflictError(f"The username '{username}' is already taken.", field="username")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.full_clean(exclude=["password"])
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=role_names))
    audit_record(actor=actor, verb="create", obj=user, before=None, after=_user_state(user))
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's details. An administrator cannot deactivate themself (they would lock
    themselves out mid-session)."""
    require(actor, "accounts.manage_users")
    before = _user_state(user)
    if email is not None:
        user.email = email
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    if is_active is not None:
        if not is_active and user.pk == getattr(actor, "pk", None):
            raise ConflictError("You cannot deactivate your own account.", field="is_active")
        user.is_active = is_active
    user.full_clean(exclude=["password"])
    user.save()
    after = _user_state(user)
    if after != before:
        audit_record(actor=actor, verb="update", obj=user, before=before, after=after)
    return user


@transaction.atomic
def user_set_roles(*, actor: Any, user: User, roles: Iterable[str]) -> User:
    """Replace the user's roles. An administrator cannot remove their own administrator role, so the
    last administrator can never lock everybody out."""
    require(actor, "accounts.manage_users")
    role_names = _clean_roles(roles)
    if (
        user.pk == getattr(actor, "pk", None)
        and Role.ADMINISTRATOR not in role_names
        and not user.is_superuser
    ):
        raise ConflictError("You cannot remove the administrator role from yourself.", field="roles")
    if user.pk == getattr(actor, "pk", None):
        held = set(user.groups.values_list("name", flat=True))
        gained = sorted(set(role_names) - held - {Role.ADMINISTRATOR})
        if gained:
            refuse_self_grant(actor, user, f"a holder of the role(s) {', '.join(gained)}")
    before = _user_state(user)
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=role_names))
    user._csi_roles = set(role_names)  # type: ignore[attr-defined]
    after = _user_state(user)
    if after != before:
        audit_record(actor=actor, verb="set_roles", obj=user, before=before, after=after)
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> User:
    """Set a new password: administrators for anyone, a user for themself. The password itself is
    never written to the audit trail."""
    if user.pk != getattr(actor, "pk", None):
        require(actor, "accounts.manage_users")
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, verb="set_password", obj=user)
    return user


def _digest(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast unsalted hash is safe and makes lookups O(1).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    actor: Any,
    user: User,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret, which is not stored and cannot be
    shown again. Users create their own tokens; administrators may create them for anyone."""
    require(actor, "accounts.use_tokens")
    if user.pk != getattr(actor, "pk", None):
        require(actor, "accounts.manage_users")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says what uses it."})
    if len(name) > 100:
        raise ValidationError({"name": "The name is longer than 100 characters."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=_digest(secret),
        expires_at=expires_at,
    )
    audit_record(actor=actor, verb="create", obj=token, after=snapshot(token, TOKEN_AUDIT_FIELDS))
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once; later calls with it get 401. Revoking twice changes nothing."""
    require(actor, "accounts.revoke_token", token)
    if token.revoked_at is not None:
        return token
    before = snapshot(token, TOKEN_AUDIT_FIELDS)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor, verb="revoke", obj=token, before=before, after=snapshot(token, TOKEN_AUDIT_FIELDS)
    )
    return token


def token_authenticate(secret: str) -> User | None:
    """The active user a token secret belongs to, or None when it is unknown, revoked or expired.
    Records when the token was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
