"""Plans and their objectives."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from csi.core.permissions import has_role, refuse_self_grant, require
from csi.core.services import Actor, model_create, model_delete, model_update, notify
from csi.improvement.models import Plan, PlanObjective
from csi.improvement.permissions import STEERING, can_create_plan, plan_governance_refusal
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
    _check_governance(actor, None, fields)
    plan = model_create(actor=actor, model=Plan, data=fields)
    for name, values in links.items():
        getattr(plan, name).set(values)
    return plan


@transaction.atomic
def plan_update(*, actor: Actor, plan: Plan, data: dict[str, Any], version: int | None) -> Plan:
    """Change a plan the editor saw at `version` (ConflictError if someone saved it since). The kind
    and key never change. Its owner, maintainer and editors change its contents; its owner and budget
    limit are the steering committee's (see `plan_governance_refusal`), who may change those on any plan
    without being its editor. A change of owner, limit or currency is audited and notified to the
    steering committee and to the old and new owner."""
    if {"kind", "key"} & set(data):
        raise ValueError("A plan's kind and key do not change; create another plan instead.")
    fields, links = _plain(data)
    touched = {k for k, v in fields.items() if _comparable(getattr(plan, k)) != _comparable(v)}
    if links or touched - GOVERNED or not has_role(actor, STEERING):
        require(actor, "improvement.change_plan", plan)
    _check_governance(actor, plan, {k: fields[k] for k in touched})
    old_owner, old_limit, old_currency = plan.owner, plan.budget_limit, plan.currency
    plan = versioned_update(actor=actor, instance=plan, data=fields, version=version, scope=plan)
    changed = False
    for name, values in links.items():
        current = set(getattr(plan, name).values_list("pk", flat=True))
        if current != {v.pk for v in values}:
            getattr(plan, name).set(values)
            changed = True
    if changed:
        bump_version(plan)
    if (plan.owner_id, plan.budget_limit, plan.currency) != (
        getattr(old_owner, "pk", None),
        old_limit,
        old_currency,
    ):
        _notify_governance(actor, plan, old_owner, f"{old_limit} {old_currency}")
    return plan


GOVERNED = frozenset({"owner", "budget_limit", "currency"})


def _comparable(value: Any) -> Any:
    return getattr(value, "pk", value)


def _check_governance(actor: Actor, plan: Plan | None, fields: dict[str, Any]) -> None:
    """PermissionDenied when the change of owner, maintainer or limit is not the actor's to make."""
    refusal = plan_governance_refusal(actor, plan, fields)
    if refusal:
        raise PermissionDenied(refusal)
    for name in ("owner", "maintainer"):
        if fields.get(name) is not None:
            refuse_self_grant(actor, fields[name], f"the {name} of a plan")


def _notify_governance(actor: Actor, plan: Plan, old_owner: Any, old_limit: str) -> None:
    steering = get_user_model().objects.filter(groups__name=STEERING, is_active=True)
    notify(
        recipients=[*steering, old_owner, plan.owner],
        title=f"{plan.name}: owner {plan.owner or 'nobody'}, budget limit {plan.budget_limit} {plan.currency}",
        body=f"Before: owner {old_owner or 'nobody'}, budget limit {old_limit}. Changed by {actor}.",
        url=reverse("improvement:plan", args=[plan.key]),
        verb="plan-governance",
        scope=plan,
        exclude=actor,
    )


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
