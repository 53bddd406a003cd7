"""Reads of plans and the portfolio over all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum

from csi.core.permissions import require
from csi.core.services import Actor
from csi.improvement.choices import FINAL_STATES, Health, InitiativeState, PlanKind
from csi.improvement.models import Initiative, Plan, PlanObjective

# Initiatives that no longer ask for money: their requests are not counted as requested.
NOT_BUDGETED = (InitiativeState.REJECTED, InitiativeState.CANCELLED)
HEALTH_ORDER = {"": 0, Health.GREEN: 1, Health.AMBER: 2, Health.RED: 3}


def plan_list(*, actor: Actor, kind: str | None = None, search: str | None = None) -> QuerySet[Plan]:
    """Every plan (readable by anyone signed in), strategic first, then by kind and name."""
    require(actor, "improvement.view")
    plans = Plan.objects.select_related("owner", "maintainer").prefetch_related("services", "processes")
    if kind:
        plans = plans.filter(kind=kind)
    if search and search.strip():
        plans = plans.filter(name__icontains=search.strip())
    return plans.order_by("kind", "name")


def plan_get(*, actor: Actor, key: str) -> Plan:
    """One plan by its key with its objectives (Plan.DoesNotExist when there is none: 404)."""
    require(actor, "improvement.view")
    objectives = PlanObjective.objects.select_related("organisation_objective")
    return (
        Plan.objects.select_related("owner", "maintainer")
        .prefetch_related("services", "processes", Prefetch("objectives", queryset=objectives))
        .get(key=key)
    )


@dataclass
class PlanFigures:
    """One plan's line of the portfolio."""

    plan: Plan
    by_state: dict[str, int] = field(default_factory=dict)
    requested: Decimal = Decimal("0")
    approved: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")
    health: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def open(self) -> int:
        return sum(n for state, n in self.by_state.items() if state not in FINAL_STATES)

    @property
    def worst_health(self) -> str:
        """The worst health among the plan's open initiatives ("" when none reported)."""
        reported = [h for h, n in self.health.items() if n]
        return max(reported, key=lambda h: HEALTH_ORDER.get(h, 0), default="")

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.key,
            "name": self.plan.name,
            "kind": self.plan.kind,
            "currency": self.plan.currency,
            "initiatives": self.total,
            "open": self.open,
            "by_state": self.by_state,
            "budget_requested": self.requested,
            "budget_approved": self.approved,
            "budget_spent": self.spent,
            "health": self.health,
            "worst_health": self.worst_health,
        }


def portfolio(*, actor: Actor, kind: str | None = None) -> list[PlanFigures]:
    """Per plan: initiatives by state, budget requested (rejected and cancelled ones left out),
    approved and spent, and the health of the open initiatives (from their latest status update).
    Three grouped queries whatever the number of plans."""
    plans = list(plan_list(actor=actor, kind=kind))
    figures = {plan.pk: PlanFigures(plan=plan) for plan in plans}
    initiatives = Initiative.objects.filter(plan__in=figures)
    for row in initiatives.values("plan", "state").annotate(n=Count("pk")):
        figures[row["plan"]].by_state[row["state"]] = row["n"]
    money = (
        initiatives.exclude(state__in=NOT_BUDGETED)
        .values("plan")
        .annotate(
            requested=Sum("budget_requested"), approved=Sum("budget_approved"), spent=Sum("budget_spent")
        )
    )
    for row in money:
        line = figures[row["plan"]]
        line.requested = row["requested"] or Decimal("0")
        line.approved = row["approved"] or Decimal("0")
        line.spent = row["spent"] or Decimal("0")
    health = (
        initiatives.exclude(state__in=FINAL_STATES)
        .exclude(health="")
        .values("plan", "health")
        .annotate(n=Count("pk"))
    )
    for row in health:
        figures[row["plan"]].health[row["health"]] = row["n"]
    return [figures[plan.pk] for plan in plans]


def portfolio_totals(lines: list[PlanFigures]) -> dict[str, Any]:
    """The sums over the portfolio's lines, per currency (plans may budget in different currencies)."""
    by_currency: dict[str, dict[str, Decimal]] = {}
    for line in lines:
        sums = by_currency.setdefault(
            line.plan.currency, {"requested": Decimal("0"), "approved": Decimal("0"), "spent": Decimal("0")}
        )
        sums["requested"] += line.requested
        sums["approved"] += line.approved
        sums["spent"] += line.spent
    states: dict[str, int] = {}
    for line in lines:
        for state, n in line.by_state.items():
            states[state] = states.get(state, 0) + n
    return {"by_state": states, "budget": by_currency, "initiatives": sum(states.values())}


def strategic_plans(*, actor: Actor) -> QuerySet[Plan]:
    return plan_list(actor=actor, kind=PlanKind.STRATEGIC)
