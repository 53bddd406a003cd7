"""The SMART check of an initiative objective: which of specific, measurable, achievable, relevant and
time-bound it is, each with what is missing. Derived from the stored fields only:

- specific: a KPI is chosen with what it is about (a standard, or a ticket measure of a service);
- measurable: that KPI has a target value;
- achievable: a baseline value is known and the target improves on it (in the KPI's direction);
- relevant: it serves one of the plan's objectives;
- time-bound: it has a due date, within the plan's period.
An initiative cannot be proposed while an objective is not measurable or has no date (`blocking`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csi.improvement.choices import HIGHER_IS_BETTER, KpiKind

LETTERS = ("specific", "measurable", "achievable", "relevant", "time-bound")


@dataclass(frozen=True)
class Check:
    letter: str
    ok: bool
    missing: str = ""


def higher_is_better(objective: Any) -> bool:
    if objective.kpi_kind == KpiKind.STANDARD:
        return True  # attainment in percent met
    return HIGHER_IS_BETTER.get(objective.measure, True)


def smart(objective: Any) -> list[Check]:
    """The five checks of one objective, in SMART order."""
    checks = []
    if objective.kpi_kind == KpiKind.STANDARD:
        specific = objective.standard_id is not None
    elif objective.kpi_kind == KpiKind.MEASURE:
        specific = bool(objective.measure) and objective.service_id is not None
    else:
        specific = False
    checks.append(
        Check(
            "specific", specific, "" if specific else "choose the KPI: a standard, or a measure of a service"
        )
    )
    measurable = specific and objective.target_value is not None
    checks.append(Check("measurable", measurable, "" if measurable else "set the KPI and its target value"))
    baseline, target = objective.baseline_value, objective.target_value
    if baseline is None:
        achievable, why = False, "take a baseline so the target can be compared with where we are now"
    elif target is None:
        achievable, why = False, "set a target value"
    else:
        better = target > baseline if higher_is_better(objective) else target < baseline
        achievable, why = (
            better,
            "" if better else f"the target {target:g} does not improve on the baseline {baseline:g}",
        )
    checks.append(Check("achievable", achievable, why))
    relevant = objective.plan_objective_id is not None
    checks.append(Check("relevant", relevant, "" if relevant else "link it to one of the plan's objectives"))
    due = objective.due_date
    plan = objective.initiative.plan
    if due is None:
        timed, why = False, "set a due date"
    elif plan.period_end_date and due > plan.period_end_date:
        timed, why = False, f"the due date {due} is after the plan's period ends ({plan.period_end_date})"
    else:
        timed, why = True, ""
    checks.append(Check("time-bound", timed, why))
    return checks


def blocking(objective: Any) -> list[str]:
    """What stops the initiative from being proposed because of this objective."""
    problems = []
    by_letter = {c.letter: c for c in smart(objective)}
    if not by_letter["measurable"].ok:
        problems.append(f"objective '{objective.title}' is not measurable: {by_letter['measurable'].missing}")
    if objective.due_date is None:
        problems.append(f"objective '{objective.title}' has no due date")
    return problems
