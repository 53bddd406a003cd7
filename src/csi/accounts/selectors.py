"""Reads of users, roles and tokens, each restricted by permission."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from csi.accounts.models import ApiToken, User
from csi.core.permissions import require


def user_list(*, actor: Any, search: str | None = None, role: str | None = None) -> QuerySet[User]:
    """Users ordered by username, optionally searched (username, name, email) and by role.
    Administrators only."""
    require(actor, "accounts.view_user")
    users = User.objects.prefetch_related("groups").order_by("username")
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    if role:
        users = users.filter(groups__name=role)
    return users


def user_get(*, actor: Any, user_id: int) -> User:
    """One user by id (User.DoesNotExist when absent). Administrators, or the user themself."""
    if getattr(actor, "pk", None) != user_id:
        require(actor, "accounts.view_user")
    return User.objects.prefetch_related("groups").get(pk=user_id)


def user_get_by_username(username: str) -> User:
    """For the CLI, which runs with the machine owner's authority: the user with that username."""
    return User.objects.get(username=username)


def users_without_role(*, actor: Any) -> QuerySet[User]:
    """Active users who hold no role yet and so can do nothing: the administrator's to-do."""
    require(actor, "accounts.view_user")
    return User.objects.filter(is_active=True, groups__isnull=True, is_superuser=False).order_by("username")


def token_list(*, actor: Any, user: User | None = None) -> QuerySet[ApiToken]:
    """Tokens of `user` (default: the actor), newest first. Another user's tokens need the
    manage-users permission."""
    require(actor, "accounts.use_tokens")
    owner = user or actor
    if owner.pk != actor.pk:
        require(actor, "accounts.manage_users")
    return ApiToken.objects.filter(user=owner)


def token_get(*, actor: Any, token_id: int) -> ApiToken:
    """One token the actor may revoke (their own, or any for administrators); DoesNotExist otherwise,
    so ids of other people's tokens are not disclosed."""
    require(actor, "accounts.use_tokens")
    token = ApiToken.objects.select_related("user").get(pk=token_id)
    if not actor.has_perm("accounts.revoke_token", token):
        raise ApiToken.DoesNotExist
    return token
