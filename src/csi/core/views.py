"""Pages of the shared kernel: the audit log and the signed-in user's notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from csi.core import selectors, services
from csi.core.documents import DocumentErrors
from csi.core.forms import AuditFilterForm
from csi.core.http import HtmxHttpRequest
from csi.core.imports import import_uploads
from csi.core.models import Notification


@login_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """The audit trail with filters (actor, object type, date range). Administrators only."""
    if not request.user.has_perm("core.view_auditevent"):
        raise PermissionDenied
    form = AuditFilterForm(
        request.GET or None,
        actors=selectors.audit_actors(actor=request.user),
        object_types=selectors.audit_object_types(actor=request.user),
    )
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {
            "actor_id": form.cleaned_data["actor"],
            "object_type": form.cleaned_data["object_type"] or None,
            "since_date": form.cleaned_data["since_date"],
            "until_date": form.cleaned_data["until_date"],
        }
    events = selectors.audit_event_list(actor=request.user, **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "core/_audit_table.html" if request.htmx else "core/audit_log.html"
    return render(request, template, context)


def import_page(
    request: HtmxHttpRequest,
    *,
    title: str,
    permission: str,
    yaml_importer: Any,
    csv_importer: Any = None,
    accept: str = ".yaml,.yml",
    explanation: str = "",
    back_url: str = "/",
) -> HttpResponse:
    """Upload files, preview what would change (a dry run), then import. The files of a preview travel
    back in the confirmation form, so the import applies exactly what was previewed."""
    if not request.user.has_perm(permission):
        raise PermissionDenied("Only administrators and the service strategy manager import.")
    context: dict[str, Any] = {
        "title": title,
        "accept": accept,
        "explanation": explanation,
        "back_url": back_url,
    }
    if request.method == "POST":
        confirm = request.POST.get("confirm") == "1"
        if confirm:
            names, contents = request.POST.getlist("name"), request.POST.getlist("content")
            uploads = [(name, content.encode()) for name, content in zip(names, contents, strict=False)]
        else:
            uploads = [(f.name or "upload", f.read()) for f in request.FILES.getlist("files")]
        try:
            report = import_uploads(
                actor=request.user,
                uploads=uploads,
                dry_run=not confirm,
                yaml_importer=yaml_importer,
                csv_importer=csv_importer,
            )
        except DocumentErrors as exc:
            context["problems"] = exc.problems
            return render(request, "core/import.html", context, status=422)
        context["report"] = report
        if not confirm:
            context["files"] = [(name, raw.decode("utf-8-sig", errors="replace")) for name, raw in uploads]
    return render(request, "core/import.html", context)


@login_required
@require_GET
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, unread ones marked; `?unread=1` for those only."""
    unread_only = request.GET.get("unread") == "1"
    items = selectors.notifications_for(actor=request.user, unread_only=unread_only)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unread_only": unread_only,
        "query": "unread=1" if unread_only else "",
        "unread_total": selectors.unread_count(request.user),
    }
    return render(request, "core/notifications.html", context)


def _back_to_notifications(request: HtmxHttpRequest) -> HttpResponse:
    # Back to the list the form was on; only our own filter value travels, never a free-form URL.
    url = reverse("core:notifications")
    return redirect(f"{url}?unread=1" if request.POST.get("unread") == "1" else url)


@login_required
@require_POST
def notification_read(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications read. Someone else's is a 404."""
    try:
        notification = selectors.notification_get(actor=request.user, notification_id=notification_id)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    services.notification_mark_read(actor=request.user, notification=notification)
    return _back_to_notifications(request)


@login_required
@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    """Mark all of the user's notifications read."""
    count = services.notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return _back_to_notifications(request)
