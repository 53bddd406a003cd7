"""The API's edge: bounds the size and nesting of JSON bodies, refuses text no database can store, and
gives 405s the error shape."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from csi.api.errors import json_error

# A JSON string, escapes included, matched in linear time (the "unrolled loop": no nested quantifier
# that could backtrack); brackets inside strings are not nesting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of `body` nest.

    Strings are blanked, every bracket becomes +1 or -1, and the deepest running sum is the nesting: no
    recursion and no parsing, so it is safe on any input however deep, and vectorised (numpy), so a
    2 MiB body takes milliseconds. Malformed JSON gets some number and is left for the parser to refuse."""
    brackets = np.frombuffer(_JSON_STRING.sub(b'""', body).translate(None, _NOT_BRACKETS), dtype=np.uint8)
    if not brackets.size:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return max(int(np.cumsum(steps).max()), 0)


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
    """Every key and string in `value` is storable; walked with a stack, not recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not _storable(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiEdgeMiddleware:
    """For /api/ requests: a body other than a multipart upload larger than CSI_API_MAX_BODY_BYTES is
    refused with 413 before it is read; a JSON body nested deeper than CSI_API_MAX_JSON_DEPTH with 400
    before it is parsed; text that cannot be stored (NUL, lone surrogates) in the query or the JSON body
    with 400 (instead of the database driver failing with a 500). Ninja's bare 405 gets the error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if request.path.startswith("/api/") and response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            response = json_error(405, f"{request.method} is not allowed here. Allowed: {allowed}.")
            response["Allow"] = allowed
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        for key, values in request.GET.lists():
            if not (_storable(key) and all(_storable(v) for v in values)):
                return json_error(
                    400, f"The query parameter {key[:50]!r} contains a NUL or invalid character."
                )
        content_type = request.content_type or ""
        # A multipart upload is streamed to disk by the endpoint, which bounds it (CSI_MAX_UPLOAD_BYTES);
        # reading its body here would load the whole file into memory.
        if content_type.startswith("multipart/"):
            return None
        limit = settings.CSI_API_MAX_BODY_BYTES
        if _size(request) > limit:
            return json_error(
                413,
                f"The request body is {_size(request):,} bytes; the API takes at most {limit:,} bytes "
                "(upload files as multipart/form-data to the import endpoints).",
            )
        if request.method not in {"POST", "PUT", "PATCH"} or not request.body:
            return None
        # Any content type: ninja parses a body as JSON whatever the client declared.
        max_depth = settings.CSI_API_MAX_JSON_DEPTH
        if json_depth(request.body) > max_depth:
            return json_error(
                400, f"The JSON body nests deeper than {max_depth} levels of arrays and objects; flatten it."
            )
        is_json_body = content_type in {"application/json", ""} or content_type.endswith("+json")
        if not is_json_body:
            return None
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            return None  # not JSON: the endpoint's own parsing answers that
        if not _all_storable(data):
            return json_error(400, "The request body contains a NUL or invalid character.")
        return None
