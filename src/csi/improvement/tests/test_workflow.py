"""The initiative workflow: a full cycle through the services, and every refusal changing nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from csi.catalog.tests.factories import ServiceFactory
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent, Notification
from csi.core.services import snapshot
from csi.improvement.choices import InitiativeState as S
from csi.improvement.models import Initiative, Plan, PlanObjective, TimelineEntry
from csi.improvement.services import initiatives, workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "owner": make_user(roles=["service-owner"], username="sam.owner"),
        "lead": make_user(roles=["contributor"], username="lee.lead"),
        "steering": make_user(roles=["steering-committee"], username="stella.steering"),
        "strategist": make_user(roles=["service-strategy-manager"], username="sol.strategist"),
        "outsider": make_user(roles=["contributor"], username="oz.outsider"),
        "admin": make_user(roles=["administrator"], username="ada.admin"),
    }


@pytest.fixture
def sip(people: dict[str, Any]) -> Plan:
    plan = Plan.objects.create(
        key="sip-email",
        kind="service",
        name="Email SIP",
        owner=people["owner"],
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2027, 12, 31),
        budget_limit=Decimal("10000"),
    )
    plan.services.set([ServiceFactory(key="email", name="Email", owner=people["owner"])])
    PlanObjective.objects.create(plan=plan, title="Faster resolution")
    return plan


def draft(actor: Any, plan: Plan, budget: str = "5000", **data: Any) -> Initiative:
    initiative = initiatives.initiative_create(
        actor=actor,
        plan=plan,
        data={
            "title": "Cut email resolution time",
            "owner": actor,
            "budget_requested": Decimal(budget),
            **data,
        },
    )
    initiatives.objective_add(
        actor=actor,
        initiative=initiative,
        data={
            "title": "Median resolution under 8 hours",
            "kpi_kind": "measure",
            "measure": "median_resolution_hours",
            "service": plan.services.get(),
            "baseline_value": 12.0,
            "target_value": 8.0,
            "due_date": date(2027, 6, 30),
            "plan_objective": plan.objectives.first(),
        },
    )
    initiative.refresh_from_db()
    return initiative


def act(actor: Any, initiative: Initiative, action: str, **options: Any) -> Initiative:
    initiative.refresh_from_db()
    return workflow.initiative_transition(actor=actor, initiative=initiative, action=action, **options)


def state_of(initiative: Initiative) -> dict[str, Any]:
    """Everything a refused transition must leave as it was."""
    fresh = Initiative.objects.get(pk=initiative.pk)
    return {
        "row": snapshot(fresh),
        "timeline": TimelineEntry.objects.filter(initiative=fresh).count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_a_full_cycle_from_draft_to_implemented(people: dict[str, Any], sip: Plan) -> None:
    lead, owner = people["lead"], people["owner"]
    sip.maintainer = lead
    sip.save()
    initiative = draft(lead, sip)
    assert (initiative.number, initiative.state) == ("INI-0001", S.DRAFT)
    act(lead, initiative, "propose")
    assert Notification.objects.filter(recipient=owner, verb="propose").count() == 1
    act(owner, initiative, "approve")
    act(lead, initiative, "request-budget")
    funded = act(owner, initiative, "fund", amount="4000")
    assert (funded.state, funded.budget_approved, funded.funded_by) == (S.FUNDED, Decimal("4000.00"), owner)
    act(lead, initiative, "start")
    initiatives.status_update_add(
        actor=lead, initiative=initiative, health="amber", percent_complete=40, note="Slow"
    )
    done = act(lead, initiative, "implement")
    assert (done.state, done.health, done.percent_complete) == (S.IMPLEMENTED, "amber", 100)
    timeline = list(TimelineEntry.objects.filter(initiative=initiative).values_list("action", "to_state"))
    assert timeline == [
        ("create", S.DRAFT),
        ("propose", S.PROPOSED),
        ("approve", S.APPROVED),
        ("request-budget", S.BUDGET_REQUESTED),
        ("fund", S.FUNDED),
        ("start", S.IN_PROGRESS),
        ("status", ""),
        ("implement", S.IMPLEMENTED),
    ]
    verbs = list(
        AuditEvent.objects.filter(scope=f"improvement.initiative:{initiative.pk}")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert [v for v in verbs if v in {"propose", "approve", "fund", "start", "implement"}] == [
        "propose",
        "approve",
        "fund",
        "start",
        "implement",
    ]
    act(lead, initiative, "review")
    closed = act(owner, initiative, "close", outcome="achieved")
    assert (closed.state, closed.outcome) == (S.CLOSED, "achieved")


def refused(
    initiative: Initiative, error: type[Exception], match: str, actor: Any, action: str, **options: Any
) -> None:
    before = state_of(initiative)
    with pytest.raises(error, match=match):
        act(actor, initiative, action, **options)
    assert state_of(initiative) == before


def test_every_refused_transition_says_why_and_changes_nothing(people: dict[str, Any], sip: Plan) -> None:
    owner, lead, steering, outsider = people["owner"], people["lead"], people["steering"], people["outsider"]
    sip.maintainer = lead
    sip.save()
    initiative = draft(lead, sip)
    refused(initiative, ConflictError, "it is draft, and approve needs it proposed", owner, "approve")
    refused(initiative, PermissionDenied, "Only the initiative's owner", outsider, "propose")
    refused(initiative, ValueError, "unknown action 'approved'", lead, "approved")
    act(lead, initiative, "propose")
    refused(initiative, PermissionDenied, "Only the owner of the plan", steering, "approve")
    refused(initiative, PermissionDenied, "Only the owner of the plan", people["admin"], "approve")
    refused(initiative, ValidationError, "needs a reason", owner, "reject")
    initiative.refresh_from_db()
    refused(
        initiative, ConflictError, "changed by someone else", owner, "approve", version=initiative.version - 1
    )
    act(owner, initiative, "approve", version=initiative.version)
    refused(initiative, ConflictError, "request it and get it funded", lead, "start")
    act(lead, initiative, "request-budget")
    refused(initiative, ValidationError, "more than the 5000.00 requested", owner, "fund", amount="6000")
    refused(initiative, ValidationError, "not an amount of money", owner, "fund", amount="lots")
    refused(initiative, PermissionDenied, "You proposed this initiative", lead, "fund", amount="100")
    refused(initiative, ValidationError, "needs a reason", owner, "decline-budget")
    act(owner, initiative, "decline-budget", reason="No money this quarter")
    assert Initiative.objects.get(pk=initiative.pk).state == S.BUDGET_DECLINED
    refused(initiative, ValidationError, "needs a reason", lead, "cancel")
    act(lead, initiative, "cancel", reason="Superseded")
    refused(initiative, ConflictError, "it is cancelled", lead, "propose")


def test_nobody_approves_or_funds_what_they_proposed(people: dict[str, Any], sip: Plan) -> None:
    owner = people["owner"]
    initiative = draft(owner, sip)
    act(owner, initiative, "propose")
    refused(initiative, PermissionDenied, "You proposed this initiative", owner, "approve")
    refused(initiative, PermissionDenied, "You proposed this initiative", owner, "reject", reason="x")
    lead = people["lead"]
    sip.maintainer = lead
    sip.save()
    other = draft(lead, sip)
    act(lead, other, "propose")
    act(owner, other, "approve")
    act(owner, other, "request-budget")
    refused(other, PermissionDenied, "You requested this budget", owner, "fund", amount="100")


def test_budgets_above_the_plan_limit_and_strategic_initiatives_go_to_the_steering_committee(
    people: dict[str, Any], sip: Plan
) -> None:
    owner, lead, steering = people["owner"], people["lead"], people["steering"]
    sip.maintainer = lead
    sip.save()
    big = draft(lead, sip, budget="25000")
    act(lead, big, "propose")
    assert set(Notification.objects.filter(verb="propose").values_list("recipient__username", flat=True)) == {
        "stella.steering"
    }
    refused(big, PermissionDenied, "above the plan's limit of 10000.00", owner, "approve")
    act(steering, big, "approve")
    act(lead, big, "request-budget")
    refused(
        big,
        PermissionDenied,
        "only a steering committee member|Only a steering committee member",
        owner,
        "fund",
        amount="20000",
    )
    act(steering, big, "fund", amount="20000")
    strategic = Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="Strategic plan",
        owner=steering,
        maintainer=people["strategist"],
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2028, 12, 31),
    )
    strategic.services.set(sip.services.all())
    PlanObjective.objects.create(plan=strategic, title="Faster resolution")
    bold = draft(people["strategist"], strategic, budget="0")
    act(people["strategist"], bold, "propose")
    refused(bold, PermissionDenied, "it is a strategic initiative", owner, "approve")
    act(steering, bold, "approve")
    started = act(people["strategist"], bold, "start")  # approved with no budget: it may start at once
    assert started.state == S.IN_PROGRESS


def test_an_initiative_is_not_proposed_until_its_objectives_are_measurable_and_dated(
    people: dict[str, Any], sip: Plan
) -> None:
    lead = people["owner"]
    empty = initiatives.initiative_create(actor=lead, plan=sip, data={"title": "Vague"})
    refused(empty, ValidationError, "add at least one objective", lead, "propose")
    initiatives.objective_add(actor=lead, initiative=empty, data={"title": "Be better"})
    refused(empty, ValidationError, "not measurable.*no due date|no due date", lead, "propose")


def test_a_change_of_objectives_scope_or_budget_after_approval_needs_a_new_approval(
    people: dict[str, Any], sip: Plan
) -> None:
    owner, lead = people["owner"], people["lead"]
    sip.maintainer = lead
    sip.save()
    initiative = draft(lead, sip)
    act(lead, initiative, "propose")
    act(owner, initiative, "approve")
    initiative.refresh_from_db()
    # A change that is not one of the terms keeps the approval.
    same = initiatives.initiative_update(
        actor=lead, initiative=initiative, data={"approach": "Automate triage"}, version=initiative.version
    )
    assert same.state == S.APPROVED
    again = initiatives.initiative_update(
        actor=lead, initiative=same, data={"budget_requested": Decimal("7000")}, version=same.version
    )
    assert (again.state, again.approved_by, again.approved_terms) == (S.PROPOSED, None, None)
    act(owner, again, "approve")
    objective = again.objectives.get()
    initiatives.objective_update(actor=lead, objective=objective, data={"target_value": 6.0})
    assert Initiative.objects.get(pk=initiative.pk).state == S.PROPOSED


def test_two_people_saving_the_same_initiative_the_later_is_refused(
    people: dict[str, Any], sip: Plan
) -> None:
    lead = people["owner"]
    initiative = draft(lead, sip)
    seen = initiative.version
    initiatives.initiative_update(actor=lead, initiative=initiative, data={"approach": "Mine"}, version=seen)
    before = state_of(initiative)
    with pytest.raises(ConflictError, match="changed by someone else"):
        initiatives.initiative_update(
            actor=lead, initiative=initiative, data={"approach": "Theirs"}, version=seen
        )
    assert state_of(initiative) == before
    assert Initiative.objects.get(pk=initiative.pk).approach == "Mine"
