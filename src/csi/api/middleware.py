"""Rejects text no database can store before it reaches a view."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from csi.api.errors import json_error

# NUL is refused by PostgreSQL in text and lone UTF-16 surrogates cannot be encoded: neither is ever
# meaningful in this product's data, so the API answers 400 instead of failing in the driver.
_BAD_JSON_ESCAPE = re.compile(rb"\\u(0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


def _bad_text(value: str) -> bool:
    return "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


class RejectUnstorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            for key, values in request.GET.lists():
                if _bad_text(key) or any(_bad_text(v) for v in values):
                    return json_error(
                        400, f"The query parameter '{key[:50]}' contains a NUL or invalid character."
                    )
            if request.method in {"POST", "PUT", "PATCH"}:
                body = request.body
                if b"\x00" in body or _BAD_JSON_ESCAPE.search(body):
                    return json_error(400, "The request body contains a NUL or invalid character.")
        return self.get_response(request)
