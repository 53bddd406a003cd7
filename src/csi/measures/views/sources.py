"""The measures overview, data sources with their settings, and their service mapping rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.catalog import selectors as catalog_selectors
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.measures import selectors, services
from csi.measures.choices import BatchStatus
from csi.measures.forms import RuleForm, SourceCreateForm, SourceEditForm
from csi.measures.models import DataSource, ImportBatch

RECENT_RUNS = 10
RECOMPUTING = "The figures of {source} are being recomputed."


def with_stats(sources: QuerySet[DataSource]) -> QuerySet[DataSource]:
    """Sources with their committed batches and events, and their last run (when, status, id)."""
    committed = Q(batches__status=BatchStatus.COMMITTED)
    last = ImportBatch.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-pk")
    return sources.annotate(
        committed_batches=Count("batches", filter=committed),
        committed_events=Sum("batches__events", filter=committed),
        last_run_at=Subquery(last.values("started_at")[:1]),
        last_run_status=Subquery(last.values("status")[:1]),
        last_run_id=Subquery(last.values("pk")[:1]),
    )


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    """The data sources with what they hold and how their last import went."""
    sources = list(with_stats(selectors.source_list(actor=request.user)))
    statuses = dict(BatchStatus.choices)
    for source in sources:
        source.last_run_label = statuses.get(source.last_run_status or "", "")  # type: ignore[attr-defined]
    return render(
        request,
        "measures/overview.html",
        {
            "sources": sources,
            "can_manage": request.user.has_perm("measures.manage_sources"),
            "can_import": request.user.has_perm("measures.import_data"),
        },
    )


@login_required
def source_create(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.has_perm("measures.manage_sources"):
        raise PermissionDenied("Only data managers add data sources.")
    form = SourceCreateForm(request.POST or None, profiles=selectors.profile_list(actor=request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            source = services.source_create(
                actor=request.user,
                key=data["key"],
                name=data["name"],
                profile=data["profile"],
                time_zone=data["time_zone"],
                description=data["description"],
            )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Data source {source.name} was added. Import its first file.")
            return redirect("measures:upload", key=source.key)
    status = 422 if request.method == "POST" else 200
    return render(request, "measures/source_form.html", {"form": form}, status=status)


def _detail_context(
    request: AuthenticatedRequest,
    source: DataSource,
    *,
    edit_form: SourceEditForm | None = None,
    rule_form: RuleForm | None = None,
) -> dict[str, Any]:
    can_manage = request.user.has_perm("measures.manage_sources", source)
    runs = selectors.batch_list(actor=request.user, source_key=source.key)
    context: dict[str, Any] = {
        "source": source,
        "can_manage": can_manage,
        "can_import": request.user.has_perm("measures.import_data", source),
        "runs": list(runs[:RECENT_RUNS]),
        "run_count": runs.count(),
        "stats": with_stats(DataSource.objects.filter(pk=source.pk)).first(),
    }
    context.update(_rules_context(request, source, rule_form=rule_form, can_manage=can_manage))
    if can_manage:
        context["edit_form"] = edit_form or SourceEditForm(source=source)
    return context


def _rules_context(
    request: AuthenticatedRequest,
    source: DataSource,
    *,
    rule_form: RuleForm | None = None,
    can_manage: bool,
    notice: str = "",
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "source": source,
        "rules": list(selectors.rule_list(actor=request.user, source=source)),
        "can_manage": can_manage,
        "notice": notice,
    }
    if can_manage:
        context["rule_form"] = rule_form or RuleForm(services=_services(request), prefix="rule")
    return context


def _services(request: AuthenticatedRequest) -> QuerySet[Any]:
    return catalog_selectors.service_list(actor=request.user)


@login_required
def source_detail(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """A source: its settings, its import runs, and the rules that assign its tickets to services."""
    source = selectors.source_get(actor=request.user, key=key)
    return render(request, "measures/source_detail.html", _detail_context(request, source))


@login_required
@require_POST
def source_edit(request: AuthenticatedRequest, key: str) -> HttpResponse:
    source = selectors.source_get(actor=request.user, key=key)
    if not request.user.has_perm("measures.manage_sources", source):
        raise PermissionDenied("Only data managers change data sources.")
    form = SourceEditForm(request.POST, source=source)
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect("measures:source_detail", key=source.key)
        try:
            services.source_update(actor=request.user, source=source, data=changes)
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The settings of {source.name} were saved.")
            return redirect("measures:source_detail", key=source.key)
    source.refresh_from_db()
    context = _detail_context(request, source, edit_form=form)
    context["edit_open"] = True
    return render(request, "measures/source_detail.html", context, status=422)


def _rules_response(
    request: AuthenticatedRequest, source: DataSource, *, notice: str = "", rule_form: RuleForm | None = None
) -> HttpResponse:
    """After a rule change: the rules section alone for HTMX, else back to the source page."""
    if request.htmx:
        context = _rules_context(request, source, rule_form=rule_form, can_manage=True, notice=notice)
        return render(request, "measures/_rules.html", context)
    if rule_form is not None and rule_form.errors:
        context = _detail_context(request, source, rule_form=rule_form)
        context["rule_open"] = True
        return render(request, "measures/source_detail.html", context, status=422)
    messages.success(request, notice)
    return redirect(reverse("measures:source_detail", kwargs={"key": source.key}) + "#rules")


@login_required
@require_POST
def rule_add(request: AuthenticatedRequest, key: str) -> HttpResponse:
    source = selectors.source_get(actor=request.user, key=key)
    if not request.user.has_perm("measures.manage_sources", source):
        raise PermissionDenied("Only data managers change the rules of a source.")
    form = RuleForm(request.POST, services=_services(request), prefix="rule")
    if form.is_valid():
        try:
            rule = services.rule_create(
                actor=request.user,
                source=source,
                data={**form.rule_data(), "position": source.rules.count()},
            )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            notice = f"Rule added: {rule.service.name}. " + RECOMPUTING.format(source=source.name)
            return _rules_response(request, source, notice=notice)
    return _rules_response(request, source, rule_form=form)


@login_required
def rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=pk)
    source = rule.source
    if not request.user.has_perm("measures.manage_sources", source):
        raise PermissionDenied("Only data managers change the rules of a source.")
    form = RuleForm(
        request.POST or None, services=_services(request), initial=RuleForm.initial_of(rule), prefix="rule"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.user, rule=rule, data=form.rule_data())
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Rule saved. " + RECOMPUTING.format(source=source.name))
            return redirect(reverse("measures:source_detail", kwargs={"key": source.key}) + "#rules")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "measures/rule_form.html", {"rule": rule, "source": source, "form": form}, status=status
    )


@login_required
@require_POST
def rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=pk)
    source = rule.source
    what = str(rule.service.name)
    services.rule_delete(actor=request.user, rule=rule)
    notice = f"Rule for {what} deleted. " + RECOMPUTING.format(source=source.name)
    return _rules_response(request, source, notice=notice)
