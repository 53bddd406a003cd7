"""One JSON error shape for every API failure: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from csi.core.documents import DocumentErrors
from csi.core.errors import ConflictError
from csi.core.logs import note_refusal

logger = logging.getLogger("csi.api")

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorBody


# The error statuses every authenticated operation may answer, for its OpenAPI `responses`.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    # A body over CSI_API_MAX_BODY_BYTES is refused before it is read (api/middleware.py).
    413: ErrorOut,
    422: ErrorOut,
}


def error_payload(status: int, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": CODES.get(status, "error"), "message": message, "fields": fields or {}}}


def json_error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    """The error shape outside ninja (Django's 404/500 handlers for /api/ paths)."""
    return JsonResponse(error_payload(status, message, fields), status=status)


def _ninja_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", [])]
        # ninja's loc is (where, [the view's parameter name for bodies,] field path...): clients know a
        # field by its name or JSON path alone, the same key a service's error uses.
        path = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:]
        fields.setdefault(".".join(path) or "__all__", []).append(str(error.get("msg", "invalid")))
    return fields


def _django_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("__all__" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers with ones that answer in the error shape."""

    def respond(request: HttpRequest, status: int, message: str, fields: dict[str, list[str]] | None = None):
        return api.create_response(request, error_payload(status, message, fields), status=status)

    @api.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, "The request is not valid; see fields.", _ninja_fields(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, 422, "The request is not valid; see fields.", _django_fields(exc))

    @api.exception_handler(MultiPartParserError)
    def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return respond(request, 400, f"The multipart body cannot be read: {exc}")

    @api.exception_handler(DocumentErrors)
    def on_document_errors(request: HttpRequest, exc: DocumentErrors) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for problem in exc.problems:
            fields.setdefault(problem.where, []).append(problem.message)
        return respond(
            request, 422, f"Nothing was imported: {len(exc.problems)} problem(s); see fields.", fields
        )

    @api.exception_handler(ConflictError)
    def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        return respond(request, 409, exc.message, {exc.field: [exc.message]} if exc.field else None)

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = (
            exc.message
            if exc.message != "Unauthorized"
            else "Sign in, or send 'Authorization: Bearer <token>'."
        )
        response = respond(request, 401, message)
        response["WWW-Authenticate"] = 'Bearer realm="csi"'
        return response

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(request, 429, "Too many requests; slow down.")

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(PermissionDenied)
    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You do not have permission to do this."
        note_refusal(request, message)
        return respond(request, 403, message)

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, "Not found.")

    @api.exception_handler(ObjectDoesNotExist)
    def on_does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return respond(request, 404, "Not found.")

    @api.exception_handler(Exception)
    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error (request %s)", getattr(request, "request_id", "-"))
        return respond(
            request,
            500,
            f"Something went wrong on the server. Quote request id {getattr(request, 'request_id', '-')}.",
        )
