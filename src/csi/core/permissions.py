"""Shared permission predicates (django-rules) and the permissions of the core app."""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied

ADMINISTRATOR_ROLE = "administrator"


class SystemActor:
    """The machine's owner acting through the CLI, or the system running a scheduled job.

    It holds every permission: whoever can run `csi` on the server can already read its database.
    Audit events name it by `label` (for example "cli") with no user attached.
    """

    pk = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False

    def __init__(self, label: str) -> None:
        self.label = label

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True

    def get_username(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label


@rules.predicate
def is_administrator(user: Any) -> bool:
    """Superusers and members of the administrator role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser) or has_role(user, ADMINISTRATOR_ROLE)


def has_role(user: Any, role: str) -> bool:
    """True when the user holds the role. Roles are cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return False
    cached: set[str] | None = getattr(user, "_csi_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._csi_roles = cached
    return role in cached


def role_predicate(role: str) -> rules.Predicate:
    """A rules predicate that holds for active users with the given role."""

    def check(user: Any) -> bool:
        return bool(user is not None and user.is_authenticated and user.is_active and has_role(user, role))

    return rules.Predicate(check, name=f"has_role:{role}")


def require(user: Any, perm: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless the user has the permission (on the object, when given).

    Selectors and services call this first, so every interface (UI, API, CLI) is checked alike.
    """
    if not user.has_perm(perm, obj):
        raise PermissionDenied(f"You do not have permission to {perm.split('.', 1)[-1].replace('_', ' ')}.")


def refuse_self_grant(actor: Any, grantee: Any, what: str) -> None:
    """Administrators manage users and settings but make no business decisions, also not by giving
    themselves a business role or an ownership that they would then use: PermissionDenied when an
    administrator names themself as `what` (another administrator, or the steering committee for a
    plan, must). Everyone else, and the CLI's system actor, pass."""
    actor_pk = getattr(actor, "pk", None)
    grantee_pk = grantee if isinstance(grantee, int) else getattr(grantee, "pk", None)
    if actor_pk is None or grantee_pk != actor_pk or not is_administrator(actor):
        return
    raise PermissionDenied(
        f"Administrators make no business decisions: you cannot make yourself {what}. "
        "Another administrator (or, for a plan, the steering committee) must do it."
    )


rules.add_perm("core.view_auditevent", is_administrator)
