"""Load the demo's improvement part: the six plans, the CSI register raised from the standards the
imported tickets breached, and initiatives in every state, each moved there through the workflow by
the demo users whose role takes that step. Baselines and targets come from the imported data."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Min

from csi.accounts.models import User
from csi.analytics import selectors as analytics
from csi.demo.improvement.initiatives import INITIATIVES
from csi.demo.improvement.register import Window, assess_entries, raise_entries
from csi.demo.improvement.specs import FROM_REGISTER, PLANS, InitiativeSpec, Kpi, PlanSpec
from csi.improvement.choices import HIGHER_IS_BETTER, KpiKind, Measure
from csi.improvement.models import Initiative, InitiativeObjective, Plan
from csi.improvement.services import initiatives as initiative_services
from csi.improvement.services import plans as plan_services
from csi.improvement.services import register as register_services
from csi.improvement.services.workflow import initiative_transition

HOURS = {Measure.MEDIAN_RESOLUTION_HOURS, Measure.P90_RESOLUTION_HOURS, Measure.P95_RESOLUTION_HOURS}
SHARES = {
    Measure.SLA_FLAG_MET_RATE,
    Measure.REOPENED_RATE,
    Measure.REASSIGNED_RATE,
    Measure.FIRST_CONTACT_RESOLUTION_RATE,
}
DEMO_SOURCES = ("servicenow-incidents", "synthetic-incidents")


@dataclass
class Context:
    users: dict[str, Any]
    window: Window
    source: Any
    services: dict[str, Any]
    standards: dict[str, Any]
    plans: dict[str, Plan]
    initiatives: dict[str, Initiative]


def _window() -> Window | None:
    from csi.analytics.models import AttainmentDay

    span = AttainmentDay.objects.filter(tickets__gt=0).aggregate(first=Min("day"), last=Max("day"))
    if span["first"] is None:
        return None
    first, last = span["first"], span["last"]
    start = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = start.replace(year=start.year + 1) - timedelta(days=1)
    return Window(first=first, last=last, period_start=start, period_end=end)


def demo_improvement() -> list[str]:
    """Create the improvement part once: when any of the demo plans exists, nothing is done (loading the
    demo again changes nothing). All or nothing: one transaction."""
    if Plan.objects.filter(key__in=[p.key for p in PLANS]).exists():
        return ["Improvement: the demo plans are there already; left as they are."]
    from csi.measures.models import DataSource

    window = _window()
    source = DataSource.objects.filter(key__in=DEMO_SOURCES).order_by("-pk").first()
    if window is None or source is None:
        return ["Improvement: no measured ticket data, so no plans or initiatives."]
    started = time.monotonic()
    with transaction.atomic():
        ctx = _context(window, source)
        for plan_spec in PLANS:
            ctx.plans[plan_spec.key] = _plan(ctx, plan_spec)
        for spec in INITIATIVES[:1]:  # the strategic parent first: the register's initiative joins it
            ctx.initiatives[spec.title] = _initiative(ctx, spec)
        origin = source.description or f"the data source {source.key}"
        entries = raise_entries(
            users=ctx.users, window=window, origin=origin, services=ctx.services, standards=ctx.standards
        )
        _from_register(ctx, entries)
        assess_entries(users=ctx.users, entries=entries)
        for spec in INITIATIVES[1:]:
            ctx.initiatives[spec.title] = _initiative(ctx, spec)
    states = sorted({i.state for i in Initiative.objects.filter(plan__in=ctx.plans.values())})
    return [
        f"Improvement: {len(ctx.plans)} plans, {len(ctx.initiatives)} initiatives in {len(states)} states, "
        f"{len(entries)} register entries from standard breaches, in {time.monotonic() - started:.1f} s"
    ]


def _context(window: Window, source: Any) -> Context:
    from csi.catalog.models import Service
    from csi.demo.services import DEMO_USERS
    from csi.standards.models import ServiceStandard

    return Context(
        users={u.username: u for u in User.objects.filter(username__in=[d[0] for d in DEMO_USERS])},
        window=window,
        source=source,
        services={s.key: s for s in Service.objects.all()},
        standards={s.key: s for s in ServiceStandard.objects.select_related("service")},
        plans={},
        initiatives={},
    )


def _plan(ctx: Context, spec: PlanSpec) -> Plan:
    from csi.catalog.models import OrganisationObjective, Process

    creator = ctx.users[spec.creator]
    plan = plan_services.plan_create(
        actor=creator,
        data={
            "key": spec.key,
            "kind": spec.kind,
            "name": spec.name,
            "scope": spec.scope,
            "vision": spec.vision,
            # A creator names only themself the owner; anyone else is named by the steering committee.
            "owner": creator if spec.owner == spec.creator else None,
            "maintainer": ctx.users[spec.maintainer] if spec.maintainer else None,
            "period_start_date": ctx.window.period_start,
            "period_end_date": ctx.window.period_end,
            "currency": "EUR",
            "services": [ctx.services[k] for k in spec.services if k in ctx.services],
            "processes": list(Process.objects.filter(key__in=spec.processes)),
        },
    )
    # The steering committee names the owner (when the creator is not) and sets the limit she decides within.
    governance: dict[str, Any] = {"budget_limit": Decimal(spec.budget_limit)} if spec.budget_limit else {}
    if spec.owner != spec.creator:
        governance["owner"] = ctx.users[spec.owner]
    if governance:
        plan = plan_services.plan_update(
            actor=ctx.users["sam.steering"], plan=plan, data=governance, version=plan.version
        )
    for title, description, aligned in spec.objectives:
        plan_services.plan_objective_add(
            actor=creator,
            plan=plan,
            data={
                "title": title,
                "description": description,
                "organisation_objective": OrganisationObjective.objects.filter(name=aligned).first(),
            },
        )
    return plan


def _from_register(ctx: Context, entries: list[Any]) -> None:
    """The service owner accepts the worst breach into the SIP, creating an initiative, and the second
    worst into the same initiative; its KPIs are those entries' standards."""
    olivia, spec = ctx.users["olivia.owner"], FROM_REGISTER
    accepted = entries[:2]
    if not accepted:  # the data breached nothing: the initiative is planned without an origin
        ctx.initiatives[spec.title] = _initiative(
            ctx, replace(spec, kpis=_kpis_of(ctx, ["desk-p1-resolution"]))
        )
        return
    first = register_services.opportunity_transition(
        actor=olivia,
        opportunity=accepted[0],
        action="accept",
        plan=ctx.plans[spec.plan],
        initiative_title=spec.title,
    )
    initiative = first.initiative
    assert initiative is not None  # noqa: S101 - accepting with a plan creates it
    for entry in accepted[1:]:
        register_services.opportunity_transition(
            actor=olivia, opportunity=entry, action="accept", initiative=initiative
        )
    kpis = _kpis_of(ctx, [e.standard.key for e in accepted if e.standard is not None])
    ctx.initiatives[spec.title] = _initiative(ctx, replace(spec, kpis=kpis), initiative)


def _kpis_of(ctx: Context, keys: list[str]) -> tuple[Kpi, ...]:
    """Half the way to each standard's target within the plan period."""
    return tuple(
        Kpi(f"Attainment of '{ctx.standards[k].name}'"[:200], "Meet every service desk SLA", k, share=0.5)
        for k in keys
    )


def _initiative(ctx: Context, spec: InitiativeSpec, initiative: Initiative | None = None) -> Initiative:
    """Create the initiative (or complete one made by accepting a register entry), with its objectives,
    baseline, targets, tasks, risks and RACI, then take its steps through the workflow."""
    creator, plan = ctx.users[spec.creator], ctx.plans[spec.plan]
    data: dict[str, Any] = {
        "owner": ctx.users[spec.owner],
        "scope": spec.scope,
        "approach": spec.approach,
        "expected_benefits": spec.expected_benefits,
        "cost_estimate": Decimal(spec.budget),
        "budget_requested": Decimal(spec.budget),
        "project_reference": spec.project_reference,
        **spec.extra,
    }
    if spec.parent:
        data["parent"] = ctx.initiatives[spec.parent]
    # The initiative's owner writes its terms (scope, budget, objectives): whoever approves or funds them
    # must be someone else (separation of duties).
    terms = {k: data.pop(k) for k in ("scope", "cost_estimate", "budget_requested")}
    if initiative is None:
        initiative = initiative_services.initiative_create(
            actor=creator, plan=plan, data={"title": spec.title, "summary": spec.summary, **data}
        )
    else:
        initiative = initiative_services.initiative_update(
            actor=creator, initiative=initiative, data=data, version=None
        )
    initiative = initiative_services.initiative_update(
        actor=ctx.users[spec.owner], initiative=initiative, data=terms, version=None
    )
    _objectives(ctx, spec, initiative)
    _plan_of_work(ctx, spec, initiative)
    for step in spec.steps:
        actor = ctx.users[step.by]
        if step.action == "status":
            initiative_services.status_update_add(
                actor=actor,
                initiative=initiative,
                health=step.health,
                percent_complete=step.percent,
                note=step.note,
            )
            continue
        if step.action == "close" and (spec.evaluation or spec.momentum):
            initiative_services.initiative_update(
                actor=actor,
                initiative=initiative,
                data={"evaluation": spec.evaluation, "momentum": spec.momentum},
                version=None,
            )
        initiative = initiative_transition(
            actor=actor,
            initiative=initiative,
            action=step.action,
            reason=step.note,
            amount=step.amount if step.amount is not None else spec.budget if step.action == "fund" else None,
            outcome=step.outcome,
        )
    initiative.refresh_from_db()
    return initiative


def _objectives(ctx: Context, spec: InitiativeSpec, initiative: Initiative) -> None:
    """Add the KPIs as objectives, take the baseline over every measured day, then set each target
    `share` of the way from the baseline to the KPI's goal and write down where we are and the gap."""
    creator, window = ctx.users[spec.owner], ctx.window  # the owner writes the objectives
    goals = {o.title: o for o in ctx.plans[spec.plan].objectives.all()}
    for kpi in spec.kpis:
        data: dict[str, Any] = {
            "title": kpi.title,
            "due_date": window.day(kpi.due_days),
            "plan_objective": goals[kpi.objective],
        }
        if kpi.standard:
            data.update(kpi_kind=KpiKind.STANDARD, standard=ctx.standards[kpi.standard], unit="%")
        else:
            unit = "hours" if kpi.measure in HOURS else "share" if kpi.measure in SHARES else "tickets/day"
            data.update(
                kpi_kind=KpiKind.MEASURE,
                measure=kpi.measure,
                service=ctx.services[kpi.service],
                source_key=ctx.source.key,
                unit=unit,
            )
        initiative_services.objective_add(actor=creator, initiative=initiative, data=data)
    if spec.baseline:
        initiative_services.baseline_take(
            actor=creator, initiative=initiative, at=window.baseline_at, window_days=window.days
        )
    where, gaps = [], []
    for objective, kpi in zip(
        InitiativeObjective.objects.filter(initiative=initiative).order_by("pk"), spec.kpis, strict=True
    ):
        target, baseline = _target(objective, kpi), objective.baseline_value
        if baseline is None:
            description = f"To {_show(objective, target)} by {objective.due_date}; no baseline taken yet."
            achievability = "Unknown until a baseline is taken."
        else:
            where.append(f"{objective.title}: {_show(objective, baseline)}")
            description = (
                f"From {_show(objective, baseline)} (measured from {window.first} to {window.last}) to "
                f"{_show(objective, target)} by {objective.due_date}."
            )
            goal = "the standard's target" if kpi.standard else "the best value the measure can take"
            achievability = f"The target closes {kpi.share:.0%} of the gap between the baseline and {goal}."
        gaps.append(f"{objective.title}: from {_show(objective, baseline)} to {_show(objective, target)}")
        initiative_services.objective_update(
            actor=creator,
            objective=objective,
            data={"target_value": target, "description": description, "achievability": achievability},
        )
    practices = (
        f"Measured from {window.first} to {window.last}: " + "; ".join(where) + "."
        if where
        else "Not measured yet: no baseline was taken."
    )
    initiative_services.initiative_update(
        actor=creator,
        initiative=initiative,
        data={"current_practices": practices, "gap_analysis": "; ".join(gaps) + "."},
        version=None,
    )


def _target(objective: InitiativeObjective, kpi: Kpi) -> float:
    """`kpi.share` of the way from the baseline to the goal, rounded only when rounding keeps it better."""
    baseline = objective.baseline_value
    if baseline is None and kpi.target is not None:
        return kpi.target
    if objective.kpi_kind == KpiKind.STANDARD:
        version = objective.standard.current if objective.standard is not None else None
        goal = analytics.figure_target(version) if version is not None else 100.0
        if baseline is None:
            return goal
        higher, digits = True, 1
        raw = baseline + ((goal if baseline < goal else 100.0) - baseline) * kpi.share
    else:
        higher = HIGHER_IS_BETTER[objective.measure]
        best = 1.0 if higher else 0.0
        if baseline is None:  # no ticket of the service in the data: a plain goal
            return 0.9 if higher else 1.0
        raw, digits = baseline + (best - baseline) * kpi.share, 3 if objective.measure in SHARES else 2
    rounded = round(raw, digits)
    better = rounded > baseline if higher else rounded < baseline
    return rounded if better else raw


def _show(objective: InitiativeObjective, value: float | None) -> str:
    if value is None:
        return "unknown"
    if objective.kpi_kind == KpiKind.STANDARD:
        return f"{value:.1f}%"
    if objective.measure in SHARES:
        return f"{value * 100:.1f}%"
    return f"{value:.2f} {objective.unit}"


def _plan_of_work(ctx: Context, spec: InitiativeSpec, initiative: Initiative) -> None:
    creator = ctx.users[spec.creator]
    done: list[Any] = []
    for title, owner, day, hours, percent, milestone in spec.tasks:
        task = initiative_services.task_add(
            actor=creator,
            initiative=initiative,
            data={
                "title": title,
                "owner": ctx.users[owner],
                "due_date": ctx.window.day(day),
                "effort_hours": Decimal(hours),
                "percent_complete": percent,
                "is_milestone": milestone,
            },
            depends_on=list(done) if milestone else done[-1:],
        )
        done.append(task)
    for description, likelihood, impact, mitigation, owner in spec.risks:
        initiative_services.risk_add(
            actor=creator,
            initiative=initiative,
            data={
                "description": description,
                "likelihood": likelihood,
                "impact": impact,
                "mitigation": mitigation,
                "owner": ctx.users[owner],
            },
        )
    for activity, person, raci in spec.raci:
        initiative_services.responsibility_add(
            actor=creator,
            initiative=initiative,
            data={"activity": activity, "person": ctx.users[person], "raci": raci},
        )
