"""Who may manage users, roles and tokens."""

from __future__ import annotations

from typing import Any

import rules

from csi.core.permissions import is_administrator


@rules.predicate
def is_token_owner(user: Any, token: Any) -> bool:
    return token is not None and user.is_authenticated and token.user_id == user.pk


@rules.predicate
def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


rules.add_perm("accounts.manage_users", is_administrator)
rules.add_perm("accounts.view_user", is_administrator)
rules.add_perm("accounts.use_tokens", is_signed_in)
rules.add_perm("accounts.revoke_token", is_signed_in & (is_token_owner | is_administrator))
