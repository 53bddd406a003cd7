"""Pages of plans (the list by kind, one plan with its objectives and initiatives, the plan form), the
portfolio over all plans, and the suggestions for strategic initiatives. Reads go through the
selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.catalog import selectors as catalog_selectors
from csi.core.errors import ConflictError
from csi.core.permissions import has_role, is_administrator
from csi.improvement.choices import Health, InitiativeState, PlanKind, SuggestionState
from csi.improvement.forms.plans import (
    PlanForm,
    PlanObjectiveForm,
    SuggestionAcceptForm,
    SuggestionDeclineForm,
    SuggestionFilterForm,
    SuggestionForm,
)
from csi.improvement.models import Initiative, Opportunity, Plan, Suggestion
from csi.improvement.permissions import STEERING, can_create_plan
from csi.improvement.selectors import initiatives as initiative_selectors
from csi.improvement.selectors import plans as selectors
from csi.improvement.selectors import register as register_selectors
from csi.improvement.selectors import suggestions as suggestion_selectors
from csi.improvement.selectors.initiatives import BOARD_STATES
from csi.improvement.selectors.plans import PlanFigures
from csi.improvement.services import plans as services
from csi.improvement.services import suggestions as suggestion_services
from csi.improvement.views.register import show_error

HEALTH_LABELS = dict(Health.choices)


def _plan(request: AuthenticatedRequest, key: str) -> Plan:
    try:
        return selectors.plan_get(actor=request.user, key=key)
    except Plan.DoesNotExist as exc:
        raise Http404 from exc


def _states(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(state, label, count) in the order work moves through the states, the states with any."""
    return [(s, InitiativeState(s).label, counts[s]) for s in BOARD_STATES if counts.get(s)]


def _figures(line: PlanFigures) -> dict[str, Any]:
    return {
        "line": line,
        "plan": line.plan,
        "states": _states(line.by_state),
        "health": [(h, HEALTH_LABELS[h], line.health[h]) for h in Health.values if line.health.get(h)],
    }


# --- Plans -----------------------------------------------------------------------------------------------


@login_required
def plan_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every plan, grouped by YaSM's six kinds, with owner, period, budget limit and initiative counts."""
    lines = selectors.portfolio(actor=request.user)
    groups = [
        {"kind": kind, "label": label, "rows": [_figures(line) for line in lines if line.plan.kind == kind]}
        for kind, label in PlanKind.choices
    ]
    return render(
        request,
        "improvement/plan_list.html",
        {"groups": groups, "can_create": any(can_create_plan(request.user, k) for k in PlanKind.values)},
    )


def _plan_form(request: AuthenticatedRequest, instance: Plan | None, **kwargs: Any) -> PlanForm:
    kinds = [(k, label) for k, label in PlanKind.choices if instance or can_create_plan(request.user, k)]
    return PlanForm(
        request.POST or None,
        instance=instance,
        kinds=kinds,
        services=catalog_selectors.service_list(actor=request.user),
        processes=catalog_selectors.process_list(actor=request.user),
        steering=has_role(request.user, STEERING),
        owner_id=request.user.pk,
        **kwargs,
    )


@login_required
def plan_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new plan of a kind the user may create."""
    if not any(can_create_plan(request.user, kind) for kind in PlanKind.values):
        raise PermissionDenied(
            "Plans are created by administrators, the service strategy manager and the owner role of each kind."
        )
    initial = {"owner": None if is_administrator(request.user) else request.user.pk, "currency": "EUR"}
    if request.GET.get("kind") in PlanKind.values:
        initial["kind"] = request.GET["kind"]
    form = _plan_form(request, None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, data=form.plan_data())
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"The plan “{plan.name}” was created.")
            return redirect("improvement:plan", key=plan.key)
    return render(
        request,
        "improvement/plan_form.html",
        {"form": form, "plan": None},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def plan_edit(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """Change a plan as seen at the version the page was opened with; a stale save keeps the input."""
    plan = _plan(request, key)
    if not (request.user.has_perm("improvement.change_plan", plan) or has_role(request.user, STEERING)):
        raise PermissionDenied(f"Only the owner and maintainer of “{plan.name}” change it.")
    # The form works on its own copy: validating it must not change the plan the permission is checked on.
    form = _plan_form(request, _plan(request, key))
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_update(
                actor=request.user, plan=plan, data=form.plan_data(), version=form.cleaned_data["version"]
            )
        except ValidationError as exc:
            show_error(form, exc)
        except ConflictError as exc:
            show_error(form, exc, version=_plan(request, key).version)
            status = 409
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, "Your changes were saved.")
            return redirect("improvement:plan", key=plan.key)
    return render(request, "improvement/plan_form.html", {"form": form, "plan": plan}, status=status)


def _plan_detail(
    request: AuthenticatedRequest,
    plan: Plan,
    bound: dict[str, forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    can_change = request.user.has_perm("improvement.change_plan", plan)
    org_objectives = catalog_selectors.objective_list(actor=request.user)
    objectives = []
    for objective in plan.objectives.all():
        name = f"objective-{objective.pk}"
        form = bound.get(name) or (
            PlanObjectiveForm(instance=objective, prefix=name, objectives=org_objectives)
            if can_change
            else None
        )
        objectives.append({"objective": objective, "form": form})
    initiatives = list(
        initiative_selectors.initiative_list(actor=request.user, plan_key=plan.key, order="number")
    )
    by_state = [
        {
            "state": s,
            "label": InitiativeState(s).label,
            "initiatives": [i for i in initiatives if i.state == s],
        }
        for s in BOARD_STATES
    ]
    line = next(
        (line for line in selectors.portfolio(actor=request.user, kind=plan.kind) if line.plan.pk == plan.pk),
        PlanFigures(plan=plan),
    )
    return render(
        request,
        "improvement/plan_detail.html",
        {
            "plan": plan,
            "can_change": can_change,
            "can_govern": can_change or has_role(request.user, STEERING),
            "can_add_initiative": request.user.has_perm("improvement.add_initiative", plan),
            "objectives": objectives,
            "objective_form": bound.get("objective")
            or (PlanObjectiveForm(prefix="objective", objectives=org_objectives) if can_change else None),
            "by_state": [group for group in by_state if group["initiatives"]],
            "figures": _figures(line),
        },
        status=status,
    )


@login_required
def plan(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """One plan: scope, period, vision, objectives, people, budget limit, coverage and initiatives."""
    return _plan_detail(request, _plan(request, key))


def _require_change(request: AuthenticatedRequest, plan: Plan) -> None:
    if not request.user.has_perm("improvement.change_plan", plan):
        raise PermissionDenied(f"Only the owner and maintainer of “{plan.name}” change its objectives.")


@login_required
@require_POST
def plan_objective_add(request: AuthenticatedRequest, key: str) -> HttpResponse:
    plan = _plan(request, key)
    _require_change(request, plan)
    form = PlanObjectiveForm(
        request.POST, prefix="objective", objectives=catalog_selectors.objective_list(actor=request.user)
    )
    if form.is_valid():
        try:
            services.plan_objective_add(actor=request.user, plan=plan, data=form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        else:
            messages.success(request, "The objective was added.")
            return redirect(reverse("improvement:plan", args=[plan.key]) + "#objectives")
    return _plan_detail(request, plan, {"objective": form}, status=422)


@login_required
@require_POST
def plan_objective_edit(request: AuthenticatedRequest, key: str, pk: int) -> HttpResponse:
    plan = _plan(request, key)
    _require_change(request, plan)
    objective = plan.objectives.filter(pk=pk).first()
    if objective is None:
        raise Http404
    name = f"objective-{pk}"
    form = PlanObjectiveForm(
        request.POST,
        instance=plan.objectives.get(pk=pk),
        prefix=name,
        objectives=catalog_selectors.objective_list(actor=request.user),
    )
    if form.is_valid():
        try:
            services.plan_objective_update(actor=request.user, objective=objective, data=form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            show_error(form, exc)
        else:
            messages.success(request, "The objective was saved.")
            return redirect(reverse("improvement:plan", args=[plan.key]) + "#objectives")
    return _plan_detail(request, plan, {name: form}, status=422)


@login_required
@require_POST
def plan_objective_delete(request: AuthenticatedRequest, key: str, pk: int) -> HttpResponse:
    plan = _plan(request, key)
    _require_change(request, plan)
    objective = plan.objectives.filter(pk=pk).first()
    if objective is None:
        raise Http404
    services.plan_objective_delete(actor=request.user, objective=objective)
    messages.success(request, f"The objective “{objective.title}” was deleted.")
    return redirect(reverse("improvement:plan", args=[plan.key]) + "#objectives")


# --- Portfolio ---------------------------------------------------------------------------------------------


@login_required
def portfolio(request: AuthenticatedRequest) -> HttpResponse:
    """Every plan's initiatives by state, budget requested, approved and spent, and health; totals."""
    lines = selectors.portfolio(actor=request.user)
    totals = selectors.portfolio_totals(lines)
    return render(
        request,
        "improvement/portfolio.html",
        {
            "rows": [_figures(line) for line in lines],
            "totals": totals,
            "total_states": _states(totals["by_state"]),
            "budgets": sorted(totals["budget"].items()),
        },
    )


# --- Suggestions -------------------------------------------------------------------------------------------


def _suggestion(request: AuthenticatedRequest, pk: int) -> Suggestion:
    try:
        return suggestion_selectors.suggestion_get(actor=request.user, pk=pk)
    except Suggestion.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def suggestion_list(request: AuthenticatedRequest) -> HttpResponse:
    form = SuggestionFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_bound and form.is_valid() else ""
    suggestions = suggestion_selectors.suggestion_list(actor=request.user, state=state or None)
    page = Paginator(suggestions, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "improvement/suggestion_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "state": state,
            "can_suggest": request.user.has_perm("improvement.suggest"),
        },
    )


def _origins(request: AuthenticatedRequest, form: SuggestionForm) -> dict[str, Any]:
    """The suggestion's data with the register entry and initiative found by their numbers; a number
    that names nothing is an error on its field."""
    data = {name: form.cleaned_data[name] for name in ("title", "description", "review_reference")}
    number = form.cleaned_data["opportunity"]
    if number:
        try:
            data["opportunity"] = register_selectors.opportunity_get(actor=request.user, number=number)
        except Opportunity.DoesNotExist:
            form.add_error("opportunity", f"There is no register entry {number}.")
    number = form.cleaned_data["initiative"]
    if number:
        try:
            data["initiative"] = initiative_selectors.initiative_get(actor=request.user, number=number)
        except Initiative.DoesNotExist:
            form.add_error("initiative", f"There is no initiative {number}.")
    return data


@login_required
def suggestion_create(request: AuthenticatedRequest) -> HttpResponse:
    """Suggest a strategic initiative from a register entry (?opportunity=CSI-...), an initiative
    (?initiative=INI-...) or a service review."""
    if not request.user.has_perm("improvement.suggest"):
        raise PermissionDenied("Viewers read suggestions; ask a contributor or an owner to make one.")
    initial = {name: request.GET.get(name, "")[:20] for name in ("opportunity", "initiative")}
    form = SuggestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = _origins(request, form)
        if not form.errors:
            try:
                suggestion = suggestion_services.suggestion_create(actor=request.user, data=data)
            except (ValidationError, ConflictError) as exc:
                show_error(form, exc)
            else:
                messages.success(request, "Your suggestion was sent to the service strategy manager.")
                return redirect("improvement:suggestion", pk=suggestion.pk)
    return render(
        request,
        "improvement/suggestion_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _suggestion_detail(
    request: AuthenticatedRequest,
    suggestion: Suggestion,
    bound: dict[str, forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    can_decide = (
        request.user.has_perm("improvement.decide_suggestion", suggestion)
        and suggestion.state == SuggestionState.OPEN
    )
    if not can_decide:  # decided meanwhile: no form to show the reason on
        for form in bound.values():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
    plans = selectors.strategic_plans(actor=request.user)
    return render(
        request,
        "improvement/suggestion_detail.html",
        {
            "suggestion": suggestion,
            "can_decide": can_decide,
            "has_strategic_plan": plans.exists(),
            "accept_form": bound.get("accept") or SuggestionAcceptForm(prefix="accept", plans=plans),
            "decline_form": bound.get("decline") or SuggestionDeclineForm(prefix="decline"),
        },
        status=status,
    )


@login_required
def suggestion(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _suggestion_detail(request, _suggestion(request, pk))


def _decision(request: AuthenticatedRequest, pk: int, verb: str) -> HttpResponse:
    current = _suggestion(request, pk)
    if not request.user.has_perm("improvement.decide_suggestion", current):
        raise PermissionDenied(f"Only the service strategy manager may {verb} a suggestion.")
    form: forms.Form
    if verb == "accept":
        form = SuggestionAcceptForm(
            request.POST, prefix="accept", plans=selectors.strategic_plans(actor=request.user)
        )
    else:
        form = SuggestionDeclineForm(request.POST, prefix="decline")
    status = 422
    if form.is_valid():
        try:
            if verb == "accept":
                current = suggestion_services.suggestion_accept(
                    actor=request.user,
                    suggestion=current,
                    plan=form.cleaned_data["plan"],
                    title=form.cleaned_data["title"],
                )
                created = current.created_initiative
                messages.success(
                    request, f"Accepted: {created.number if created else 'the initiative'} was created."
                )
            else:
                suggestion_services.suggestion_decline(
                    actor=request.user, suggestion=current, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "The suggestion was declined.")
        except ValidationError as exc:
            show_error(form, exc)
        except ConflictError as exc:
            show_error(form, exc)
            status = 409
        else:
            return redirect("improvement:suggestion", pk=pk)
    return _suggestion_detail(request, _suggestion(request, pk), {verb: form}, status=status)


@login_required
@require_POST
def suggestion_accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Accept: a draft initiative is created in the strategic plan chosen."""
    return _decision(request, pk, "accept")


@login_required
@require_POST
def suggestion_decline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, "decline")


urlpatterns: list[URLPattern] = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", plan_create, name="plan_create"),
    path("plans/<str:key>/", plan, name="plan"),
    path("plans/<str:key>/edit/", plan_edit, name="plan_edit"),
    path("plans/<str:key>/objectives/", plan_objective_add, name="plan_objective_add"),
    path("plans/<str:key>/objectives/<int:pk>/", plan_objective_edit, name="plan_objective_edit"),
    path("plans/<str:key>/objectives/<int:pk>/delete/", plan_objective_delete, name="plan_objective_delete"),
    path("portfolio/", portfolio, name="portfolio"),
    path("suggestions/", suggestion_list, name="suggestion_list"),
    path("suggestions/new/", suggestion_create, name="suggestion_create"),
    path("suggestions/<int:pk>/", suggestion, name="suggestion"),
    path("suggestions/<int:pk>/accept/", suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/decline/", suggestion_decline, name="suggestion_decline"),
]
