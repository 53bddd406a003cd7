"""`csi demo`'s improvement part: six plans, register entries raised from the standards the imported
tickets breached (with their real figures and evidence), initiatives in every state reached through the
workflow by the right people, and nothing new when the demo is loaded again.

The synthetic test runs everywhere (the demo falls back to a generated event log); on the real ServiceNow
log the same checks run in tests/test_cli.py, on the demo `csi demo` loads there (the whole demo is loaded
once for both). Every figure is checked against the rollups, never a constant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from csi.analytics import selectors as analytics
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.demo.services import demo_load
from csi.improvement.choices import InitiativeState, KpiKind, OpportunitySource, OpportunityState, PlanKind
from csi.improvement.models import (
    BaselineValue,
    Evidence,
    Initiative,
    InitiativeObjective,
    Opportunity,
    Plan,
    TimelineEntry,
)
from csi.improvement.smart import blocking, smart

SERVICENOW_ZIP = Path(settings.SHARED_DATA_DIR) / "servicenow-incident-event-log" / "incident_event_log.zip"
ACTOR = SystemActor("test")
OWNERS = {
    PlanKind.STRATEGIC: "sam.steering",
    PlanKind.SERVICE: "olivia.owner",
    PlanKind.PROCESS: "peter.process",
    PlanKind.SECURITY: "sean.security",
    PlanKind.CONTINUITY: "carla.continuity",
    PlanKind.SKILLS: "hana.skills",
}
DECISIONS = {"approve", "reject", "fund", "decline-budget"}


def counts() -> dict[str, int]:
    models = (Plan, Initiative, InitiativeObjective, BaselineValue, TimelineEntry, Opportunity, Evidence)
    return {m.__name__: m.objects.count() for m in models} | {"audit": AuditEvent.objects.count()}


def check_plans() -> None:
    plans = list(Plan.objects.select_related("owner", "maintainer"))
    assert sorted(p.kind for p in plans) == sorted(PlanKind.values)
    for plan in plans:
        assert plan.owner.username == OWNERS[plan.kind], plan
        assert plan.scope and plan.vision and plan.period_start_date < plan.period_end_date
        objectives = list(plan.objectives.all())
        assert objectives and all(o.organisation_objective_id for o in objectives), plan
    strategic = next(p for p in plans if p.kind == PlanKind.STRATEGIC)
    assert strategic.maintainer.username == "sofia.strategy"
    sip = next(p for p in plans if p.kind == PlanKind.SERVICE)
    assert list(sip.services.values_list("key", flat=True)) == ["service-desk"]
    assert all(p.budget_limit > 0 for p in plans if p.kind != PlanKind.STRATEGIC)


def check_initiatives() -> None:
    initiatives = list(
        Initiative.objects.select_related("plan", "proposed_by", "approved_by", "parent__plan")
    )
    assert {i.state for i in initiatives} == set(InitiativeState.values)
    for initiative in initiatives:
        objectives = list(initiative.objectives.select_related("initiative__plan", "standard", "service"))
        assert objectives, initiative
        assert initiative.tasks.exists() or initiative.state in {"rejected", "cancelled"}
        assert initiative.responsibilities.exists(), initiative
        if initiative.state != InitiativeState.DRAFT:
            assert not [p for o in objectives for p in blocking(o)], initiative
            assert initiative.proposed_by_id is not None
        # Every state change is a workflow transition on the timeline, ending in the current state.
        moves = list(initiative.timeline.exclude(action__in=["create", "status", "baseline"]).order_by("pk"))
        assert (moves[-1].to_state if moves else InitiativeState.DRAFT) == initiative.state
        for move in moves:
            if move.action in DECISIONS:
                assert move.actor_id != initiative.proposed_by_id, (initiative, move.action)
            if move.action in {"approve", "reject"} and initiative.plan.kind == PlanKind.STRATEGIC:
                assert move.actor.groups.filter(name="steering-committee").exists()
    for state in ("in-progress", "on-hold", "implemented", "under-review"):
        assert any(i.health for i in initiatives if i.state == state), state
    # Baselines are the KPI over the measured days, as the rollups give it.
    measured = BaselineValue.objects.select_related("objective__standard").exclude(value=None)
    assert measured.filter(objective__kpi_kind=KpiKind.STANDARD).exists()
    assert measured.filter(objective__kpi_kind=KpiKind.MEASURE).exists()
    for value in measured.filter(objective__kpi_kind=KpiKind.STANDARD):
        figure = analytics.attainment_between(
            actor=ACTOR,
            standard_key=value.objective.standard.key,
            start=value.window_start_date,
            end=value.window_end_date,
        )
        assert value.value == figure["percent"] == value.objective.baseline_value
        assert all(c.ok for c in smart(value.objective)), value.objective
    # The strategic parent carries out part of its work through a SIP initiative from the register.
    children = [i for i in initiatives if i.parent_id]
    assert children and all(c.parent.plan.kind == PlanKind.STRATEGIC for c in children)
    assert any(c.plan.kind == PlanKind.SERVICE and c.origins.exists() for c in children)


def check_register() -> list[Opportunity]:
    entries = list(Opportunity.objects.select_related("standard", "initiative__plan").order_by("number"))
    assert entries and all(e.source == OpportunitySource.STANDARD_BREACH for e in entries)
    gaps = []
    for entry in entries:
        assert {e.kind for e in entry.evidence.all()} == {"attainment", "pareto"}
        assert all(e.result for e in entry.evidence.all())
        rows = analytics.attainment_table(actor=ACTOR, standard_key=entry.standard.key, period="month")
        tickets, met = sum(r.tickets for r in rows), sum(r.met for r in rows)
        assert f"met by {met:,} of {tickets:,} tickets" in entry.description
        target = max(rows, key=lambda r: (r.period_start, r.version)).target_percent
        assert met * 100 / tickets < target and f"{met * 100 / tickets:.1f}%" in entry.title
        gaps.append(target - met * 100 / tickets)
    assert gaps == sorted(gaps, reverse=True)  # worst first
    accepted = [e for e in entries if e.state == OpportunityState.ACCEPTED]
    assert accepted and all(e.initiative.plan.kind == PlanKind.SERVICE for e in accepted)
    # The accepted entries' standards are the KPIs of the initiative they went into.
    initiative = accepted[0].initiative
    kpis = set(initiative.objectives.values_list("standard__key", flat=True))
    assert {e.standard.key for e in accepted} == kpis
    return entries


@pytest.mark.django_db
def test_demo_improvement_on_synthetic_data_and_loading_twice_changes_nothing(
    settings: Any, tmp_path: Path
) -> None:
    settings.SHARED_DATA_DIR = tmp_path / "no-shared-data"
    result = demo_load()
    assert any(line.startswith("Improvement: 6 plans") for line in result.lines), result.lines
    check_plans()
    check_initiatives()
    check_register()
    before = counts()
    again = demo_load()
    assert "Improvement: the demo plans are there already; left as they are." in again.lines
    assert counts() == before
