"""API endpoints of calendars and service standards."""

from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.imports import ImportReportOut, report_out
from csi.api.pagination import Pagination
from csi.catalog import selectors as catalog_selectors
from csi.catalog.models import Service, ServiceLevelPackage
from csi.core.bounds import check_range
from csi.core.cli import dump_yaml
from csi.core.imports import import_uploads
from csi.standards import selectors, services
from csi.standards.business_time import business_seconds, calendar_spec
from csi.standards.imports import openslo_left_out, standards_export, standards_import
from csi.standards.models import Calendar
from csi.standards.schemas import (
    KEY,
    SERVICE_KEY,
    BusinessTimeOut,
    BusinessTimeQuery,
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    RevisionIn,
    ServiceHoursIn,
    ServiceHoursIO,
    StandardFilter,
    StandardIn,
    StandardOut,
    StandardPatch,
    VersionOut,
)

router = Router(tags=["standards"])
KeyPath = Path(..., pattern=KEY, max_length=63)
ServiceKeyPath = Path(..., pattern=SERVICE_KEY, max_length=63)


def _hours(payload: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if payload.get("periods") is not None:
        extra["periods"] = [
            (p["weekday"], time.fromisoformat(p["start"]), time.fromisoformat(p["end"]))
            for p in payload.pop("periods")
        ]
    else:
        payload.pop("periods", None)
    if payload.get("holidays") is not None:
        extra["holidays"] = [(h["date"], h["name"]) for h in payload.pop("holidays")]
    else:
        payload.pop("holidays", None)
    return extra


@router.post(
    "/standards/import", response={200: ImportReportOut, **ERROR_RESPONSES}, summary="Import standards files"
)
def standards_import_upload(
    request: HttpRequest, files: File[list[UploadedFile]], dry_run: Form[bool] = False
):
    """OpenSLO (v1, v1alpha, v2alpha), Sloth, Pyrra and CSI Workbench YAML. Validated first: any problem
    answers 422 with one field per location and nothing is stored. Each SLO objective becomes a standard;
    `notes` lists the services created and what else a reader must know. Catalog managers only."""
    uploads = [(f.name or "upload.yaml", f.read()) for f in files]
    return report_out(
        import_uploads(actor=request.user, uploads=uploads, dry_run=dry_run, yaml_importer=standards_import)
    )


@router.get("/standards/export", response={200: None, **ERROR_RESPONSES}, summary="Export standards")
def standards_export_download(
    request: HttpRequest, format: str = Query("native", pattern="^(native|openslo)$")
):
    """Calendars and standards with every version (`native`), or the OpenSLO documents as imported
    (`openslo`); what the OpenSLO export leaves out is said in a leading comment and the `X-CSI-Left-Out`
    header."""
    text = dump_yaml(standards_export(actor=request.user, fmt=format))
    left_out = openslo_left_out(actor=request.user) if format == "openslo" else None
    if left_out:
        text = f"# {left_out}\n{text}"
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    if left_out:
        response["X-CSI-Left-Out"] = left_out.replace("\n", " ")
    return response


@router.get("/calendars", response={200: list[CalendarOut], **ERROR_RESPONSES}, summary="List calendars")
@paginate(Pagination)
def calendar_list(request: HttpRequest):
    return selectors.calendar_list(actor=request.user)


@router.post("/calendars", response={201: CalendarOut, **ERROR_RESPONSES}, summary="Create a calendar")
def calendar_create(request: HttpRequest, payload: CalendarIn):
    """Service hours: weekly periods and holidays in a time zone. Catalog managers."""
    data = payload.dict()
    extra = _hours(data)
    calendar = services.calendar_create(actor=request.user, data=data, **extra)
    return Status(201, selectors.calendar_get(actor=request.user, key=calendar.key))


@router.get("/calendars/{key}", response={200: CalendarOut, **ERROR_RESPONSES}, summary="Get a calendar")
def calendar_get(request: HttpRequest, key: str = KeyPath):
    return selectors.calendar_get(actor=request.user, key=key)


@router.patch("/calendars/{key}", response={200: CalendarOut, **ERROR_RESPONSES}, summary="Change a calendar")
def calendar_update(request: HttpRequest, payload: CalendarPatch, key: str = KeyPath):
    """Periods and holidays, when sent, replace the existing ones."""
    calendar = selectors.calendar_get(actor=request.user, key=key)
    data = payload.dict(exclude_unset=True)
    extra = _hours(data)
    services.calendar_update(actor=request.user, calendar=calendar, data=data, **extra)
    return selectors.calendar_get(actor=request.user, key=key)


@router.delete("/calendars/{key}", response={204: None, **ERROR_RESPONSES}, summary="Delete a calendar")
def calendar_delete(request: HttpRequest, key: str = KeyPath):
    services.calendar_delete(actor=request.user, calendar=selectors.calendar_get(actor=request.user, key=key))
    return Status(204, None)


@router.get(
    "/calendars/{key}/business-time",
    response={200: BusinessTimeOut, **ERROR_RESPONSES},
    summary="Business seconds between two instants",
)
def calendar_business_time(request: HttpRequest, query: Query[BusinessTimeQuery], key: str = KeyPath):
    """Seconds of the calendar's service hours between `start` and `end` (ISO 8601 with offsets), both in
    the years CSI_EARLIEST_YEAR..CSI_LATEST_YEAR (1970..2100), `end` after `start` and at most
    CSI_BUSINESS_TIME_MAX_DAYS (3,660) days later."""
    calendar = selectors.calendar_get(actor=request.user, key=key)
    check_range(
        query.start,
        query.end,
        max_days=settings.CSI_BUSINESS_TIME_MAX_DAYS,
        start_field="start",
        end_field="end",
    )
    try:
        seconds = business_seconds(calendar_spec(calendar), query.start, query.end)
    except ValueError as exc:
        raise ValidationError({"start": str(exc)}) from exc
    return {"calendar": calendar.key, "business_seconds": seconds}


def _version_data(request: HttpRequest, data: dict[str, Any], service: Service | None) -> dict[str, Any]:
    if data.get("calendar"):
        try:
            data["calendar"] = selectors.calendar_get(actor=request.user, key=data["calendar"])
        except Calendar.DoesNotExist as exc:
            raise ValidationError({"calendar": f"No calendar has the key '{data['calendar']}'."}) from exc
    elif "calendar" in data:
        data["calendar"] = None
    if "calendar_period" in data and data["calendar_period"] is None:
        data["calendar_period"] = ""
    return data


def _package(service: Service, name: str | None) -> ServiceLevelPackage | None:
    if not name:
        return None
    package = service.packages.filter(name=name).first()
    if package is None:
        raise ValidationError({"package": f"{service.key} has no package named '{name}'."})
    return package


@router.get(
    "/services/{key}/hours", response={200: ServiceHoursIO, **ERROR_RESPONSES}, summary="A service's hours"
)
def service_hours_get(request: HttpRequest, key: str = ServiceKeyPath):
    """The calendar the service is provided in; null: around the clock."""
    hours = selectors.service_hours(
        actor=request.user, service=catalog_selectors.service_get(actor=request.user, key=key)
    )
    return {"calendar": hours.calendar.key if hours else None}


@router.put(
    "/services/{key}/hours",
    response={200: ServiceHoursIO, **ERROR_RESPONSES},
    summary="Set a service's hours",
)
def service_hours_set(request: HttpRequest, payload: ServiceHoursIn, key: str = ServiceKeyPath):
    """The calendar the service is provided in (null: around the clock). Its owner or a catalog manager."""
    service = catalog_selectors.service_get(actor=request.user, key=key)
    calendar = None
    if payload.calendar:
        try:
            calendar = selectors.calendar_get(actor=request.user, key=payload.calendar)
        except Calendar.DoesNotExist as exc:
            raise ValidationError({"calendar": f"No calendar has the key '{payload.calendar}'."}) from exc
    services.service_hours_set(actor=request.user, service=service, calendar=calendar)
    return {"calendar": calendar.key if calendar else None}


@router.get(
    "/standards", response={200: list[StandardOut], **ERROR_RESPONSES}, summary="List service standards"
)
@paginate(Pagination)
def standard_list(request: HttpRequest, filters: Query[StandardFilter]):
    """Standards across services with their current version; filter by service key, kind, metric, text."""
    return selectors.standard_list(
        actor=request.user,
        service_key=filters.service,
        kind=filters.kind,
        metric=filters.metric,
        search=filters.search,
    )


@router.post(
    "/standards", response={201: StandardOut, **ERROR_RESPONSES}, summary="Create a service standard"
)
def standard_create(request: HttpRequest, payload: StandardIn):
    """A standard with its first version, in force from `effective_at` (default now)."""
    data = payload.dict()
    try:
        service = catalog_selectors.service_get(actor=request.user, key=data.pop("service"))
    except Service.DoesNotExist as exc:
        raise ValidationError({"service": f"No service has the key '{payload.service}'."}) from exc
    meta = {
        "key": data.pop("key"),
        "name": data.pop("name"),
        "kind": data.pop("kind"),
        "package": _package(service, data.pop("package")),
        "counterparty": data.pop("counterparty"),
    }
    effective_at = data.pop("effective_at")
    version = _version_data(request, data, service)
    standard = services.standard_create(
        actor=request.user, service=service, data=meta, version=version, effective_at=effective_at
    )
    return Status(201, selectors.standard_get(actor=request.user, key=standard.key))


@router.get(
    "/standards/{key}", response={200: StandardOut, **ERROR_RESPONSES}, summary="Get a service standard"
)
def standard_get(request: HttpRequest, key: str = KeyPath):
    return selectors.standard_get(actor=request.user, key=key)


@router.patch(
    "/standards/{key}",
    response={200: StandardOut, **ERROR_RESPONSES},
    summary="Change a standard's name, kind, package",
)
def standard_update(request: HttpRequest, payload: StandardPatch, key: str = KeyPath):
    """What is not versioned. To change the target itself, post a new version."""
    standard = selectors.standard_get(actor=request.user, key=key)
    data = payload.dict(exclude_unset=True)
    if "package" in data:
        data["package"] = _package(standard.service, data["package"])
    services.standard_update(actor=request.user, standard=standard, data=data)
    return selectors.standard_get(actor=request.user, key=key)


@router.delete("/standards/{key}", response={204: None, **ERROR_RESPONSES}, summary="Delete a standard")
def standard_delete(request: HttpRequest, key: str = KeyPath):
    services.standard_delete(actor=request.user, standard=selectors.standard_get(actor=request.user, key=key))
    return Status(204, None)


@router.get(
    "/standards/{key}/versions",
    response={200: list[VersionOut], **ERROR_RESPONSES},
    summary="A standard's versions",
)
def version_list(request: HttpRequest, key: str = KeyPath):
    """Every version, newest first, each with the moment it took effect."""
    return list(selectors.standard_get(actor=request.user, key=key).versions.all())


@router.post(
    "/standards/{key}/versions", response={201: VersionOut, **ERROR_RESPONSES}, summary="Revise a standard"
)
def standard_revise(request: HttpRequest, payload: RevisionIn, key: str = KeyPath):
    """A new version: the current definition with the fields sent changed, in force from `effective_at`
    (default now, not before the current version). Earlier periods keep their version."""
    standard = selectors.standard_get(actor=request.user, key=key)
    data = payload.dict(exclude_unset=True)
    effective_at, note = data.pop("effective_at", None), data.pop("note", "")
    changes = _version_data(request, data, standard.service)
    version = services.standard_revise(
        actor=request.user, standard=standard, changes=changes, effective_at=effective_at, note=note
    )
    return Status(201, version)


@router.delete(
    "/standards/{key}/versions/{number}",
    response={204: None, **ERROR_RESPONSES},
    summary="Withdraw a version not yet in force",
)
def standard_version_withdraw(request: HttpRequest, key: str = KeyPath, number: int = Path(..., ge=1)):
    """Withdraw a future version (before its `effective_at`): the version in force stays as it is.
    A version already in force answers 409."""
    standard = selectors.standard_get(actor=request.user, key=key)
    services.standard_version_withdraw(actor=request.user, standard=standard, number=number)
    return Status(204, None)
