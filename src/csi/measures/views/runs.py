"""Uploading a file into a source (preview first, then import), and the import history."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from csi.accounts.http import AuthenticatedRequest
from csi.core.errors import ConflictError
from csi.measures import selectors, services
from csi.measures.choices import TICKET_KINDS, BatchStatus, ImportMode
from csi.measures.forms import RunFilterForm, UploadForm
from csi.measures.importer import ImportResult, import_file
from csi.measures.management.commands.measures import write_rejects_csv
from csi.measures.models import DataSource
from csi.measures.views import uploads

logger = logging.getLogger(__name__)
REJECTS_SHOWN = 100
REJECTS_PER_PAGE = 100


def _tickets(source: DataSource) -> bool:
    return source.kind in TICKET_KINDS


def result_context(result: ImportResult) -> dict[str, Any]:
    """What the report template shows of a run: counts, the first rejects, and the preview rows with
    the columns that hold something (a profile maps a few of the many canonical fields)."""
    filled = [
        i for i, _ in enumerate(result.preview_columns) if any(row[i] is not None for row in result.preview)
    ]
    return {
        "result": result,
        "preview_columns": [result.preview_columns[i] for i in filled],
        "preview_rows": [[row[i] for i in filled] for row in result.preview],
        "rejects_shown": result.rejects[:REJECTS_SHOWN],
        "rejects_more": max(result.rejected - REJECTS_SHOWN, 0),
    }


def unexpected_error(request: AuthenticatedRequest, what: str) -> str:
    request_id = getattr(request, "request_id", "-")
    return f"{what} (an unexpected error; quote request id {request_id} to your administrator)."


def _require_import(request: AuthenticatedRequest, source: DataSource) -> None:
    if not request.user.has_perm("measures.import_data", source):
        raise PermissionDenied("Only data managers import data.")


@login_required
def upload(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """Choose a file: the first POST reads it as a dry run and shows the preview, the second (naming the
    preview's token) imports it for real. The file waits in between in a private folder."""
    source = selectors.source_get(actor=request.user, key=key)
    _require_import(request, source)
    context: dict[str, Any] = {"source": source}
    if request.method == "POST" and request.POST.get("token"):
        return _confirm(request, source, request.POST["token"], context)
    form = UploadForm(request.POST or None, request.FILES or None, ticket_source=_tickets(source))
    context["form"] = form
    if request.method != "POST":
        return render(request, "measures/upload.html", context)
    if not form.is_valid():
        return render(request, "measures/upload.html", context, status=422)
    max_rejects = form.cleaned_data["max_rejects"] or 0
    mode = form.cleaned_data.get("mode") or ImportMode.MERGE
    token, path = uploads.save_upload(form.cleaned_data["file"])
    try:
        result = import_file(
            actor=request.user, source=source, path=path, dry_run=True, max_rejects=max_rejects, mode=mode
        )
    except Exception:  # what the reader did not foresee: logged, reported, the server carries on
        logger.exception("Preview of %s into %s failed", path.name, source.key)
        uploads.discard(token)
        context["upload_error"] = unexpected_error(request, "The file could not be read")
        return render(request, "measures/upload.html", context, status=422)
    context.update(result_context(result))
    if result.status == "dry-run":
        uploads.remember(
            request,
            token,
            {"source": source.key, "file_name": path.name, "max_rejects": max_rejects, "mode": mode},
        )
        context["token"] = token
        return render(request, "measures/upload.html", context)
    uploads.discard(token)
    return render(request, "measures/upload.html", context, status=422)


def _confirm(
    request: AuthenticatedRequest, source: DataSource, token: str, context: dict[str, Any]
) -> HttpResponse:
    recalled = uploads.recall(request, token)
    if recalled is None or recalled[0].get("source") != source.key:
        context["form"] = UploadForm(ticket_source=_tickets(source))
        context["upload_error"] = (
            "This preview is not open any more (already imported, expired, or not yours). "
            "Choose the file again."
        )
        return render(request, "measures/upload.html", context, status=400)
    data, path = recalled
    try:
        result = import_file(
            actor=request.user,
            source=source,
            path=path,
            file_name=path.name,
            max_rejects=int(data.get("max_rejects", 0)),
            mode=str(data.get("mode") or ImportMode.MERGE),
        )
    except Exception:  # the run is recorded as failed and nothing is stored
        logger.exception("Import of %s into %s failed", path.name, source.key)
        context["form"] = UploadForm(ticket_source=_tickets(source))
        context["upload_error"] = unexpected_error(request, "The import failed; nothing was stored")
        return render(request, "measures/upload.html", context, status=500)
    finally:
        uploads.forget(request, token)
    if result.batch_id is not None:
        if result.status == "committed":
            messages.success(
                request,
                f"Imported {result.events} records of {result.tickets} tickets as batch #{result.batch_id}.",
            )
        else:
            messages.error(request, result.message or f"The import {result.status}.")
        return redirect("measures:run_detail", pk=result.batch_id)
    context["form"] = UploadForm(ticket_source=_tickets(source))
    context.update(result_context(result))
    return render(request, "measures/upload.html", context, status=200 if result.ok else 422)


@login_required
def run_list(request: AuthenticatedRequest) -> HttpResponse:
    """Import runs of every source, newest first; filter by source and status."""
    sources = [(s.key, s.name) for s in selectors.source_list(actor=request.user)]
    form = RunFilterForm(request.GET or None, sources=sources)
    source_key, status = None, None
    if form.is_bound and form.is_valid():
        source_key = form.cleaned_data["source"] or None
        status = form.cleaned_data["status"] or None
    runs = selectors.batch_list(actor=request.user, source_key=source_key)
    if status:
        runs = runs.filter(status=status)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "measures/run_list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_get(actor=request.user, pk=pk)
    rejects = selectors.reject_list(actor=request.user, batch=batch)
    page = Paginator(rejects, REJECTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "measures/run_detail.html",
        {
            "batch": batch,
            "page": page,
            "query": "",
            "can_delete": batch.status == BatchStatus.COMMITTED
            and request.user.has_perm("measures.import_data", batch.source),
        },
    )


@login_required
def rejects_csv(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The run's reject report (line, column, value, reason) as a CSV download."""
    batch = selectors.batch_get(actor=request.user, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{batch.pk}-rejects.csv"'
    write_rejects_csv(response, selectors.reject_list(actor=request.user, batch=batch).iterator())
    return response


@login_required
@require_POST
def batch_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Take a committed batch out of the store; the run stays in the history as deleted."""
    batch = selectors.batch_get(actor=request.user, pk=pk)
    try:
        services.batch_delete(actor=request.user, batch=batch)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Batch #{batch.pk} was deleted; the source reads as if it had never been imported. "
            f"The figures of {batch.source.name} are being recomputed.",
        )
    if request.htmx:
        return HttpResponseClientRedirect(reverse("measures:run_detail", kwargs={"pk": batch.pk}))
    return redirect("measures:run_detail", pk=batch.pk)
