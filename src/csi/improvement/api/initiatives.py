"""API endpoints of initiatives: the list, the board, the decisions waiting for you, one initiative with
everything its page shows, its sections, objectives, baseline, status updates, tasks, risks and
responsibilities, and its transitions (`POST /initiatives/{number}/{action}`)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import Pagination
from csi.improvement.api import common
from csi.improvement.api.common import IdPath, InitiativePath
from csi.improvement.choices import INITIATIVE_TRANSITIONS
from csi.improvement.models import Initiative
from csi.improvement.schemas.initiatives import (
    BaselineIn,
    BaselineValueOut,
    BoardColumnOut,
    DecisionOut,
    InitiativeBoardQuery,
    InitiativeCloseIn,
    InitiativeDetailOut,
    InitiativeFilter,
    InitiativeFundIn,
    InitiativeIn,
    InitiativeObjectiveIn,
    InitiativeObjectiveOut,
    InitiativeObjectivePatch,
    InitiativeOut,
    InitiativePatch,
    InitiativeReasonIn,
    InitiativeRiskIn,
    InitiativeRiskOut,
    InitiativeTaskIn,
    InitiativeTaskOut,
    InitiativeTaskPatch,
    InitiativeTransitionIn,
    ResponsibilityIn,
    ResponsibilityOut,
    StatusUpdateIn,
    TimelineEntryOut,
)
from csi.improvement.selectors import initiatives as selectors
from csi.improvement.services import initiatives as services
from csi.improvement.services import workflow

router = Router(tags=["initiatives"])


def _get(request: HttpRequest, number: str) -> Initiative:
    return selectors.initiative_get(actor=request.user, number=number)


def _sections(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    return common.resolve(
        data,
        {
            "owner": common.user,
            "project_manager": common.user,
            "parent": lambda f, v: common.initiative(request, f, v),
        },
    )


def _objective_fields(request: HttpRequest, initiative: Initiative, data: dict[str, Any]) -> dict[str, Any]:
    """Keys and ids replaced by objects; a null text or choice is empty (no KPI, no measure)."""
    data = common.resolve(
        data,
        {
            "standard": lambda f, v: common.standard(request, f, v),
            "service": lambda f, v: common.service(request, f, v),
            "source_key": lambda f, v: common.data_source(request, f, v).key if v else v,
            "plan_objective": lambda f, v: (
                None
                if v is None
                else common.found(f, "objective of the plan", v, lambda: initiative.plan.objectives.get(pk=v))
            ),
        },
    )
    for name in ("kpi_kind", "measure", "source_key", "unit", "description", "achievability"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


def _tasks(initiative: Initiative, ids: list[int]) -> list[Any]:
    found = {t.pk: t for t in initiative.tasks.filter(pk__in=ids)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(
            {"depends_on": f"{initiative.number} has no task {', '.join(map(str, unknown))}."}
        )
    return [found[i] for i in dict.fromkeys(ids)]


# Fixed paths first: /initiatives/board is not an initiative number.


@router.get(
    "/initiatives/board",
    response={200: list[BoardColumnOut], **ERROR_RESPONSES},
    summary="The initiative board",
)
def board(request: HttpRequest, query: Query[InitiativeBoardQuery]):
    """One column per state, in the order work moves through them, for one plan or all."""
    columns = selectors.board(actor=request.user, plan_key=query.plan, include_final=query.include_final)
    return [{"state": s, "label": label, "initiatives": items} for s, label, items in columns]


@router.get(
    "/decisions",
    response={200: list[DecisionOut], **ERROR_RESPONSES},
    tags=["initiatives"],
    summary="Decisions waiting for me",
)
def decisions(request: HttpRequest):
    """Proposed initiatives you may approve or reject and budget requests you may fund or decline."""
    return [
        {"initiative": d.initiative, "what": d.what, "actions": list(d.actions)}
        for d in selectors.waiting_for_decision(request.user)
    ]


@router.get(
    "/initiatives", response={200: list[InitiativeOut], **ERROR_RESPONSES}, summary="List initiatives"
)
@paginate(Pagination)
def initiative_list(request: HttpRequest, filters: Query[InitiativeFilter]):
    """Filtered by plan key, state (`open`: every state but closed, rejected, cancelled), owner's
    username, parent number and text; newest first, or by number or state."""
    return selectors.initiative_list(
        actor=request.user,
        plan_key=filters.plan,
        state=filters.state,
        owner=filters.owner,
        parent=filters.parent,
        search=filters.search,
        order=filters.order,
    )


@router.post(
    "/initiatives", response={201: InitiativeDetailOut, **ERROR_RESPONSES}, summary="Create an initiative"
)
def initiative_create(request: HttpRequest, payload: InitiativeIn):
    """A draft initiative in the plan, numbered INI-0001..., linked to the register entries it comes from
    and to its strategic parent. The plan's owner or maintainer (for the strategic plan, also the service
    strategy manager)."""
    data = payload.dict(exclude_unset=True)
    plan = common.required(common.plan(request, "plan", payload.plan))
    origins = common.each(
        "origins", data.pop("origins", []), lambda f, v: common.required(common.opportunity(request, f, v))
    )
    data.pop("plan")
    fields = _sections(request, data)
    parent = fields.pop("parent", None)
    initiative = services.initiative_create(
        actor=request.user, plan=plan, data=fields, origins=origins, parent=parent
    )
    return Status(201, _get(request, initiative.number))


@router.get(
    "/initiatives/{number}", response={200: InitiativeDetailOut, **ERROR_RESPONSES}, summary="An initiative"
)
def initiative_get(request: HttpRequest, number: str = InitiativePath):
    """Everything about it: its sections, objectives with their SMART check, baseline, tasks, risks,
    responsibilities, timeline, where it stands in the seven steps, the roll-up over what is delegated to
    it, and the transitions you may take now."""
    return _get(request, number)


@router.patch(
    "/initiatives/{number}",
    response={200: InitiativeDetailOut, **ERROR_RESPONSES},
    summary="Change an initiative's sections",
)
def initiative_update(request: HttpRequest, payload: InitiativePatch, number: str = InitiativePath):
    """The fields sent, as you saw it at `version` (409 when someone saved it since). After approval, a
    change of scope or budget sends it back for approval."""
    initiative = _get(request, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.initiative_update(
        actor=request.user, initiative=initiative, data=_sections(request, data), version=version
    )
    return _get(request, number)


# --- objectives and baseline --------------------------------------------------------------------------


@router.post(
    "/initiatives/{number}/objectives",
    response={201: InitiativeObjectiveOut, **ERROR_RESPONSES},
    summary="Add an objective to an initiative",
)
def objective_add(request: HttpRequest, payload: InitiativeObjectiveIn, number: str = InitiativePath):
    """Where do we want to be: a KPI (a standard's attainment, or a ticket measure of a service), its
    target and due date. After approval, it sends the initiative back for approval."""
    initiative = _get(request, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    objective = services.objective_add(
        actor=request.user,
        initiative=initiative,
        data=_objective_fields(request, initiative, data),
        version=version,
    )
    return Status(201, objective)


@router.patch(
    "/initiatives/{number}/objectives/{objective_id}",
    response={200: InitiativeObjectiveOut, **ERROR_RESPONSES},
    summary="Change an initiative objective",
)
def objective_update(
    request: HttpRequest,
    payload: InitiativeObjectivePatch,
    number: str = InitiativePath,
    objective_id: int = IdPath,
):
    initiative = _get(request, number)
    objective = initiative.objectives.get(pk=objective_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    return services.objective_update(
        actor=request.user,
        objective=objective,
        data=_objective_fields(request, initiative, data),
        version=version,
    )


@router.delete(
    "/initiatives/{number}/objectives/{objective_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove an initiative objective",
)
def objective_delete(
    request: HttpRequest,
    number: str = InitiativePath,
    objective_id: int = IdPath,
    version: int | None = Query(None, ge=1, le=common.MAX_ID, description="The initiative's version you saw"),
):
    initiative = _get(request, number)
    services.objective_delete(
        actor=request.user, objective=initiative.objectives.get(pk=objective_id), version=version
    )
    return Status(204, None)


@router.post(
    "/initiatives/{number}/baseline",
    response={200: list[BaselineValueOut], **ERROR_RESPONSES},
    summary="Take the baseline",
)
def baseline_take(request: HttpRequest, payload: BaselineIn, number: str = InitiativePath):
    """Where are we now: each objective's KPI over the `window_days` days before `at` (default today),
    frozen from the measurement store, replacing an earlier baseline."""
    initiative = _get(request, number)
    return services.baseline_take(
        actor=request.user, initiative=initiative, at=payload.at, window_days=payload.window_days
    )


# --- status updates ------------------------------------------------------------------------------------


@router.get(
    "/initiatives/{number}/status-updates",
    response={200: list[TimelineEntryOut], **ERROR_RESPONSES},
    summary="An initiative's status updates",
)
def status_update_list(request: HttpRequest, number: str = InitiativePath):
    """Oldest first."""
    return [e for e in _get(request, number).timeline.all() if e.action == "status"]


@router.post(
    "/initiatives/{number}/status-updates",
    response={201: TimelineEntryOut, **ERROR_RESPONSES},
    summary="Post a status update",
)
def status_update_add(request: HttpRequest, payload: StatusUpdateIn, number: str = InitiativePath):
    """Health (green, amber, red), percent complete and a note; the initiative shows the latest."""
    entry = services.status_update_add(actor=request.user, initiative=_get(request, number), **payload.dict())
    return Status(201, entry)


# --- tasks, risks, responsibilities --------------------------------------------------------------------


@router.get(
    "/initiatives/{number}/tasks",
    response={200: list[InitiativeTaskOut], **ERROR_RESPONSES},
    summary="An initiative's tasks",
)
def task_list(request: HttpRequest, number: str = InitiativePath):
    """By due date."""
    return list(_get(request, number).tasks.all())


@router.post(
    "/initiatives/{number}/tasks",
    response={201: InitiativeTaskOut, **ERROR_RESPONSES},
    summary="Add a task",
)
def task_add(request: HttpRequest, payload: InitiativeTaskIn, number: str = InitiativePath):
    """A task or milestone; `depends_on` are ids of the initiative's tasks that must finish first."""
    initiative = _get(request, number)
    data = payload.dict(exclude_unset=True)
    depends_on = _tasks(initiative, data.pop("depends_on", None) or [])
    data = common.resolve(data, {"owner": common.user})
    task = services.task_add(actor=request.user, initiative=initiative, data=data, depends_on=depends_on)
    return Status(201, task)


@router.patch(
    "/initiatives/{number}/tasks/{task_id}",
    response={200: InitiativeTaskOut, **ERROR_RESPONSES},
    summary="Change a task",
)
def task_update(
    request: HttpRequest, payload: InitiativeTaskPatch, number: str = InitiativePath, task_id: int = IdPath
):
    """The fields sent; `depends_on`, when a list, replaces the task's prerequisites. The task's owner may
    change its progress and resources only."""
    initiative = _get(request, number)
    task = initiative.tasks.get(pk=task_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    ids = data.pop("depends_on", None)
    depends_on = _tasks(initiative, ids) if ids is not None else None
    updated = services.task_update(
        actor=request.user,
        task=task,
        data=common.resolve(data, {"owner": common.user}),
        depends_on=depends_on,
        version=version,
    )
    return updated


@router.delete(
    "/initiatives/{number}/tasks/{task_id}", response={204: None, **ERROR_RESPONSES}, summary="Remove a task"
)
def task_delete(request: HttpRequest, number: str = InitiativePath, task_id: int = IdPath):
    initiative = _get(request, number)
    services.task_delete(actor=request.user, task=initiative.tasks.get(pk=task_id))
    return Status(204, None)


@router.post(
    "/initiatives/{number}/risks",
    response={201: InitiativeRiskOut, **ERROR_RESPONSES},
    summary="Add a risk",
)
def risk_add(request: HttpRequest, payload: InitiativeRiskIn, number: str = InitiativePath):
    """A risk to the initiative: likelihood and impact 1..5, its mitigation and owner."""
    data = common.resolve(payload.dict(), {"owner": common.user})
    risk = services.risk_add(actor=request.user, initiative=_get(request, number), data=data)
    return Status(201, risk)


@router.delete(
    "/initiatives/{number}/risks/{risk_id}", response={204: None, **ERROR_RESPONSES}, summary="Remove a risk"
)
def risk_delete(request: HttpRequest, number: str = InitiativePath, risk_id: int = IdPath):
    services.risk_delete(actor=request.user, risk=_get(request, number).risks.get(pk=risk_id))
    return Status(204, None)


@router.post(
    "/initiatives/{number}/responsibilities",
    response={201: ResponsibilityOut, **ERROR_RESPONSES},
    summary="Add a responsibility (RACI)",
)
def responsibility_add(request: HttpRequest, payload: ResponsibilityIn, number: str = InitiativePath):
    """Who is responsible, accountable, consulted or informed for an activity of the initiative."""
    data = common.resolve(payload.dict(), {"person": common.user})
    responsibility = services.responsibility_add(
        actor=request.user, initiative=_get(request, number), data=data
    )
    return Status(201, responsibility)


@router.delete(
    "/initiatives/{number}/responsibilities/{responsibility_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a responsibility",
)
def responsibility_delete(
    request: HttpRequest, number: str = InitiativePath, responsibility_id: int = IdPath
):
    responsibility = _get(request, number).responsibilities.get(pk=responsibility_id)
    services.responsibility_delete(actor=request.user, responsibility=responsibility)
    return Status(204, None)


# --- transitions: last, so that the fixed sub-paths above are not taken for an action -----------------


def _transition_route(action: str, transition: Any) -> None:
    """POST /initiatives/{number}/<action> with the body that action takes and nothing else."""
    if action == "fund":
        schema: type[InitiativeTransitionIn | InitiativeReasonIn] = InitiativeFundIn
    elif action == "close":
        schema = InitiativeCloseIn
    elif transition.needs_reason:
        schema = InitiativeReasonIn
    else:
        schema = InitiativeTransitionIn

    def take(request: HttpRequest, payload: schema, number: str = InitiativePath):  # type: ignore[valid-type]
        body: dict[str, Any] = payload.dict()  # type: ignore[attr-defined]
        workflow.initiative_transition(
            actor=request.user,
            initiative=_get(request, number),
            action=action,
            reason=body["reason"],
            amount=body.get("amount"),
            outcome=body.get("outcome") or "",
            version=body["version"],
        )
        return _get(request, number)

    take.__name__ = "initiative_" + action.replace("-", "_")
    take.__doc__ = (
        f"{transition.label}, as you saw the initiative at `version`. The plan owner approves and funds "
        "within the plan's limit, the steering committee above it, for the strategic plan and when the plan "
        "owner proposed the initiative, changed its terms or requested its budget; nobody approves or funds "
        "what they proposed, last changed or requested. A wrong state or a stale version answers 409, the "
        "wrong person 403, a field this action does not take 422."
    )
    router.post(
        f"/initiatives/{{number}}/{action}",
        response={200: InitiativeDetailOut, **ERROR_RESPONSES},
        summary=f"{transition.label} (initiative transition)",
        operation_id="initiative_" + action.replace("-", "_"),
    )(take)


for _action, _transition in INITIATIVE_TRANSITIONS.items():
    _transition_route(_action, _transition)
