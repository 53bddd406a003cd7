"""API authentication: bearer tokens for machines, the session (with CSRF) for the browser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

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


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session. Unsafe methods must carry the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken.")
        return request.user
