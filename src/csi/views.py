"""Project-wide pages: the home page and the error pages (JSON for /api/, HTML elsewhere)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from csi.accounts.choices import ROLE_DESCRIPTIONS, Role
from csi.api.errors import json_error
from csi.core.home import action_items
from csi.core.logs import note_refusal


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What the signed-in user must act on, and what their roles let them do."""
    names = sorted(request.user.groups.values_list("name", flat=True))
    roles = [(Role(name).label, ROLE_DESCRIPTIONS[name]) for name in names if name in Role.values]
    items = action_items(request.user)
    # Items an app marks as decisions (approvals, funding) get their own heading above the to-do list.
    decisions = [item for item in items if item.group == "decision"]
    others = [item for item in items if item.group != "decision"]
    return render(request, "home.html", {"items": others, "decisions": decisions, "roles": roles})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(status, message)
    return render(
        request, "errors/error.html", {"status": status, "title": title, "message": message}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception) if exception and str(exception) else "You do not have permission to see this page."
    )
    return _error(request, 403, "Not allowed", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Not found", "There is nothing at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    request_id = getattr(request, "request_id", "-")
    return _error(
        request, 500, "Server error", f"Something went wrong on the server. Quote request id {request_id}."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    note_refusal(request, f"CSRF check failed: {reason}")
    return _error(
        request,
        403,
        "Form expired",
        "The form was stale or came from another site. Reload the page and try again.",
    )
