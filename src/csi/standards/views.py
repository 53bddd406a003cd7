"""Pages of standards and calendars, and the standards section of the service page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.catalog import selectors as catalog_selectors
from csi.catalog.models import Service
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.core.views import import_page
from csi.standards import selectors, services
from csi.standards.choices import Metric, StandardKind
from csi.standards.forms import CalendarForm, RevisionForm, StandardMetaForm, VersionForm
from csi.standards.imports import standards_import
from csi.standards.models import Calendar, ServiceStandard, StandardVersion


def service_section_context(request: AuthenticatedRequest, service: Service) -> dict[str, Any]:
    """For the catalog's service page: this service's standards with their current versions."""
    hours = selectors.service_hours(actor=request.user, service=service)
    return {
        "standards": list(selectors.standard_list(actor=request.user, service_key=service.key)),
        "hours": hours,
        "calendars": selectors.calendar_list(actor=request.user),
    }


@login_required
@require_POST
def service_hours(request: AuthenticatedRequest, service_key: str) -> HttpResponse:
    """Set the calendar of a service's hours from its page."""
    try:
        service = catalog_selectors.service_get(actor=request.user, key=service_key)
    except Service.DoesNotExist as exc:
        raise Http404 from exc
    key = request.POST.get("calendar", "")
    calendar = Calendar.objects.filter(key=key).first() if key else None
    if key and calendar is None:
        messages.error(request, f"No calendar has the key '{key[:63]}'.")
    else:
        services.service_hours_set(actor=request.user, service=service, calendar=calendar)
        messages.success(request, "Service hours saved.")
    return redirect(reverse("catalog:service_detail", kwargs={"key": service.key}) + "#standards")


@login_required
def standard_list(request: AuthenticatedRequest) -> HttpResponse:
    """Standards across all services, with search and filters by kind and metric."""
    search = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    metric = request.GET.get("metric", "")
    standards = selectors.standard_list(
        actor=request.user,
        search=search or None,
        kind=kind if kind in StandardKind.values else None,
        metric=metric if metric in Metric.values else None,
    )
    page = Paginator(standards, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "standards/standard_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "search": search,
            "kind": kind,
            "metric": metric,
            "kinds": StandardKind.choices,
            "metrics": Metric.choices,
            "can_import": request.user.has_perm("standards.import_standards"),
        },
    )


def _standard(request: AuthenticatedRequest, key: str) -> ServiceStandard:
    try:
        return selectors.standard_get(actor=request.user, key=key)
    except ServiceStandard.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def standard_detail(request: AuthenticatedRequest, key: str) -> HttpResponse:
    standard = _standard(request, key)
    versions = list(standard.versions.all())
    can_edit = request.user.has_perm("standards.change_standard", standard)
    now = timezone.now()
    for v in versions:
        v.is_future = v.effective_at > now  # type: ignore[attr-defined]
    return render(
        request,
        "standards/standard_detail.html",
        {
            "standard": standard,
            # The version in force now; a future one is marked in the list below.
            "current": next((v for v in versions if not v.is_future), None),  # type: ignore[attr-defined]
            "versions": versions,
            "can_edit": can_edit,
        },
    )


@login_required
@require_POST
def standard_version_withdraw(request: AuthenticatedRequest, key: str, number: int) -> HttpResponse:
    """Withdraw a version that is not yet in force; the page says what happened either way."""
    standard = _standard(request, key)
    try:
        services.standard_version_withdraw(actor=request.user, standard=standard, number=number)
    except ConflictError as exc:
        messages.error(request, exc.message)
    except StandardVersion.DoesNotExist as exc:
        raise Http404 from exc
    else:
        messages.success(request, f"Version {number} was withdrawn; it will not take effect.")
    return redirect("standards:standard_detail", key=standard.key)


@login_required
def standard_create(request: AuthenticatedRequest, service_key: str) -> HttpResponse:
    try:
        service = catalog_selectors.service_get(actor=request.user, key=service_key)
    except Service.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("catalog.change_service", service):
        raise PermissionDenied("Only the service's owner and catalog managers add its standards.")
    meta = StandardMetaForm(request.POST or None, service=service, prefix="meta")
    version = VersionForm(
        request.POST or None, prefix="v", initial={"target_percent": 95, "threshold_unit": "hours"}
    )
    if request.method == "POST" and meta.is_valid() and version.is_valid():
        try:
            standard = services.standard_create(
                actor=request.user, service=service, data=meta.cleaned_data, version=version.version_data()
            )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(meta, exc) if _is_meta_error(exc) else add_service_errors(version, exc)
        else:
            messages.success(request, f"Standard “{standard.name}” was added.")
            return redirect("standards:standard_detail", key=standard.key)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "standards/standard_form.html",
        {"service": service, "meta": meta, "version": version},
        status=status,
    )


def _is_meta_error(exc: ValidationError | ConflictError) -> bool:
    if isinstance(exc, ConflictError):
        return True
    return hasattr(exc, "error_dict") and bool(
        set(exc.message_dict) & {"key", "name", "kind", "package", "counterparty"}
    )


@login_required
def standard_revise(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """A new version from the current one: change what differs, say from when and why."""
    standard = _standard(request, key)
    if not request.user.has_perm("standards.change_standard", standard):
        raise PermissionDenied("Only the service's owner and catalog managers change its standards.")
    current = selectors.latest_version(standard)
    version = VersionForm(request.POST or None, instance=current, prefix="v")
    revision = RevisionForm(request.POST or None, prefix="r")
    if request.method == "POST" and version.is_valid() and revision.is_valid():
        try:
            created = services.standard_revise(
                actor=request.user,
                standard=standard,
                changes=version.version_data(),
                effective_at=revision.cleaned_data["effective_at"],
                note=revision.cleaned_data["note"],
            )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(revision if "effective_at" in str(exc) else version, exc)
        else:
            messages.success(request, f"Version {created.number} was saved.")
            return redirect("standards:standard_detail", key=standard.key)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "standards/standard_revise.html",
        {"standard": standard, "version": version, "revision": revision},
        status=status,
    )


@login_required
def calendar_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "standards/calendar_list.html",
        {
            "calendars": selectors.calendar_list(actor=request.user),
            "can_manage": request.user.has_perm("standards.manage_calendars"),
        },
    )


@login_required
def calendar_form(request: AuthenticatedRequest, key: str | None = None) -> HttpResponse:
    calendar = None
    if key is not None:
        try:
            calendar = selectors.calendar_get(actor=request.user, key=key)
        except Calendar.DoesNotExist as exc:
            raise Http404 from exc
    can_manage = request.user.has_perm("standards.manage_calendars")
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only catalog managers change calendars.")
    if calendar is None and not can_manage:
        raise PermissionDenied("Only catalog managers add calendars.")
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ["name", "time_zone", "always_open"]}
        periods, holidays = form.cleaned_data["periods_text"], form.cleaned_data["holidays_text"]
        try:
            if calendar is None:
                calendar = services.calendar_create(
                    actor=request.user,
                    data={**data, "key": form.cleaned_data["key"]},
                    periods=periods,
                    holidays=holidays,
                )
            else:
                calendar.refresh_from_db()
                services.calendar_update(
                    actor=request.user, calendar=calendar, data=data, periods=periods, holidays=holidays
                )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Calendar {calendar.name} was saved.")
            return redirect("standards:calendar_list")
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "standards/calendar_form.html",
        {"form": form, "calendar": calendar, "can_manage": can_manage},
        status=status,
    )


@login_required
def standards_import_page(request: AuthenticatedRequest) -> HttpResponse:
    return import_page(
        request,
        title="Import standards",
        permission="standards.import_standards",
        yaml_importer=standards_import,
        explanation="OpenSLO v1, v1alpha or v2alpha documents (Service, SLI, SLO, DataSource, AlertPolicy, "
        "AlertCondition, AlertNotificationTarget), Sloth (prometheus/v1, PrometheusServiceLevel) or Pyrra "
        "(ServiceLevelObjective) SLOs, or CSI Workbench standards YAML. Each objective of an SLO becomes an SLO "
        "standard of its service, with the SLO's window; a changed SLO becomes a new version.",
        back_url="/standards/",
    )
