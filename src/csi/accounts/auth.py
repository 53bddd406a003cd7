"""API token authentication: `Authorization: Bearer <token>`, checked against the hashed tokens of accounts.

It lives here, not in the API kit (`csi.api`), because it needs the accounts' services: the kit depends on
`core` alone (DESIGN.md, convention 2). The API root (`csi.api_root`) puts it before the session.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from csi.accounts import services as account_services


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`. A token that is given but unknown, revoked or expired is a 401
    at once: the request does not fall back to the session."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = account_services.token_authenticate(token)
        if user is None:
            raise AuthenticationError(message="The API token is invalid, revoked or expired.")
        request.user = user
        return user

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is not None and not header.lower().startswith("bearer "):
            raise AuthenticationError(message="Use 'Authorization: Bearer <token>'.")
        return super().__call__(request)
