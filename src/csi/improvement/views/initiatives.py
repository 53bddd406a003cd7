"""Pages of initiatives: the list, the board by state, one initiative answering the CSI model's
questions with its seven-step view, timeline and the buttons the viewer may press, the create and edit
forms, and the small forms of its parts (objectives, tasks, risks, RACI, baseline, status updates).

Reads go through `selectors.initiatives`, writes through `services.initiatives` and the one transition
function `services.workflow.initiative_transition`. A refused write shows the service's message on the
page with nothing changed: 403 for the wrong person, 409 for a stale version or a wrong state, 422 for
missing or wrong input."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.views.decorators.http import require_POST

from csi.accounts.http import AuthenticatedRequest
from csi.core.errors import ConflictError
from csi.core.forms import add_service_errors
from csi.improvement.choices import (
    APPROVED_STATES,
    FINAL_STATES,
    INITIATIVE_TRANSITIONS,
    InitiativeState,
    Outcome,
)
from csi.improvement.forms.initiatives import (
    BaselineForm,
    InitiativeFilterForm,
    InitiativeForm,
    ObjectiveForm,
    ResponsibilityForm,
    RiskForm,
    StatusForm,
    TaskForm,
)
from csi.improvement.models import (
    Initiative,
    InitiativeObjective,
    InitiativeRisk,
    Opportunity,
    Plan,
    Responsibility,
    Task,
)
from csi.improvement.selectors import initiatives as selectors
from csi.improvement.selectors import plans as plan_selectors
from csi.improvement.selectors import register as register_selectors
from csi.improvement.services import initiatives as services
from csi.improvement.services import workflow
from csi.improvement.smart import smart

CHANGE = "improvement.change_initiative"
NOT_EDITOR = (
    "Only the initiative's owner, whoever created it, or the plan's owner or maintainer may change it."
)
# kind in the URL -> (model, form, section anchor) of an initiative's parts
PARTS: dict[str, tuple[type[Any], Any, str]] = {
    "objectives": (InitiativeObjective, ObjectiveForm, "want"),
    "tasks": (Task, TaskForm, "how"),
    "risks": (InitiativeRisk, RiskForm, "how"),
    "responsibilities": (Responsibility, ResponsibilityForm, "how"),
}
EDITABLE_PARTS = {"objectives", "tasks"}


def _initiative(number: str) -> Initiative:
    """The initiative as stored, for a write (the services lock and re-check it)."""
    try:
        return Initiative.objects.select_related("plan").get(number=number)
    except Initiative.DoesNotExist as exc:
        raise Http404 from exc


def _require_change(request: AuthenticatedRequest, initiative: Initiative) -> None:
    if not request.user.has_perm(CHANGE, initiative):
        raise PermissionDenied(NOT_EDITOR)


def _version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seen_version(request: AuthenticatedRequest, instance: Any) -> int:
    """The version the page was showing. The pages always send it; a POST without one is refused like a
    stale one (ConflictError), so that a forged or replayed form never acts on whatever is stored now."""
    version = _version(request.POST.get("version"))
    if version is None:
        raise ConflictError(
            f"The form did not say which version of {instance} you saw. Reload the page and try again.",
            field="version",
        )
    return version


def _show_errors(form: BaseForm, exc: ValidationError | ConflictError) -> int:
    """A conflict (stale version, final state) is about the whole form (409); validation errors go on
    their fields (422). Returns the status to answer with."""
    if isinstance(exc, ConflictError):
        form.add_error(None, exc.message)
        return 409
    add_service_errors(form, exc)
    return 422


def _sent_back(request: AuthenticatedRequest, initiative: Initiative, before: str) -> None:
    """Say so when a change sent the approved initiative back for approval."""
    state = Initiative.objects.filter(pk=initiative.pk).values_list("state", flat=True).first()
    if before != state and state == InitiativeState.PROPOSED:
        messages.warning(
            request,
            f"{initiative.number} was approved; the change of its objectives, scope or budget sent it back "
            "for a new approval.",
        )


def _to_page(number: str, anchor: str = "") -> HttpResponse:
    return redirect(reverse("improvement:initiative", args=[number]) + (f"#{anchor}" if anchor else ""))


def _actions(
    request: AuthenticatedRequest, initiative: Initiative, action_input: dict[str, str]
) -> list[dict[str, Any]]:
    """The buttons the viewer may press, each with the input its transition asks for."""
    buttons = []
    for transition in selectors.available_actions(request.user, initiative):
        mine = action_input.get("action") == transition.action
        buttons.append(
            {
                "action": transition.action,
                "label": transition.label,
                "open": mine,
                "needs_reason": transition.needs_reason,
                "reason": action_input.get("reason", "") if mine else "",
                "amount": action_input.get("amount", "")
                if mine
                else (initiative.budget_requested if transition.action == "fund" else ""),
                "outcome": action_input.get("outcome", "") if mine else "",
            }
        )
    return buttons


def _page(
    request: AuthenticatedRequest,
    number: str,
    *,
    status: int = 200,
    forms: dict[str, BaseForm] | None = None,
    error: str = "",
    action_input: dict[str, str] | None = None,
) -> HttpResponse:
    try:
        initiative = selectors.initiative_get(actor=request.user, number=number)
    except Initiative.DoesNotExist as exc:
        raise Http404 from exc
    can_change = request.user.has_perm(CHANGE, initiative)
    is_open = initiative.state not in FINAL_STATES
    blank: dict[str, BaseForm] = {}
    if can_change and is_open:
        for kind, (_, form_class, _) in PARTS.items():
            blank[kind] = form_class(initiative=initiative, prefix=kind)
        blank["baseline"] = BaselineForm(prefix="baseline")
        blank["status"] = StatusForm(
            prefix="status",
            initial={"health": initiative.health, "percent_complete": initiative.percent_complete},
        )
    blank.update(forms or {})
    children = list(initiative.children.all())
    context = {
        "initiative": initiative,
        "plan": initiative.plan,
        "can_change": can_change,
        "is_open": is_open,
        "forms": blank,
        "objectives": [(o, smart(o)) for o in initiative.objectives.all()],
        "steps": selectors.seven_step(initiative),
        "children": children,
        "rollup": selectors.rollup(initiative) if children else None,
        "actions": _actions(request, initiative, action_input or {}),
        "outcomes": Outcome.choices,
        "action_error": error,
    }
    return render(request, "improvement/initiative.html", context, status=status)


@login_required
def initiative_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """One initiative: header, seven steps, the CSI model's questions, origins, timeline, actions."""
    return _page(request, number)


@login_required
@require_POST
def initiative_transition(request: AuthenticatedRequest, number: str, action: str) -> HttpResponse:
    """Press one of the initiative's buttons. A refusal shows why on the page and changes nothing."""
    initiative = _initiative(number)
    given = {
        "action": action,
        "reason": request.POST.get("reason", "")[:2_000],
        "amount": request.POST.get("amount", "")[:30],
        "outcome": request.POST.get("outcome", "")[:30],
    }
    try:
        done = workflow.initiative_transition(
            actor=request.user,
            initiative=initiative,
            action=action,
            reason=given["reason"],
            amount=given["amount"] if action == "fund" else None,
            outcome=given["outcome"] if action == "close" else "",
            version=_seen_version(request, initiative),
        )
    except PermissionDenied as exc:
        return _page(request, number, status=403, error=str(exc), action_input=given)
    except ConflictError as exc:
        return _page(request, number, status=409, error=exc.message, action_input=given)
    except ValidationError as exc:
        return _page(request, number, status=422, error=" ".join(exc.messages), action_input=given)
    label = INITIATIVE_TRANSITIONS[action].label
    messages.success(request, f"{label}: done. {done.number} is now {done.get_state_display().lower()}.")
    return _to_page(number)


@login_required
def initiative_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new draft initiative in the plan `?plan=KEY`, optionally from a register entry `&origin=CSI-..`."""
    key = request.GET.get("plan", "")
    if not key:
        plans = [
            p
            for p in plan_selectors.plan_list(actor=request.user)
            if request.user.has_perm("improvement.add_initiative", p)
        ]
        return render(request, "improvement/initiative_form.html", {"choose_plan": plans})
    try:
        plan = plan_selectors.plan_get(actor=request.user, key=key)
    except Plan.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("improvement.add_initiative", plan):
        raise PermissionDenied(
            f"Only the owner or maintainer of the plan '{plan.name}' add initiatives to it."
        )
    origin = None
    if request.GET.get("origin"):
        try:
            origin = register_selectors.opportunity_get(actor=request.user, number=request.GET["origin"])
        except Opportunity.DoesNotExist as exc:
            raise Http404 from exc
    initial = {"owner": request.user, "title": origin.title if origin else ""}
    form = InitiativeForm(request.POST or None, plan=plan, initial=initial)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            created = services.initiative_create(
                actor=request.user, plan=plan, data=form.service_data(), origins=[origin] if origin else ()
            )
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        else:
            messages.success(request, f"{created.number} was created as a draft. Add its objectives next.")
            return _to_page(created.number, "want")
    return render(
        request,
        "improvement/initiative_form.html",
        {"form": form, "plan": plan, "origin": origin},
        status=status,
    )


@login_required
def initiative_edit(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Change the initiative's sections. The hidden version makes a save over someone else's fail."""
    initiative = _initiative(number)
    _require_change(request, initiative)
    before = initiative.state
    form = InitiativeForm(request.POST or None, instance=_initiative(number), plan=initiative.plan)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_update(
                actor=request.user,
                initiative=initiative,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
            )
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        else:
            messages.success(request, "Your changes were saved.")
            _sent_back(request, initiative, before)
            return _to_page(number)
    context = {
        "form": form,
        "initiative": initiative,
        "plan": initiative.plan,
        "approved": initiative.state in APPROVED_STATES,
    }
    return render(request, "improvement/initiative_form.html", context, status=status)


@login_required
@require_POST
def initiative_status(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """A status update: health, % complete and a note."""
    initiative = _initiative(number)
    _require_change(request, initiative)
    form = StatusForm(request.POST, prefix="status")
    status = 422
    if form.is_valid():
        try:
            services.status_update_add(actor=request.user, initiative=initiative, **form.cleaned_data)
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        else:
            messages.success(request, "The status update was added to the timeline.")
            return _to_page(number, "timeline")
    return _page(request, number, status=status, forms={"status": form})


@login_required
@require_POST
def initiative_baseline(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Where are we now: freeze the objectives' KPI from the measurement store."""
    initiative = _initiative(number)
    _require_change(request, initiative)
    form = BaselineForm(request.POST, prefix="baseline")
    status = 422
    if form.is_valid():
        try:
            values = services.baseline_take(
                actor=request.user,
                initiative=initiative,
                at=form.cleaned_data["at"],
                window_days=form.cleaned_data["window_days"],
            )
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        except Http404 as exc:  # a data source named by an objective is gone
            form.add_error(None, str(exc) or "A data source an objective reads from does not exist.")
        else:
            messages.success(request, f"Baseline taken: {len(values)} KPI value(s) frozen.")
            return _to_page(number, "now")
    return _page(request, number, status=status, forms={"baseline": form})


def _part(initiative: Initiative, kind: str, pk: int) -> Any:
    if kind not in PARTS:
        raise Http404
    return get_object_or_404(PARTS[kind][0], pk=pk, initiative=initiative)


@login_required
@require_POST
def part_add(request: AuthenticatedRequest, number: str, kind: str) -> HttpResponse:
    """Add an objective, task, risk or RACI line from the initiative's page."""
    if kind not in PARTS:
        raise Http404
    initiative = _initiative(number)
    _require_change(request, initiative)
    before = initiative.state
    _, form_class, anchor = PARTS[kind]
    form: Any = form_class(request.POST, initiative=initiative, prefix=kind)
    status = 422
    if form.is_valid():
        actor, data = request.user, form.service_data()
        try:
            if kind == "objectives":
                services.objective_add(
                    actor=actor, initiative=initiative, data=data, version=form.cleaned_data.get("version")
                )
            elif kind == "tasks":
                services.task_add(
                    actor=actor, initiative=initiative, data=data, depends_on=form.prerequisites() or ()
                )
            elif kind == "risks":
                services.risk_add(actor=actor, initiative=initiative, data=data)
            else:
                services.responsibility_add(actor=actor, initiative=initiative, data=data)
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        else:
            messages.success(request, "Added.")
            _sent_back(request, initiative, before)
            return _to_page(number, anchor)
    return _page(request, number, status=status, forms={kind: form})


@login_required
def part_edit(request: AuthenticatedRequest, number: str, kind: str, pk: int) -> HttpResponse:
    """Edit an objective or a task on its own page. A task's owner may update its progress and resources."""
    if kind not in EDITABLE_PARTS:
        raise Http404
    initiative = _initiative(number)
    part = _part(initiative, kind, pk)
    can_change = request.user.has_perm(CHANGE, initiative)
    own_task = kind == "tasks" and part.owner_id == request.user.pk
    if not (can_change or own_task):
        raise PermissionDenied(NOT_EDITOR)
    before = initiative.state
    _, form_class, anchor = PARTS[kind]
    options = {"limited": not can_change} if kind == "tasks" else {}
    form: Any = form_class(
        request.POST or None,
        instance=_part(initiative, kind, pk),
        initiative=initiative,
        prefix=kind,
        **options,
    )
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            if kind == "objectives":
                services.objective_update(
                    actor=request.user,
                    objective=part,
                    data=form.service_data(),
                    version=form.cleaned_data.get("version"),
                )
            else:
                services.task_update(
                    actor=request.user,
                    task=part,
                    data=form.service_data(),
                    depends_on=form.prerequisites(),
                    version=form.cleaned_data.get("version"),
                )
        except (ValidationError, ConflictError) as exc:
            status = _show_errors(form, exc)
        else:
            messages.success(request, "Your changes were saved.")
            _sent_back(request, initiative, before)
            return _to_page(number, anchor)
    context = {
        "form": form,
        "initiative": initiative,
        "part": part,
        "kind": kind,
        "anchor": anchor,
        "approved": initiative.state in APPROVED_STATES,
    }
    return render(request, "improvement/initiative_part_form.html", context, status=status)


@login_required
@require_POST
def part_delete(request: AuthenticatedRequest, number: str, kind: str, pk: int) -> HttpResponse:
    initiative = _initiative(number)
    part = _part(initiative, kind, pk)
    _require_change(request, initiative)
    before = initiative.state
    try:
        if kind == "objectives":
            services.objective_delete(
                actor=request.user, objective=part, version=_seen_version(request, part.initiative)
            )
        elif kind == "tasks":
            services.task_delete(actor=request.user, task=part)
        elif kind == "risks":
            services.risk_delete(actor=request.user, risk=part)
        else:
            services.responsibility_delete(actor=request.user, responsibility=part)
    except (ValidationError, ConflictError) as exc:
        message = exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages)
        return _page(request, number, status=409, error=message)
    messages.success(request, f"Removed: {part}.")
    _sent_back(request, initiative, before)
    return _to_page(number, PARTS[kind][2])


@login_required
def initiative_list(request: AuthenticatedRequest) -> HttpResponse:
    """Initiatives across the plans, filtered by plan, state, owner and a text."""
    form = InitiativeFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "plan_key": data["plan"] or None,
            "state": data["state"] or None,
            "owner": data["owner"] or None,
            "search": data["q"] or None,
        }
    page = Paginator(selectors.initiative_list(actor=request.user, **filters), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "improvement/initiative_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(filters)},
    )


@login_required
def board(request: AuthenticatedRequest) -> HttpResponse:
    """Initiatives in columns by state, for one plan (`?plan=KEY`) or all; `?all=1` adds the final states."""
    key = request.GET.get("plan", "")[:63]
    include_final = request.GET.get("all") == "1"
    plans = list(Plan.objects.order_by("name").values_list("key", "name"))
    columns = selectors.board(actor=request.user, plan_key=key or None, include_final=include_final)
    return render(
        request,
        "improvement/board.html",
        {
            "columns": columns,
            "plans": plans,
            "plan_key": key,
            "include_final": include_final,
            "total": sum(len(c[2]) for c in columns),
        },
    )


ACTIONS = "|".join(re.escape(action) for action in INITIATIVE_TRANSITIONS)

urlpatterns: list[URLPattern | URLResolver] = [
    path("initiatives/", initiative_list, name="initiative_list"),
    path("initiatives/board/", board, name="board"),
    path("initiatives/new/", initiative_create, name="initiative_create"),
    path("initiatives/<str:number>/", initiative_detail, name="initiative"),
    path("initiatives/<str:number>/edit/", initiative_edit, name="initiative_edit"),
    path("initiatives/<str:number>/status/", initiative_status, name="initiative_status"),
    path("initiatives/<str:number>/baseline/", initiative_baseline, name="initiative_baseline"),
    path("initiatives/<str:number>/<str:kind>/add/", part_add, name="initiative_part_add"),
    path("initiatives/<str:number>/<str:kind>/<int:pk>/", part_edit, name="initiative_part_edit"),
    path("initiatives/<str:number>/<str:kind>/<int:pk>/delete/", part_delete, name="initiative_part_delete"),
    re_path(
        rf"^initiatives/(?P<number>[^/]+)/(?P<action>{ACTIONS})/$",
        initiative_transition,
        name="initiative_transition",
    ),
]
