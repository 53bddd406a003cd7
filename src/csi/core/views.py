"""Pages of the shared kernel: the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from csi.core import selectors
from csi.core.forms import AuditFilterForm
from csi.core.http import HtmxHttpRequest
from csi.core.models import AuditEvent


@login_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """The audit trail with filters (actor, object type, date range). Administrators only."""
    if not request.user.has_perm("core.view_auditevent"):
        raise PermissionDenied
    actors = list(
        AuditEvent.objects.filter(actor__isnull=False)
        .order_by("actor_label")
        .values_list("actor_id", "actor_label")
        .distinct()
    )
    form = AuditFilterForm(
        request.GET or None, actors=actors, object_types=selectors.audit_object_types(actor=request.user)
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
