"""The API's edge: refuses text no database can store, and gives 405s the error shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from csi.api.errors import json_error


def _storable(text: str) -> bool:
    """PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate cannot be encoded at all."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(value: Any) -> bool:
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, dict):
        return all(_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_storable(v) for v in value)
    return True


class ApiEdgeMiddleware:
    """For /api/ requests: answers 400 when the query or JSON body holds text that cannot be stored
    (instead of the database driver failing with a 500), and turns ninja's bare 405 into the error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            for key, values in request.GET.lists():
                if not (_storable(key) and all(_storable(v) for v in values)):
                    return json_error(
                        400, f"The query parameter {key[:50]!r} contains a NUL or invalid character."
                    )
            # Only JSON bodies are checked here: reading a multipart upload's body would load the whole
            # file into memory and trip Django's in-memory limit before the endpoint streams it to disk.
            content_type = request.content_type or ""
            is_json_body = content_type in {"application/json", ""} or content_type.endswith("+json")
            if request.method in {"POST", "PUT", "PATCH"} and is_json_body and request.body:
                try:
                    data = json.loads(request.body)
                except ValueError:
                    pass  # not JSON: the endpoint's own parsing answers that
                else:
                    if not _all_storable(data):
                        return json_error(400, "The request body contains a NUL or invalid character.")
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if request.path.startswith("/api/") and response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            response = json_error(405, f"{request.method} is not allowed here. Allowed: {allowed}.")
            response["Allow"] = allowed
        return response
