"""API endpoints of plans, their objectives, and the portfolio over every plan."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import Pagination
from csi.catalog import selectors as catalog_selectors
from csi.improvement.api import common
from csi.improvement.api.common import IdPath, KeyPath
from csi.improvement.models import Plan, PlanObjective
from csi.improvement.schemas.plans import (
    PlanDetailOut,
    PlanFilter,
    PlanIn,
    PlanObjectiveIn,
    PlanObjectiveOut,
    PlanObjectivePatch,
    PlanOut,
    PlanPatch,
    PortfolioOut,
    PortfolioQuery,
)
from csi.improvement.selectors import plans as selectors
from csi.improvement.services import plans as services

router = Router(tags=["plans"])


def _plan_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Usernames, service keys and process keys replaced by the objects they name."""
    data = common.resolve(data, {"owner": common.user, "maintainer": common.user})
    if data.get("services") is not None:
        data["services"] = common.each(
            "services", data["services"], lambda f, v: common.service(request, f, v)
        )
    if data.get("processes") is not None:
        data["processes"] = common.each(
            "processes", data["processes"], lambda f, v: common.process(request, f, v)
        )
    for name in ("services", "processes"):
        if name in data and data[name] is None:
            raise ValidationError({name: "Send a list (an empty one for none)."})
    return data


def _objective_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    return common.resolve(
        data,
        {
            "organisation_objective": lambda f, v: (
                None
                if v is None
                else common.found(
                    f,
                    "organisation objective",
                    v,
                    lambda: catalog_selectors.objective_get(actor=request.user, objective_id=v),
                )
            )
        },
    )


def _objective(plan: Plan, objective_id: int) -> PlanObjective:
    return plan.objectives.get(pk=objective_id)


@router.get("/plans", response={200: list[PlanOut], **ERROR_RESPONSES}, summary="List plans")
@paginate(Pagination)
def plan_list(request: HttpRequest, filters: Query[PlanFilter]):
    """Every plan, by kind and name; filtered by kind and a text in the name."""
    return selectors.plan_list(actor=request.user, kind=filters.kind, search=filters.search)


@router.post("/plans", response={201: PlanDetailOut, **ERROR_RESPONSES}, summary="Create a plan")
def plan_create(request: HttpRequest, payload: PlanIn):
    """Administrators and the service strategy manager create any kind; an owner role creates its own
    kind (a service owner a service improvement plan, ...)."""
    plan = services.plan_create(actor=request.user, data=_plan_fields(request, payload.dict()))
    return Status(201, selectors.plan_get(actor=request.user, key=plan.key))


@router.get("/plans/{key}", response={200: PlanDetailOut, **ERROR_RESPONSES}, summary="A plan")
def plan_get(request: HttpRequest, key: str = KeyPath):
    """The plan with its objectives."""
    return selectors.plan_get(actor=request.user, key=key)


@router.patch("/plans/{key}", response={200: PlanDetailOut, **ERROR_RESPONSES}, summary="Change a plan")
def plan_update(request: HttpRequest, payload: PlanPatch, key: str = KeyPath):
    """The fields sent, as you saw the plan at `version` (409 when someone saved it since); services and
    processes, when sent, replace the plan's. Its owner and maintainer. The key and kind never change."""
    plan = selectors.plan_get(actor=request.user, key=key)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.plan_update(actor=request.user, plan=plan, data=_plan_fields(request, data), version=version)
    return selectors.plan_get(actor=request.user, key=key)


@router.post(
    "/plans/{key}/objectives",
    response={201: PlanObjectiveOut, **ERROR_RESPONSES},
    summary="Add an objective to a plan",
)
def plan_objective_add(request: HttpRequest, payload: PlanObjectiveIn, key: str = KeyPath):
    """An objective of the plan, optionally aligned to an organisation objective (its id)."""
    plan = selectors.plan_get(actor=request.user, key=key)
    objective = services.plan_objective_add(
        actor=request.user, plan=plan, data=_objective_fields(request, payload.dict())
    )
    return Status(201, objective)


@router.patch(
    "/plans/{key}/objectives/{objective_id}",
    response={200: PlanObjectiveOut, **ERROR_RESPONSES},
    summary="Change a plan objective",
)
def plan_objective_update(
    request: HttpRequest, payload: PlanObjectivePatch, key: str = KeyPath, objective_id: int = IdPath
):
    plan = selectors.plan_get(actor=request.user, key=key)
    data = _objective_fields(request, payload.dict(exclude_unset=True))
    return services.plan_objective_update(
        actor=request.user, objective=_objective(plan, objective_id), data=data
    )


@router.delete(
    "/plans/{key}/objectives/{objective_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a plan objective",
)
def plan_objective_delete(request: HttpRequest, key: str = KeyPath, objective_id: int = IdPath):
    plan = selectors.plan_get(actor=request.user, key=key)
    services.plan_objective_delete(actor=request.user, objective=_objective(plan, objective_id))
    return Status(204, None)


@router.get("/portfolio", response={200: PortfolioOut, **ERROR_RESPONSES}, summary="The plan portfolio")
def portfolio(request: HttpRequest, query: Query[PortfolioQuery]):
    """Per plan: initiatives by state, open ones, budget requested (rejected and cancelled left out),
    approved and spent, and the health of the open initiatives; with the totals per currency."""
    lines = selectors.portfolio(actor=request.user, kind=query.kind)
    return {"plans": [line.as_dict() for line in lines], "totals": selectors.portfolio_totals(lines)}
