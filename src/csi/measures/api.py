"""API endpoints of data sources, mapping profiles, import runs and uploads."""

import io
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path as FilePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Path, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES, ErrorOut, json_error
from csi.api.pagination import MAX_ID, Pagination
from csi.catalog import selectors as catalog_selectors
from csi.catalog.models import Service
from csi.core.cli import dump_yaml
from csi.core.permissions import require
from csi.measures import selectors, services
from csi.measures.choices import ImportMode
from csi.measures.importer import ImportResult, import_file
from csi.measures.management.commands.measures import result_data, write_rejects_csv
from csi.measures.models import DataSource, MappingProfile
from csi.measures.schemas import (
    KEY,
    MAX_REJECTS,
    DataSourceIn,
    DataSourceOut,
    DataSourcePatch,
    ImportOutcomeOut,
    ImportRejectOut,
    ImportRunFilter,
    ImportRunOut,
    MappingProfileIn,
    MappingProfileOut,
    MappingProfileSummaryOut,
    MappingRuleIn,
    MappingRuleOut,
    MappingRulePatch,
)

router = Router(tags=["measures"])
KeyPath = Path(..., pattern=KEY, max_length=63)
IdPath = Path(..., ge=1, le=MAX_ID)
REJECTS_SHOWN = 100  # rejects in an upload's answer; the run's reject report has them all
# Room for the multipart framing and the form fields around the file, in the early size check.
MULTIPART_SLACK = 64 * 1024


# --- profiles -----------------------------------------------------------------------------------------


@router.get(
    "/profiles",
    response={200: list[MappingProfileSummaryOut], **ERROR_RESPONSES},
    summary="List mapping profiles",
)
@paginate(Pagination)
def profile_list(request: HttpRequest):
    """Built-in profiles first, then the organisation's own, by key."""
    return selectors.profile_list(actor=request.user)


@router.post(
    "/profiles",
    response={200: MappingProfileOut, 201: MappingProfileOut, **ERROR_RESPONSES},
    summary="Create or update a mapping profile",
)
def profile_save(request: HttpRequest, payload: MappingProfileIn):
    """The profile named by the document's metadata.name: created (201) or replaced (200). A document that
    is not a valid profile answers 422 with one field per problem and stores nothing; built-in profiles
    cannot be replaced (409). Data managers."""
    profile, created = services.profile_save(actor=request.user, text=payload.yaml, path="yaml")
    return Status(201 if created else 200, profile)


@router.get(
    "/profiles/{key}", response={200: MappingProfileOut, **ERROR_RESPONSES}, summary="Get a mapping profile"
)
def profile_get(request: HttpRequest, key: str = KeyPath):
    return selectors.profile_get(actor=request.user, key=key)


@router.get(
    "/profiles/{key}/yaml", response={200: None, **ERROR_RESPONSES}, summary="Download a profile as YAML"
)
def profile_yaml(request: HttpRequest, key: str = KeyPath):
    """The profile as a YAML file, ready to edit and post back under another name."""
    profile = selectors.profile_get(actor=request.user, key=key)
    response = HttpResponse(dump_yaml([profile.document]), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{profile.key}.yaml"'
    return response


@router.delete("/profiles/{key}", response={204: None, **ERROR_RESPONSES}, summary="Delete a mapping profile")
def profile_delete(request: HttpRequest, key: str = KeyPath):
    """Only a profile no source uses; built-in profiles stay (409). Data managers."""
    services.profile_delete(actor=request.user, profile=selectors.profile_get(actor=request.user, key=key))
    return Status(204, None)


# --- sources ------------------------------------------------------------------------------------------


def _profile(request: HttpRequest, key: str) -> MappingProfile:
    """The profile named in a request body: an unknown one is a bad field (422), not a missing page."""
    try:
        return selectors.profile_get(actor=request.user, key=key)
    except Http404 as exc:
        raise ValidationError({"profile": f"No mapping profile has the key '{key}'."}) from exc


@router.get("/sources", response={200: list[DataSourceOut], **ERROR_RESPONSES}, summary="List data sources")
@paginate(Pagination)
def source_list(request: HttpRequest):
    return selectors.source_list(actor=request.user)


@router.post("/sources", response={201: DataSourceOut, **ERROR_RESPONSES}, summary="Create a data source")
def source_create(request: HttpRequest, payload: DataSourceIn):
    """A feed of measured data read with a mapping profile; its kind is the profile's. Data managers."""
    require(request.user, "measures.manage_sources")
    source = services.source_create(
        actor=request.user,
        key=payload.key,
        name=payload.name,
        profile=_profile(request, payload.profile),
        time_zone=payload.time_zone,
        description=payload.description,
    )
    return Status(201, selectors.source_get(actor=request.user, key=source.key))


@router.get("/sources/{key}", response={200: DataSourceOut, **ERROR_RESPONSES}, summary="Get a data source")
def source_get(request: HttpRequest, key: str = KeyPath):
    return selectors.source_get(actor=request.user, key=key)


@router.patch(
    "/sources/{key}", response={200: DataSourceOut, **ERROR_RESPONSES}, summary="Change a data source"
)
def source_update(request: HttpRequest, payload: DataSourcePatch, key: str = KeyPath):
    """Name, description, time zone, or a profile of the same kind. Data managers."""
    source = selectors.source_get(actor=request.user, key=key)
    require(request.user, "measures.manage_sources", source)
    data = payload.dict(exclude_unset=True)
    if data.get("description", "") is None:
        data["description"] = ""
    for name in ("name", "profile", "time_zone"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be null."})
    if "profile" in data:
        data["profile"] = _profile(request, data["profile"])
    services.source_update(actor=request.user, source=source, data=data)
    return selectors.source_get(actor=request.user, key=key)


# --- service mapping rules ----------------------------------------------------------------------------


def _service(request: HttpRequest, key: str) -> Service:
    try:
        return catalog_selectors.service_get(actor=request.user, key=key)
    except Service.DoesNotExist as exc:
        raise ValidationError({"service": f"No service has the key '{key}'."}) from exc


@router.get(
    "/sources/{key}/rules",
    response={200: list[MappingRuleOut], **ERROR_RESPONSES},
    summary="A source's service mapping rules",
)
@paginate(Pagination)
def rule_list(request: HttpRequest, key: str = KeyPath):
    """The rules that assign the source's tickets to catalog services, in order."""
    source = selectors.source_get(actor=request.user, key=key)
    return selectors.rule_list(actor=request.user, source=source).select_related("source")


@router.post(
    "/sources/{key}/rules",
    response={201: MappingRuleOut, **ERROR_RESPONSES},
    summary="Add a service mapping rule",
)
def rule_create(request: HttpRequest, payload: MappingRuleIn, key: str = KeyPath):
    """Tickets whose `field` is one of `values`, or for which `expression` is true, belong to `service`.
    The rollups are refreshed afterwards. Data managers."""
    source = selectors.source_get(actor=request.user, key=key)
    require(request.user, "measures.manage_sources", source)
    data = payload.dict()
    data["service"] = _service(request, data["service"])
    data["field"] = data["field"] or ""
    rule = services.rule_create(actor=request.user, source=source, data=data)
    return Status(201, selectors.rule_get(actor=request.user, pk=rule.pk))


@router.patch(
    "/rules/{rule_id}",
    response={200: MappingRuleOut, **ERROR_RESPONSES},
    summary="Change a service mapping rule",
)
def rule_update(request: HttpRequest, payload: MappingRulePatch, rule_id: int = IdPath):
    """The fields sent. To turn a field rule into an expression rule send `"field": null` with the
    expression. Data managers."""
    rule = selectors.rule_get(actor=request.user, pk=rule_id)
    require(request.user, "measures.manage_sources", rule.source)
    data = payload.dict(exclude_unset=True)
    if data.get("service") is not None:
        data["service"] = _service(request, data["service"])
    elif "service" in data:
        raise ValidationError({"service": "A rule needs a service."})
    if "field" in data:
        data["field"] = data["field"] or ""
    for name in ("values", "expression", "position"):
        if name in data and data[name] is None:
            data[name] = [] if name == "values" else "" if name == "expression" else 0
    services.rule_update(actor=request.user, rule=rule, data=data)
    return selectors.rule_get(actor=request.user, pk=rule_id)


@router.delete(
    "/rules/{rule_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a service mapping rule"
)
def rule_delete(request: HttpRequest, rule_id: int = IdPath):
    services.rule_delete(actor=request.user, rule=selectors.rule_get(actor=request.user, pk=rule_id))
    return Status(204, None)


# --- import runs --------------------------------------------------------------------------------------


@router.get("/import-runs", response={200: list[ImportRunOut], **ERROR_RESPONSES}, summary="List import runs")
@paginate(Pagination)
def run_list(request: HttpRequest, filters: Query[ImportRunFilter]):
    """Newest first; filter by source key and status."""
    runs = selectors.batch_list(actor=request.user, source_key=filters.source)
    if filters.status:
        runs = runs.filter(status=filters.status)
    return runs


@router.get(
    "/import-runs/{run_id}", response={200: ImportRunOut, **ERROR_RESPONSES}, summary="Get an import run"
)
def run_get(request: HttpRequest, run_id: int = IdPath):
    return selectors.batch_get(actor=request.user, pk=run_id)


@router.get(
    "/import-runs/{run_id}/rejects",
    response={200: list[ImportRejectOut], **ERROR_RESPONSES},
    summary="An import run's rejected records",
)
@paginate(Pagination)
def run_rejects(request: HttpRequest, run_id: int = IdPath):
    """Every record the run left out (the first 10,000 are kept): line, column, value and why."""
    batch = selectors.batch_get(actor=request.user, pk=run_id)
    return selectors.reject_list(actor=request.user, batch=batch)


@router.get(
    "/import-runs/{run_id}/rejects.csv",
    response={200: None, **ERROR_RESPONSES},
    summary="Download an import run's reject report",
)
def run_rejects_csv(request: HttpRequest, run_id: int = IdPath):
    """The reject report as CSV (line, column, value, reason), values exactly as they were in the file."""
    batch = selectors.batch_get(actor=request.user, pk=run_id)
    out = io.StringIO()
    write_rejects_csv(out, selectors.reject_list(actor=request.user, batch=batch).iterator())
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-run-{batch.pk}-rejects.csv"'
    return response


@router.delete(
    "/import-runs/{run_id}",
    response={200: ImportRunOut, **ERROR_RESPONSES},
    summary="Delete a committed batch",
)
def run_delete(request: HttpRequest, run_id: int = IdPath):
    """Take the run's committed batch out of the measurement store: the source reads as if it had never
    been imported (events other batches also hold stay) and the rollups are refreshed. The run stays in the history, now `deleted`, and is
    returned. A run that is not committed answers 409. Data managers."""
    batch = selectors.batch_get(actor=request.user, pk=run_id)
    services.batch_delete(actor=request.user, batch=batch)
    return selectors.batch_get(actor=request.user, pk=run_id)


# --- uploads ------------------------------------------------------------------------------------------


def _too_large(limit: int) -> HttpResponse:
    return json_error(
        413, f"The file is larger than the {limit:,} bytes this server takes (CSI_MAX_UPLOAD_BYTES)."
    )


def _refuse_oversized_bodies(run: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse an upload whose declared length is over the limit before any of it is read: Django reads
    no more than Content-Length, so this bounds what reaches the disk."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        limit = settings.CSI_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK:
            return _too_large(limit)
        return run(request, *args, **kwargs)

    return wrapper


def _safe_name(name: str | None) -> str:
    """The uploaded file's own name (its last path part, printable, at most 200 characters): error
    messages and the run name the file as the user knows it."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable())[-200:].strip()
    return base if base not in {"", ".", ".."} else "upload"


def _save(upload: UploadedFile, folder: FilePath, name: str) -> FilePath:
    """The upload as a file in `folder`: a hard link to Django's own temporary file when it has one,
    else streamed there in chunks."""
    target = folder / name
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        try:
            os.link(temporary(), target)
            return target
        except OSError:
            pass
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def _outcome(request: HttpRequest, result: ImportResult) -> dict[str, Any]:
    data = result_data(result)
    data["rejects"] = data["rejects"][:REJECTS_SHOWN]
    data["preview_columns"] = result.preview_columns if result.status == "dry-run" else []
    data["preview"] = result.preview if result.status == "dry-run" else []
    data["run"] = (
        selectors.batch_get(actor=request.user, pk=result.batch_id)
        if result.status == "committed" and result.batch_id
        else None
    )
    return data


def _refusal(result: ImportResult) -> HttpResponse:
    """A rejected or failed run in the error shape: the message says what happened and which run holds
    the full report; fields hold the first rejects by place (line and column)."""
    fields: dict[str, list[str]] = {}
    for reject in result.rejects[:REJECTS_SHOWN]:
        where = ", ".join(
            part for part in (f"line {reject.line}" if reject.line is not None else "", reject.column) if part
        )
        fields.setdefault(where or "file", []).append(
            f"{reject.reason}: {reject.value!r}" if reject.value else reject.reason
        )
    if not fields:
        fields["file"] = [result.message or "The file cannot be read."]
    status = "Rejected" if result.status == "rejected" else "Failed"
    message = f"{status}: {result.message or 'nothing was imported.'}"
    if result.batch_id and result.rejects:
        message += (
            f" Run #{result.batch_id}; its reject report: /api/v1/import-runs/{result.batch_id}/rejects.csv"
        )
    elif result.batch_id:
        message += f" Recorded as run #{result.batch_id}."
    message += f" ({result.summary})"
    if result.rejected > REJECTS_SHOWN:
        message += f" The first {REJECTS_SHOWN} of {result.rejected} rejects are listed."
    return json_error(422, message, fields)


IMPORT_MODE = Form(
    ImportMode.MERGE,
    description="Ticket events: merge (default) adds the events the source does not hold yet; replace gives "
    "the file's tickets exactly the file's events (the answer counts those removed; a dry run counts first).",
)


@router.post(
    "/sources/{key}/imports",
    response={200: ImportOutcomeOut, 201: ImportOutcomeOut, 413: ErrorOut, **ERROR_RESPONSES},
    summary="Import a file into a data source",
)
@decorate_view(_refuse_oversized_bodies)
def source_import(
    request: HttpRequest,
    file: File[UploadedFile],
    key: str = KeyPath,
    dry_run: Form[bool] = False,
    max_rejects: int = Form(0, ge=0, le=MAX_REJECTS),
    mode: ImportMode = IMPORT_MODE,
):
    """Multipart: the file (CSV, XLSX, JSON, NDJSON or a zip holding one, as the source's profile says)
    in `file`, with `dry_run`, `max_rejects` (bad records tolerated, default 0) and `mode` (merge or
    replace; replace is for ticket sources only, 422 otherwise). All or nothing. The answer counts the
    events new to the source, those it already held, the tickets that gain events and, in replace
    mode, the events removed:

    - 201: committed, with the run;
    - 200: a dry run (nothing stored; the first records as they would be stored) or a duplicate of
      content already imported (nothing changed);
    - 422: rejected (more bad records than `max_rejects`) or failed (the file cannot be read): nothing
      stored; the error names the run and lists the first 100 rejects by line and column;
    - 413: the file is larger than CSI_MAX_UPLOAD_BYTES.

    Data managers."""
    source: DataSource = selectors.source_get(actor=request.user, key=key)
    require(request.user, "measures.import_data", source)
    limit = settings.CSI_MAX_UPLOAD_BYTES
    if file.size is not None and file.size > limit:
        return _too_large(limit)
    if not file.size:
        raise ValidationError({"file": "The file is empty."})
    name = _safe_name(file.name)
    folder = FilePath(tempfile.mkdtemp(prefix="csi-upload-", dir=settings.FILE_UPLOAD_TEMP_DIR))
    try:
        path = _save(file, folder, name)
        result = import_file(
            actor=request.user,
            source=source,
            path=path,
            file_name=name,
            dry_run=dry_run,
            max_rejects=max_rejects,
            mode=mode,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not result.ok:
        return _refusal(result)
    return Status(201 if result.status == "committed" else 200, _outcome(request, result))
