"""Initiatives: creation, the CSI model sections, objectives, baseline, tasks, risks, responsibilities
and status updates. State changes are in `workflow.py`; a change of objectives, scope or budget after
approval sends the initiative back for approval (`_reapprove_if_changed`). Creating a draft, the timeline
and the approved terms are in `drafts.py`, which the register and the workflow share: this module sits
above both (it accepts register entries as origins and sends changed initiatives back for approval)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.permissions import require
from csi.core.services import Actor, audit_record, model_create, model_delete, model_update, snapshot
from csi.improvement.choices import APPROVED_STATES, FINAL_STATES, InitiativeState, KpiKind, Measure
from csi.improvement.models import (
    BaselineValue,
    Initiative,
    InitiativeObjective,
    InitiativeRisk,
    Opportunity,
    Plan,
    Responsibility,
    Task,
    TimelineEntry,
)
from csi.improvement.services.common import bump_version, versioned_update
from csi.improvement.services.drafts import (
    EDITABLE,
    _check_parent,
    approved_terms,
    initiative_draft_create,
    terms_changed,
    timeline_add,
)
from csi.improvement.services.register import opportunity_transition
from csi.improvement.services.workflow import send_back_for_approval

OBJECTIVE_FIELDS = {
    "title", "description", "kpi_kind", "standard", "measure", "service", "source_key", "baseline_value",
    "target_value", "unit", "due_date", "plan_objective", "achievability",
}  # fmt: skip


def _check_open(initiative: Initiative) -> None:
    if initiative.state in FINAL_STATES:
        raise ConflictError(
            f"{initiative.number} is {initiative.get_state_display().lower()}; it can no longer change."
        )


@transaction.atomic
def initiative_create(
    *,
    actor: Actor,
    plan: Plan,
    data: dict[str, Any],
    origins: Sequence[Opportunity] = (),
    parent: Initiative | None = None,
) -> Initiative:
    """A draft initiative in `plan` (improvement.add_initiative), numbered INI-0001..., with its origins
    (register entries) accepted into it through the register's transition (so the actor must be able to
    assess them, they must be new or under assessment, and the plan must cover them). Audited; the first
    timeline entry is its creation."""
    initiative = initiative_draft_create(actor=actor, plan=plan, data=data, parent=parent)
    if origins:
        for origin in origins:  # each one is accepted into it: the register's decision, checked as such
            accepted = opportunity_transition(
                actor=actor, opportunity=origin, action="accept", initiative=initiative
            )
            origin.initiative, origin.state = accepted.initiative, accepted.state
    timeline_add(actor=actor, initiative=initiative, action="create", to_state=InitiativeState.DRAFT)
    return initiative


def _terms(initiative: Initiative) -> dict[str, Any]:
    """The initiative's terms as stored now (a fresh read: the caller's copy may hold stale objectives)."""
    return approved_terms(Initiative.objects.get(pk=initiative.pk))


def _after_terms_edit(actor: Actor, initiative: Initiative, before: dict[str, Any]) -> None:
    """When the edit changed the terms (objectives, scope, budget), stamp who changed them (that person
    may not approve or fund them); after approval, send the initiative back for approval."""
    if _terms(initiative) != before:
        terms_changed(actor=actor, initiative=initiative)
    _reapprove_if_changed(actor, initiative)


def _reapprove_if_changed(actor: Actor, initiative: Initiative) -> None:
    initiative.refresh_from_db(fields=["state", "approved_terms"])
    if initiative.state not in APPROVED_STATES or initiative.approved_terms is None:
        return
    if _terms(initiative) == initiative.approved_terms:
        return
    send_back_for_approval(actor=actor, initiative=initiative)


@transaction.atomic
def initiative_update(
    *, actor: Actor, initiative: Initiative, data: dict[str, Any], version: int | None
) -> Initiative:
    """Change the initiative's sections as the editor saw them at `version` (ConflictError when someone
    saved since; nothing changed). After approval, a change of scope or budget sends it back for approval."""
    require(actor, "improvement.change_initiative", initiative)
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValueError(f"unknown or read-only initiative field(s): {', '.join(sorted(unknown))}")
    _check_open(initiative)
    if "parent" in data:
        _check_parent(initiative, data["parent"], initiative.plan)
    before = _terms(initiative)
    initiative = versioned_update(
        actor=actor, instance=initiative, data=data, version=version, scope=initiative
    )
    _after_terms_edit(actor, initiative, before)
    initiative.refresh_from_db()
    return initiative


def _objective_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - OBJECTIVE_FIELDS
    if unknown:
        raise ValueError(f"unknown objective field(s): {', '.join(sorted(unknown))}")
    return data


def _validate_objective(objective: InitiativeObjective) -> None:
    if objective.kpi_kind == KpiKind.STANDARD and objective.standard_id is None:
        raise ValidationError({"standard": "Choose the standard whose attainment is the KPI."})
    if objective.kpi_kind == KpiKind.MEASURE and (not objective.measure or objective.service_id is None):
        raise ValidationError({"measure": "Choose the measure and the service it is measured for."})
    chosen = objective.plan_objective
    if chosen is not None and chosen.plan_id != objective.initiative.plan_id:
        raise ValidationError({"plan_objective": "Choose an objective of this initiative's plan."})


@transaction.atomic
def objective_add(
    *, actor: Actor, initiative: Initiative, data: dict[str, Any], version: int | None = None
) -> InitiativeObjective:
    """Add an objective (where do we want to be). Counts as a change of the initiative's objectives."""
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    initiative = _locked(initiative, version)
    before = _terms(initiative)
    objective = InitiativeObjective(initiative=initiative, **_objective_data(data))
    _validate_objective(objective)
    objective = model_create(
        actor=actor, model=InitiativeObjective, data={**data, "initiative": initiative}, scope=initiative
    )
    bump_version(initiative)
    _after_terms_edit(actor, initiative, before)
    return objective


@transaction.atomic
def objective_update(
    *, actor: Actor, objective: InitiativeObjective, data: dict[str, Any], version: int | None = None
) -> InitiativeObjective:
    initiative = objective.initiative
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    initiative = _locked(initiative, version)
    before = _terms(initiative)
    objective = model_update(actor=actor, instance=objective, data=_objective_data(data), scope=initiative)
    _validate_objective(objective)
    bump_version(initiative)
    _after_terms_edit(actor, initiative, before)
    return objective


@transaction.atomic
def objective_delete(*, actor: Actor, objective: InitiativeObjective, version: int | None = None) -> None:
    initiative = objective.initiative
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    initiative = _locked(initiative, version)
    before = _terms(initiative)
    model_delete(actor=actor, instance=objective, scope=initiative)
    bump_version(initiative)
    _after_terms_edit(actor, initiative, before)


def _locked(initiative: Initiative, version: int | None) -> Initiative:
    """The initiative as stored, locked for this transaction, if still at `version`."""
    from csi.improvement.services.common import stale_check

    current = Initiative.objects.select_for_update().get(pk=initiative.pk)
    stale_check(current, version)
    return current


def kpi_value(
    *, actor: Actor, objective: InitiativeObjective, start: date, end: date
) -> tuple[float | None, dict[str, Any]]:
    """The objective's KPI over the days [start, end) from the measurement store's results: a standard's
    attainment (percent met, from the daily rollups) or a ticket measure of the objective's service (from
    `csi analytics tickets --by service` on its data source)."""
    from csi.analytics import selectors as analytics

    standard, service = objective.standard, objective.service
    if objective.kpi_kind == KpiKind.STANDARD and standard is not None:
        result = analytics.attainment_between(actor=actor, standard_key=standard.key, start=start, end=end)
        return result["percent"], result
    if objective.kpi_kind == KpiKind.MEASURE and objective.measure and service is not None:
        source_key = objective.source_key or _only_ticket_source()
        rows = analytics.tickets_report(
            actor=actor, source_key=source_key, by="service", start=start, end=end
        )
        row = next((r for r in rows if r["key"] == service.key), None)
        value = row.get(objective.measure) if row else None
        detail = {
            "source": source_key,
            "service": service.key,
            "measure": objective.measure,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "tickets": row["tickets"] if row else 0,
        }
        return (float(value) if value is not None else None), detail
    raise ValidationError({"kpi_kind": f"objective '{objective.title}' has no KPI to measure"})


def _only_ticket_source() -> str:
    from csi.measures.models import DataSource

    keys = list(
        DataSource.objects.filter(kind__in=["ticket_events", "ticket_snapshots"]).values_list(
            "key", flat=True
        )
    )
    if len(keys) != 1:
        raise ValidationError(
            {
                "source_key": "Name the data source the measure is read from."
                if keys
                else "No ticket data has been imported yet."
            }
        )
    return keys[0]


@transaction.atomic
def baseline_take(
    *, actor: Actor, initiative: Initiative, at: date | None = None, window_days: int = 90
) -> list[BaselineValue]:
    """Where are we now: freeze each objective's KPI over the `window_days` days before `at` (default:
    today) as the initiative's baseline (replacing an earlier one) and copy each value to its objective's
    baseline_value. Values are read once and never recomputed."""
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    if not 1 <= window_days <= 3660:
        raise ValidationError({"window_days": "The window is 1 to 3660 days."})
    end = at or timezone.localdate()
    start = end - timedelta(days=window_days)
    objectives = [o for o in initiative.objectives.select_related("standard", "service") if o.kpi_kind]
    if not objectives:
        raise ValidationError("Add an objective with a KPI before taking a baseline.")
    initiative.baseline.all().delete()
    values = []
    for objective in objectives:
        value, detail = kpi_value(actor=actor, objective=objective, start=start, end=end)
        label = f"{objective.title}: " + (
            objective.standard.name if objective.standard is not None else Measure(objective.measure).label
        )
        values.append(
            BaselineValue.objects.create(
                initiative=initiative,
                objective=objective,
                kpi=label[:300],
                value=value,
                unit="%" if objective.kpi_kind == KpiKind.STANDARD else objective.unit,
                window_start_date=start,
                window_end_date=end,
                detail=detail,
            )
        )
        InitiativeObjective.objects.filter(pk=objective.pk).update(baseline_value=value)
    Initiative.objects.filter(pk=initiative.pk).update(baseline_date=end)
    bump_version(initiative)
    timeline_add(
        actor=actor,
        initiative=initiative,
        action="baseline",
        note=f"Baseline over {start} to {end} ({len(values)} KPI)",
    )
    audit_record(
        actor=actor,
        verb="baseline",
        obj=initiative,
        after={"baseline": [snapshot(v) for v in values]},
        scope=initiative,
    )
    return values


@transaction.atomic
def status_update_add(
    *, actor: Actor, initiative: Initiative, health: str, percent_complete: int, note: str = ""
) -> TimelineEntry:
    """A status update (RAG health, % complete, note) on the timeline; the initiative shows the latest."""
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    entry = TimelineEntry(
        initiative=initiative, action="status", health=health, percent_complete=percent_complete, note=note
    )
    entry.full_clean(exclude=["initiative"])
    if not health:
        raise ValidationError({"health": "Give the health: green, amber or red."})
    entry = timeline_add(
        actor=actor,
        initiative=initiative,
        action="status",
        health=health,
        percent_complete=percent_complete,
        note=note,
    )
    Initiative.objects.filter(pk=initiative.pk).update(health=health, percent_complete=percent_complete)
    bump_version(initiative)
    initiative.refresh_from_db()
    audit_record(actor=actor, verb="status", obj=initiative, after=snapshot(entry), scope=initiative)
    return entry


# --- tasks, risks, responsibilities -------------------------------------------------------------------


def _check_dependencies(task: Task, depends_on: Sequence[Task]) -> None:
    for other in depends_on:
        if other.initiative_id != task.initiative_id:
            raise ValidationError({"depends_on": f"'{other}' belongs to another initiative."})
        if other.pk == task.pk:
            raise ValidationError({"depends_on": "A task cannot depend on itself."})
    # A cycle: walking what the new prerequisites depend on reaches the task itself.
    stack, seen = [t.pk for t in depends_on], set()
    while stack:
        pk = stack.pop()
        if pk == task.pk:
            raise ValidationError({"depends_on": "Those dependencies would make a loop."})
        if pk in seen:
            continue
        seen.add(pk)
        stack.extend(
            Task.depends_on.through.objects.filter(from_task_id=pk).values_list("to_task_id", flat=True)
        )


@transaction.atomic
def task_add(
    *, actor: Actor, initiative: Initiative, data: dict[str, Any], depends_on: Sequence[Task] = ()
) -> Task:
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    task = model_create(actor=actor, model=Task, data={**data, "initiative": initiative}, scope=initiative)
    _check_dependencies(task, depends_on)
    task.depends_on.set(depends_on)
    return task


@transaction.atomic
def task_update(
    *,
    actor: Actor,
    task: Task,
    data: dict[str, Any],
    depends_on: Sequence[Task] | None = None,
    version: int | None = None,
) -> Task:
    """Change a task. Its owner (a contributor) may change its progress and resources only."""
    initiative = task.initiative
    _check_open(initiative)
    if not actor.has_perm("improvement.change_initiative", initiative):  # type: ignore[union-attr]
        own = getattr(actor, "pk", None) is not None and task.owner_id == actor.pk  # type: ignore[union-attr]
        if not own or set(data) - {"percent_complete", "resources"} or depends_on is not None:
            require(actor, "improvement.change_initiative", initiative)
    task = versioned_update(actor=actor, instance=task, data=data, version=version, scope=initiative)
    if depends_on is not None:
        _check_dependencies(task, depends_on)
        task.depends_on.set(depends_on)
    return task


@transaction.atomic
def task_delete(*, actor: Actor, task: Task) -> None:
    require(actor, "improvement.change_initiative", task.initiative)
    _check_open(task.initiative)
    model_delete(actor=actor, instance=task, scope=task.initiative)


@transaction.atomic
def risk_add(*, actor: Actor, initiative: Initiative, data: dict[str, Any]) -> InitiativeRisk:
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    return model_create(
        actor=actor, model=InitiativeRisk, data={**data, "initiative": initiative}, scope=initiative
    )


@transaction.atomic
def risk_delete(*, actor: Actor, risk: InitiativeRisk) -> None:
    require(actor, "improvement.change_initiative", risk.initiative)
    model_delete(actor=actor, instance=risk, scope=risk.initiative)


@transaction.atomic
def responsibility_add(*, actor: Actor, initiative: Initiative, data: dict[str, Any]) -> Responsibility:
    require(actor, "improvement.change_initiative", initiative)
    _check_open(initiative)
    return model_create(
        actor=actor, model=Responsibility, data={**data, "initiative": initiative}, scope=initiative
    )


@transaction.atomic
def responsibility_delete(*, actor: Actor, responsibility: Responsibility) -> None:
    require(actor, "improvement.change_initiative", responsibility.initiative)
    model_delete(actor=actor, instance=responsibility, scope=responsibility.initiative)
