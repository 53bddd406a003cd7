"""Reads of plans and initiatives: portfolio figures, roll-ups over child initiatives, the seven-step
view derived from state and evidence, the buttons a user may press and what waits for a decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csi.core.permissions import SystemActor
from csi.improvement.choices import InitiativeState as S
from csi.improvement.models import Initiative, Plan
from csi.improvement.selectors import initiatives as select
from csi.improvement.selectors import plans as plan_select
from csi.improvement.services import initiatives, workflow

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")


def new(actor: Any, plan: Plan, title: str = "Faster email", budget: str = "5000", **data: Any) -> Initiative:
    """An initiative created by `actor`; its terms (budget, objective) are written by its owner (the
    `owner` given, else the actor), who may then not approve them."""
    initiative = initiatives.initiative_create(
        actor=actor,
        plan=plan,
        data={"title": title, "owner": actor if getattr(actor, "pk", None) else None, **data},
    )
    author = initiative.owner or actor
    initiatives.initiative_update(
        actor=author, initiative=initiative, data={"budget_requested": Decimal(budget)}, version=None
    )
    initiatives.objective_add(
        actor=author,
        initiative=initiative,
        data={
            "title": "Median resolution under 8 hours",
            "kpi_kind": "measure",
            "measure": "median_resolution_hours",
            "service": plan.services.first(),
            "baseline_value": 12.0,
            "target_value": 8.0,
            "due_date": date(2027, 6, 30),
        },
    )
    initiative.refresh_from_db()
    return initiative


def act(actor: Any, initiative: Initiative, action: str, **options: Any) -> Initiative:
    initiative.refresh_from_db()
    return workflow.initiative_transition(
        actor=actor, initiative=initiative, action=action, version=initiative.version, **options
    )


@pytest.fixture
def strategic(steering: Any, strategist: Any) -> Plan:
    return Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="Strategic plan",
        owner=steering,
        maintainer=strategist,
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2028, 12, 31),
    )


def names(actions: list[Any]) -> list[str]:
    return [t.action for t in actions]


def test_buttons_follow_state_and_role(
    plan: Plan, owner: Any, contributor: Any, steering: Any, viewer: Any
) -> None:
    initiative = new(owner, plan)
    assert names(select.available_actions(owner, initiative)) == ["propose", "cancel"]
    assert select.available_actions(viewer, initiative) == []
    assert select.available_actions(contributor, initiative) == []
    initiative = act(owner, initiative, "propose")
    # The plan owner proposed it: the approval goes up to the steering committee (5,000 is within the
    # owner's limit, so it would otherwise be the owner's).
    assert names(select.available_actions(owner, initiative)) == ["cancel"]
    assert names(select.available_actions(steering, initiative)) == ["approve", "reject"]
    assert [d.initiative for d in select.waiting_for_decision(steering)] == [initiative]
    assert select.waiting_for_decision(owner) == []


def test_waiting_for_decision_lists_what_the_user_may_decide(
    plan: Plan, owner: Any, contributor: Any, steering: Any, make_user: Any
) -> None:
    lead = make_user(roles=["contributor"], username="lead")
    small = new(owner, plan, title="Small", budget="2000", owner=lead)
    # lead leads it, so lead may propose it; the plan owner decides within the limit.
    small = act(lead, small, "propose")
    large = new(owner, plan, title="Large", budget="50000")
    large = act(owner, large, "propose")
    owner_waits = select.waiting_for_decision(owner)
    assert [(d.initiative.title, d.actions, d.what) for d in owner_waits] == [
        ("Small", ("approve", "reject"), "approval")
    ]
    # "Large" asks for more than the plan owner's limit: its approval is the steering committee's.
    assert [(d.initiative.title, d.what) for d in select.waiting_for_decision(steering)] == [
        ("Large", "approval")
    ]
    assert select.waiting_for_decision(contributor) == []
    small = act(owner, small, "approve")
    small = act(lead, small, "request-budget")
    assert [(d.initiative.title, d.what) for d in select.waiting_for_decision(owner)] == [
        ("Small", "funding")
    ]
    assert [d.initiative.title for d in select.waiting_for_decision(steering)] == ["Large"]


def test_rollup_sums_budgets_and_takes_the_worst_health(
    strategic: Plan, plan: Plan, steering: Any, strategist: Any, owner: Any
) -> None:
    parent = initiatives.initiative_create(
        actor=strategist, plan=strategic, data={"title": "Cloud first", "budget_requested": Decimal("1000")}
    )
    child = new(owner, plan, title="Email to the cloud", budget="4000", parent=parent)
    other = new(owner, plan, title="Email archive", budget="3000", parent=parent)
    initiatives.status_update_add(actor=owner, initiative=child, health="red", percent_complete=40)
    initiatives.status_update_add(actor=owner, initiative=other, health="green", percent_complete=80)
    parent.refresh_from_db()
    result = select.rollup(parent)
    assert result.initiatives == 3
    assert result.budget_requested == Decimal("8000")
    assert result.percent_complete == round((0 + 40 + 80) / 3)
    assert result.health == "red"
    assert sorted(c.number for c in result.children) == sorted([child.number, other.number])
    # A cancelled child no longer counts.
    act(owner, child, "cancel", reason="merged into the archive work")
    result = select.rollup(parent)
    assert result.budget_requested == Decimal("4000")
    assert result.health == "green"
    assert result.percent_complete == 40


def test_seven_step_is_derived_from_state_and_evidence(plan: Plan, owner: Any, steering: Any) -> None:
    initiative = initiatives.initiative_create(actor=owner, plan=plan, data={"title": "Nothing yet"})
    steps = select.seven_step(initiative)
    assert [s.status for s in steps] == ["current"] + ["pending"] * 6
    assert steps[0].why == "no objective yet"
    initiative = new(owner, plan, budget="0")
    steps = select.seven_step(initiative)
    assert [s.status for s in steps][:2] == ["done", "current"]
    Initiative.objects.filter(pk=initiative.pk).update(gap_analysis="Resolution waits on a second line.")
    initiative.refresh_from_db()
    # No baseline yet: step 2 stays current though step 3 has its evidence.
    assert [s.status for s in select.seven_step(initiative)][:3] == ["done", "current", "done"]


def test_seven_step_follows_the_workflow(plan: Plan, owner: Any, make_user: Any) -> None:
    lead = make_user(roles=["contributor"], username="lead")
    initiative = new(owner, plan, budget="0", owner=lead)
    initiative = act(lead, initiative, "propose")
    # Proposed: the approach waits for approval (step 4); no baseline was taken, so step 2 is missing.
    assert select.current_step(initiative).number == 4  # type: ignore[union-attr]
    assert {s.number: s.status for s in select.seven_step(initiative)}[2] == "missing"
    initiative = act(owner, initiative, "approve")
    initiative = act(lead, initiative, "start")
    statuses = {s.number: s.status for s in select.seven_step(initiative)}
    assert (statuses[4], statuses[5], statuses[6]) == ("done", "current", "pending")
    initiative = act(lead, initiative, "implement")
    initiative = act(lead, initiative, "review")
    assert {s.number: s.status for s in select.seven_step(initiative)}[6] == "current"
    initiative = act(owner, initiative, "close", outcome="achieved")
    steps = {s.number: s for s in select.seven_step(initiative)}
    assert steps[6].status == "done" and steps[6].why == "closed: achieved"
    assert (steps[7].status, steps[7].why) == ("current", "no lessons recorded yet")
    Initiative.objects.filter(pk=initiative.pk).update(momentum="Review the queue monthly.")
    initiative.refresh_from_db()
    assert all(s.status in ("done", "missing") for s in select.seven_step(initiative))


def test_portfolio_counts_states_budgets_and_health(plan: Plan, owner: Any, make_user: Any) -> None:
    lead = make_user(roles=["contributor"], username="lead")
    a = new(owner, plan, title="A", budget="5000")
    b = new(owner, plan, title="B", budget="3000")
    c = new(owner, plan, title="C", budget="7000", owner=lead)
    act(owner, b, "cancel", reason="not needed")
    c = act(lead, c, "propose")
    c = act(owner, c, "approve")
    c = act(lead, c, "request-budget")
    act(owner, c, "fund", amount="6000")
    initiatives.status_update_add(actor=owner, initiative=a, health="amber", percent_complete=10)
    [line] = plan_select.portfolio(actor=owner)
    assert line.by_state == {"draft": 1, "cancelled": 1, "funded": 1}
    assert (line.total, line.open) == (3, 2)
    assert line.requested == Decimal("12000")  # the cancelled one's 3,000 left out
    assert line.approved == Decimal("6000")
    assert line.health == {"amber": 1}
    assert line.worst_health == "amber"
    totals = plan_select.portfolio_totals([line])
    assert totals["budget"]["EUR"]["approved"] == Decimal("6000")
    assert totals["initiatives"] == 3


def test_portfolio_costs_a_fixed_number_of_queries(plan: Plan, owner: Any, make_user: Any) -> None:
    for i in range(3):
        copy = Plan.objects.create(
            key=f"p{i}", kind="process", name=f"P{i}", period_start_date=date(2026, 1, 1),
            period_end_date=date(2026, 12, 31),
        )  # fmt: skip
        copy.services.set(plan.services.all())
        new(SYSTEM, copy, title=f"I{i}")
    with CaptureQueriesContext(connection) as queries:
        lines = plan_select.portfolio(actor=owner)
    assert len(lines) == 4
    assert len(queries) <= 8


def test_reads_need_a_sign_in(plan: Plan) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        plan_select.plan_list(actor=AnonymousUser())
    with pytest.raises(PermissionDenied):
        select.initiative_list(actor=AnonymousUser())


def test_initiative_list_filters(plan: Plan, owner: Any) -> None:
    a = new(owner, plan, title="Alpha")
    new(owner, plan, title="Beta")
    act(owner, a, "cancel", reason="no")
    assert [i.title for i in select.initiative_list(actor=owner, state="open")] == ["Beta"]
    assert [i.title for i in select.initiative_list(actor=owner, search="alp")] == ["Alpha"]
    assert select.initiative_list(actor=owner, plan_key="nope").count() == 0
    with pytest.raises(ValueError, match="unknown order"):
        select.initiative_list(actor=owner, order="x")
    columns = {state: cards for state, _label, cards in select.board(actor=owner)}
    assert [i.title for i in columns[S.DRAFT]] == ["Beta"]
    assert [i.title for i in columns[S.CANCELLED]] == ["Alpha"]
