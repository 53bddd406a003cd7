"""Helpers shared by the catalog's endpoints."""

from typing import Any

from django.core.exceptions import ValidationError

from csi.accounts import selectors as account_selectors
from csi.accounts.models import User
from csi.api.pagination import MAX_ID

__all__ = ["MAX_ID", "with_user_fields"]


def with_user_fields(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    """Replace usernames in `fields` by users; an unknown username is a 422 on that field."""
    result = dict(data)
    for name in fields:
        if name not in result:
            continue
        username = result[name]
        if username is None or username == "":
            result[name] = None
            continue
        try:
            result[name] = account_selectors.user_get_by_username(username)
        except User.DoesNotExist as exc:
            raise ValidationError({name: f"No user is called '{username}'."}) from exc
    return result
