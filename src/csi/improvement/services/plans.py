"""Plans and their objectives."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from csi.core.permissions import require
from csi.core.services import Actor, model_create, model_delete, model_update
from csi.improvement.models import Plan, PlanObjective
from csi.improvement.permissions import can_create_plan
from csi.improvement.services.common import bump_version, versioned_update

PLAN_FIELDS = {
    "key", "kind", "name", "scope", "period_start_date", "period_end_date", "vision", "owner", "maintainer",
    "budget_limit", "currency",
}  # fmt: skip


def _plain(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(data) - PLAN_FIELDS - {"services", "processes"}
    if unknown:
        raise ValueError(f"unknown plan field(s): {', '.join(sorted(unknown))}")
    links = {k: data[k] for k in ("services", "processes") if k in data}
    return {k: v for k, v in data.items() if k in PLAN_FIELDS}, links


@transaction.atomic
def plan_create(*, actor: Actor, data: dict[str, Any]) -> Plan:
    """Create a plan (services and processes as lists of model instances). Administrators and the
    service strategy manager create any kind; an owner role creates its own kind. Audited."""
    kind = str(data.get("kind", ""))
    if not can_create_plan(actor, kind):
        raise PermissionDenied(f"You may not create a {kind} plan." if kind else "You may not create plans.")
    fields, links = _plain(data)
    plan = model_create(actor=actor, model=Plan, data=fields)
    for name, values in links.items():
        getattr(plan, name).set(values)
    return plan


@transaction.atomic
def plan_update(*, actor: Actor, plan: Plan, data: dict[str, Any], version: int | None) -> Plan:
    """Change a plan the editor saw at `version` (ConflictError if someone saved it since). The kind
    and key never change."""
    require(actor, "improvement.change_plan", plan)
    if {"kind", "key"} & set(data):
        raise ValueError("A plan's kind and key do not change; create another plan instead.")
    fields, links = _plain(data)
    plan = versioned_update(actor=actor, instance=plan, data=fields, version=version, scope=plan)
    changed = False
    for name, values in links.items():
        current = set(getattr(plan, name).values_list("pk", flat=True))
        if current != {v.pk for v in values}:
            getattr(plan, name).set(values)
            changed = True
    if changed:
        bump_version(plan)
    return plan


@transaction.atomic
def plan_objective_add(*, actor: Actor, plan: Plan, data: dict[str, Any]) -> PlanObjective:
    require(actor, "improvement.change_plan", plan)
    objective = model_create(actor=actor, model=PlanObjective, data={**data, "plan": plan}, scope=plan)
    bump_version(plan)
    return objective


@transaction.atomic
def plan_objective_update(*, actor: Actor, objective: PlanObjective, data: dict[str, Any]) -> PlanObjective:
    require(actor, "improvement.change_plan", objective.plan)
    return model_update(actor=actor, instance=objective, data=data, scope=objective.plan)


@transaction.atomic
def plan_objective_delete(*, actor: Actor, objective: PlanObjective) -> None:
    require(actor, "improvement.change_plan", objective.plan)
    model_delete(actor=actor, instance=objective, scope=objective.plan)
