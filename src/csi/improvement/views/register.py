"""Pages of the CSI register: the ranked list, raising and editing an entry (with the likely duplicates
shown while typing), one entry with its evidence and the transitions the viewer may take, and the
priority weights. Reads go through the selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.catalog import selectors as catalog_selectors
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.core.models import AuditEvent
from csi.core.services import scope_of
from csi.improvement.choices import OPPORTUNITY_TRANSITIONS, OpportunityState, PlanKind
from csi.improvement.forms.register import (
    TRANSITION_FORMS,
    AcceptForm,
    EvidenceForm,
    OpportunityForm,
    RegisterFilterForm,
    WeightsForm,
)
from csi.improvement.models import Opportunity
from csi.improvement.selectors import initiatives as initiative_selectors
from csi.improvement.selectors import plans as plan_selectors
from csi.improvement.selectors import register as selectors
from csi.improvement.services import evidence as evidence_services
from csi.improvement.services import register as services
from csi.standards import selectors as standards_selectors

PAGE_SIZE = 25
EVIDENCE_ROWS = 100  # a page shows this many rows of one piece of evidence; the link has them all
DECIDED = (OpportunityState.ACCEPTED, OpportunityState.REJECTED, OpportunityState.DUPLICATE)


def _entry(request: AuthenticatedRequest, number: str) -> Opportunity:
    try:
        return selectors.opportunity_get(actor=request.user, number=number)
    except Opportunity.DoesNotExist as exc:
        raise Http404 from exc


def show_error(
    form: forms.BaseForm, exc: ValidationError | ConflictError, version: int | None = None
) -> None:
    """The service's refusal on the form. A stale edit (someone saved since the page was opened) is said
    above the form, and the form now carries the current version: the user's input stays, and saving it
    again, after a look at the current entry, overwrites on purpose."""
    if isinstance(exc, ConflictError) and exc.field in {"version", "state"}:
        form.add_error(None, exc.message)
        if exc.field == "version" and version is not None:
            data = form.data.copy() if isinstance(form.data, QueryDict) else QueryDict(mutable=True)
            data[form.add_prefix("version")] = str(version)
            form.data = data
            form.add_error(None, "Your input is kept below: check it, then save again to overwrite.")
        return
    add_service_errors(form, exc)


# --- The register --------------------------------------------------------------------------------------


@login_required
def register(request: AuthenticatedRequest) -> HttpResponse:
    """The register, highest priority first: filter by state, source, service and text, change the
    order, page through it."""
    services_list = catalog_selectors.service_list(actor=request.user)
    form = RegisterFilterForm(request.GET or None, services=[(s.key, s.name) for s in services_list])
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "state": data["state"] or None,
            "source": data["source"] or None,
            "service_key": data["service"] or None,
            "search": data["q"] or None,
            "order": data["order"] or "rank",
        }
    entries = selectors.opportunity_list(actor=request.user, **filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "improvement/register_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters and any(v for k, v in filters.items() if k != "order")),
            "can_raise": request.user.has_perm("improvement.raise_opportunity"),
            "can_weigh": request.user.has_perm("improvement.manage_weights"),
        },
    )


def _entry_form(request: AuthenticatedRequest, entry: Opportunity | None, **kwargs: Any) -> OpportunityForm:
    url = reverse("improvement:duplicates")
    if entry is not None:
        url += f"?exclude={entry.number}"
    return OpportunityForm(
        request.POST or None,
        instance=entry,
        services=catalog_selectors.service_list(actor=request.user),
        processes=catalog_selectors.process_list(actor=request.user),
        standards=standards_selectors.standard_list(actor=request.user),
        duplicates_url=url,
        **kwargs,
    )


def _duplicates_of(request: AuthenticatedRequest, form: OpportunityForm, entry: Opportunity | None) -> Any:
    if not form.is_bound:
        return []
    service = form.data.get("service", "")
    return selectors.likely_duplicates(
        actor=request.user,
        title=str(form.data.get("title", ""))[:200],
        description=str(form.data.get("description", ""))[:10_000],
        service_id=int(service) if str(service).isdigit() else None,
        exclude_id=entry.pk if entry is not None else None,
    )


@login_required
def opportunity_raise(request: AuthenticatedRequest) -> HttpResponse:
    """Raise an entry: any role but viewer."""
    if not request.user.has_perm("improvement.raise_opportunity"):
        raise PermissionDenied("Viewers read the register; ask a contributor or an owner to raise an entry.")
    form = _entry_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.opportunity_raise(actor=request.user, data=form.entry_data())
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        else:
            messages.success(request, f"{entry.number} was added to the register.")
            return redirect("improvement:opportunity", number=entry.number)
    return render(
        request,
        "improvement/register_form.html",
        {"form": form, "entry": None, "duplicates": _duplicates_of(request, form, None)},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def opportunity_edit(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Change an entry's fields, as seen at the version the page was opened with."""
    entry = _entry(request, number)
    if not request.user.has_perm("improvement.change_opportunity", entry):
        raise PermissionDenied(
            f"Only whoever raised {entry.number} (while it is new) and those who may assess it change it."
        )
    form = _entry_form(request, entry)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.opportunity_update(
                actor=request.user,
                opportunity=entry,
                data=form.entry_data(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            show_error(form, exc)
        except ConflictError as exc:
            show_error(form, exc, version=_entry(request, number).version)
            status = 409
        else:
            messages.success(request, f"{entry.number} was saved.")
            return redirect("improvement:opportunity", number=entry.number)
    return render(
        request,
        "improvement/register_form.html",
        {"form": form, "entry": entry, "duplicates": _duplicates_of(request, form, entry)},
        status=status,
    )


@login_required
@require_GET
def duplicates(request: AuthenticatedRequest) -> HttpResponse:
    """HTMX: the open entries the title and description being typed probably repeat."""
    exclude_id = None
    if request.GET.get("exclude"):
        exclude_id = _entry(request, request.GET["exclude"][:20]).pk
    service = request.GET.get("service", "")
    found = selectors.likely_duplicates(
        actor=request.user,
        title=request.GET.get("title", "")[:200],
        description=request.GET.get("description", "")[:10_000],
        service_id=int(service) if service.isdigit() else None,
        exclude_id=exclude_id,
    )
    return render(request, "improvement/register_duplicates.html", {"duplicates": found})


# --- One entry ------------------------------------------------------------------------------------------


def _accept_form(request: AuthenticatedRequest, entry: Opportunity, data: Any = None) -> AcceptForm:
    """The plans that cover the entry (the strategic plan covers everything, and an entry about neither
    a service nor a process fits any plan) in which the user may add an initiative, and their open
    initiatives the user may change."""
    plans = plan_selectors.plan_list(actor=request.user)
    if entry.service_id or entry.process_id:
        covers = Q(kind=PlanKind.STRATEGIC)
        if entry.service_id:
            covers |= Q(services=entry.service_id)
        if entry.process_id:
            covers |= Q(processes=entry.process_id)
        plans = plans.filter(covers).distinct()
    plan_ids = [p.pk for p in plans if request.user.has_perm("improvement.add_initiative", p)]
    initiatives = initiative_selectors.initiative_list(actor=request.user, state="open", order="number")
    initiatives = initiatives.filter(plan__in=plans)
    initiative_ids = [i.pk for i in initiatives if request.user.has_perm("improvement.change_initiative", i)]
    return AcceptForm(
        data,
        prefix="accept",
        plans=plans.filter(pk__in=plan_ids),
        initiatives=initiatives.filter(pk__in=initiative_ids),
        initial={"version": entry.version},
    )


def _transition_form(
    request: AuthenticatedRequest, entry: Opportunity, action: str, data: Any = None
) -> forms.Form:
    if action == "accept":
        return _accept_form(request, entry, data)
    return TRANSITION_FORMS[action](data, prefix=action, initial={"version": entry.version})


def _evidence_tables(entry: Opportunity) -> list[dict[str, Any]]:
    """Each piece of evidence as a table: its rows as they were frozen, columns from the rows' keys."""
    tables = []
    for evidence in entry.evidence.all():
        rows = evidence.result if isinstance(evidence.result, list) else [evidence.result]
        columns: list[str] = []
        for row in rows:
            if isinstance(row, dict):
                columns.extend(k for k in row if k not in columns)
        cells = [
            [row.get(c) for c in columns] if isinstance(row, dict) else [row] for row in rows[:EVIDENCE_ROWS]
        ]
        tables.append(
            {"evidence": evidence, "columns": columns or ["value"], "rows": cells, "total": len(rows)}
        )
    return tables


def _detail(
    request: AuthenticatedRequest,
    entry: Opportunity,
    bound: dict[str, forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    can_assess = user.has_perm("improvement.assess_opportunity", entry)
    can_change = user.has_perm("improvement.change_opportunity", entry) and entry.state not in DECIDED
    transitions: list[dict[str, Any]] = []
    shown = {"evidence"}
    if can_assess:
        for transition in OPPORTUNITY_TRANSITIONS.values():
            if entry.state in transition.sources:
                form = bound.get(transition.action) or _transition_form(request, entry, transition.action)
                transitions.append({"t": transition, "form": form, "open": transition.action in bound})
                shown.add(transition.action)
    for action, refused in bound.items():
        if action not in shown:  # the state no longer allows it: no form to show the reason on
            for errors in refused.errors.values():
                for error in errors:
                    messages.error(request, str(error))
    return render(
        request,
        "improvement/opportunity_detail.html",
        {
            "entry": entry,
            "transitions": transitions,
            "can_change": can_change,
            "can_suggest": user.has_perm("improvement.suggest"),
            "evidence_tables": _evidence_tables(entry),
            "evidence_form": bound.get("evidence") or EvidenceForm(prefix="evidence"),
            "history": AuditEvent.objects.filter(scope=scope_of(entry)).select_related("actor")[:30],
        },
        status=status,
    )


@login_required
def opportunity(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """One entry: every field, its score, state and decision, evidence, and what the viewer may do."""
    return _detail(request, _entry(request, number))


def _transition_arguments(request: AuthenticatedRequest, form: forms.Form, action: str) -> dict[str, Any]:
    data = form.cleaned_data
    arguments: dict[str, Any] = {"reason": data.get("reason") or "", "version": data.get("version")}
    if action == "mark-duplicate":
        try:
            arguments["duplicate_of"] = selectors.opportunity_get(
                actor=request.user, number=data["duplicate_of"]
            )
        except Opportunity.DoesNotExist:
            raise ValidationError({"duplicate_of": f"There is no entry {data['duplicate_of']}."}) from None
    elif action == "defer":
        arguments["deferred_until_date"] = data["deferred_until_date"]
    elif action == "accept":
        arguments.update(
            plan=data.get("plan"),
            initiative=data.get("initiative"),
            initiative_title=data["initiative_title"],
        )
    return arguments


@login_required
@require_POST
def opportunity_transition(request: AuthenticatedRequest, number: str, action: str) -> HttpResponse:
    """Take one transition; on a refusal the page comes back with the form, the input and the reason."""
    entry = _entry(request, number)
    transition = OPPORTUNITY_TRANSITIONS.get(action)
    if transition is None:
        raise Http404
    if not request.user.has_perm("improvement.assess_opportunity", entry):
        raise PermissionDenied(
            f"You may not {transition.label.lower()} {entry.number}: only the owner of its service or "
            "process, the owner or maintainer of a plan covering them, or the service strategy manager may."
        )
    form = _transition_form(request, entry, action, request.POST)
    status = 422
    if form.is_valid():
        try:
            entry = services.opportunity_transition(
                actor=request.user,
                opportunity=entry,
                action=action,
                **_transition_arguments(request, form, action),
            )
        except ValidationError as exc:
            show_error(form, exc)
        except ConflictError as exc:
            entry = _entry(request, number)
            show_error(form, exc, version=entry.version)
            status = 409
        else:
            messages.success(request, f"{entry.number} is now {entry.get_state_display().lower()}.")
            return redirect("improvement:opportunity", number=entry.number)
    return _detail(request, entry, {action: form}, status=status)


@login_required
@require_POST
def evidence_attach(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Run an analytics query now and freeze its rows on the entry."""
    entry = _entry(request, number)
    if not request.user.has_perm("improvement.change_opportunity", entry):
        raise PermissionDenied(f"Only those who may change {entry.number} attach evidence to it.")
    form = EvidenceForm(request.POST, prefix="evidence")
    if form.is_valid():
        try:
            evidence = evidence_services.evidence_attach(
                actor=request.user, opportunity=entry, kind=form.cleaned_data["kind"], params=form.params()
            )
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        else:
            messages.success(request, f"Evidence “{evidence.title}” was attached.")
            return redirect(reverse("improvement:opportunity", args=[entry.number]) + "#evidence")
    return _detail(request, entry, {"evidence": form}, status=422)


@login_required
@require_POST
def evidence_remove(request: AuthenticatedRequest, number: str, pk: int) -> HttpResponse:
    entry = _entry(request, number)
    evidence = entry.evidence.filter(pk=pk).first()
    if evidence is None:
        raise Http404
    try:
        evidence_services.evidence_remove(actor=request.user, evidence=evidence)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Evidence “{evidence.title}” was removed.")
    return redirect(reverse("improvement:opportunity", args=[entry.number]) + "#evidence")


# --- Priority weights -----------------------------------------------------------------------------------


@login_required
def weights(request: AuthenticatedRequest) -> HttpResponse:
    """The weights of the priority score (administrators); saving them rescores every entry."""
    if not request.user.has_perm("improvement.manage_weights"):
        raise PermissionDenied("Only administrators change the priority weights.")
    current = services.weights_get()
    form = WeightsForm(
        request.POST or None, initial={name: getattr(current, name) for name in services.WEIGHT_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.weights_update(actor=request.user, data=form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        else:
            messages.success(request, "The weights were saved and every entry was scored again.")
            return redirect("improvement:register")
    return render(
        request,
        "improvement/weights_form.html",
        {"form": form, "weights": current},
        status=422 if request.method == "POST" else 200,
    )


urlpatterns: list[URLPattern] = [
    path("register/", register, name="register"),
    path("register/raise/", opportunity_raise, name="opportunity_raise"),
    path("register/duplicates/", duplicates, name="duplicates"),
    path("register/weights/", weights, name="weights"),
    path("register/<str:number>/", opportunity, name="opportunity"),
    path("register/<str:number>/edit/", opportunity_edit, name="opportunity_edit"),
    path("register/<str:number>/evidence/", evidence_attach, name="evidence_attach"),
    path("register/<str:number>/evidence/<int:pk>/remove/", evidence_remove, name="evidence_remove"),
    path("register/<str:number>/<str:action>/", opportunity_transition, name="opportunity_transition"),
]
