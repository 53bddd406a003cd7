"""The demo's CSI register: one entry per standard the imported tickets did not meet, worst first, each
with the figures in its description and the attainment per month and the breaches by resolver group
attached as evidence. Everything is read from the rollups of whatever ticket data the demo imported."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from csi.analytics import selectors as analytics
from csi.improvement.choices import OpportunitySource, Size, Timescale
from csi.improvement.models import Opportunity
from csi.improvement.services import evidence as evidence_services
from csi.improvement.services import register as register_services

MAX_ENTRIES = 5
PARETO_BY = "assignment_group"


@dataclass(frozen=True)
class Window:
    """The measured days (first..last) and the plan period: the twelve months after the data."""

    first: date
    last: date
    period_start: date
    period_end: date

    @property
    def baseline_at(self) -> date:
        return self.last + timedelta(days=1)

    @property
    def days(self) -> int:
        return min(3660, max(1, (self.baseline_at - self.first).days))

    def day(self, offset: int) -> date:
        """`offset` days into the plan period (never after it ends)."""
        return min(self.period_end, self.period_start + timedelta(days=offset))


@dataclass(frozen=True)
class Breach:
    """A standard whose attainment over every measured day is below its target."""

    standard: str
    name: str
    service: str
    tickets: int
    met: int
    near: int
    target: float
    months: list[tuple[date, int, int]]  # (month, tickets, met)

    @property
    def percent(self) -> float:
        return self.met * 100.0 / self.tickets

    @property
    def gap(self) -> float:
        return self.target - self.percent


def breaches(*, actor: Any) -> list[Breach]:
    """Every standard with measured tickets whose attainment is below its (latest) target, the largest
    gap first."""
    rows = analytics.attainment_table(actor=actor, period="month")
    by_standard: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_standard[row.standard].append(row)
    found = []
    for key, standard_rows in by_standard.items():
        tickets = sum(r.tickets for r in standard_rows)
        met = sum(r.met for r in standard_rows)
        latest = max(standard_rows, key=lambda r: (r.period_start, r.version))
        if not tickets or met * 100.0 / tickets >= latest.target_percent:
            continue
        months: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for r in standard_rows:
            months[r.period_start][0] += r.tickets
            months[r.period_start][1] += r.met
        found.append(
            Breach(
                standard=key,
                name=latest.standard_name,
                service=latest.service,
                tickets=tickets,
                met=met,
                near=sum(r.near_breached for r in standard_rows),
                target=latest.target_percent,
                months=sorted((m, t, k) for m, (t, k) in months.items()),
            )
        )
    return sorted(found, key=lambda b: (-b.gap, b.standard))


def _description(breach: Breach, window: Window, origin: str) -> str:
    measured = [(m, t, k) for m, t, k in breach.months if t]
    missed = [(m, t, k) for m, t, k in measured if k * 100.0 / t < breach.target]
    # The worst month among those with a fair number of tickets (a month of 3 tickets says little).
    fair = [x for x in measured if x[1] >= 10] or measured
    worst = min(fair, key=lambda x: (x[2] / x[1], x[0]))
    return (
        f"'{breach.name}' was met by {breach.met:,} of {breach.tickets:,} tickets measured from "
        f"{window.first} to {window.last} ({breach.percent:.1f}%), against a target of {breach.target:g}%: "
        f"{breach.tickets - breach.met:,} breaches, and {breach.near:,} more tickets met it only just. "
        f"The target was missed in {len(missed)} of {len(measured)} months; the worst was "
        f"{worst[0]:%B %Y}, with {worst[2] * 100.0 / worst[1]:.1f}% of {worst[1]:,} tickets. "
        f"Source: {origin}"
    )


def _levels(breach: Breach) -> dict[str, int]:
    impact = 5 if breach.gap >= 40 else 4 if breach.gap >= 20 else 3 if breach.gap >= 10 else 2
    return {"impact": impact, "urgency": min(5, impact), "benefit": impact, "effort": 3}


def raise_entries(
    *, users: dict[str, Any], window: Window, origin: str, services: dict[str, Any], standards: dict[str, Any]
) -> list[Opportunity]:
    """Raise up to MAX_ENTRIES entries as chris.contributor (source: standard breach) and attach the
    evidence to each. Returns them worst first."""
    chris = users["chris.contributor"]
    entries = []
    for breach in breaches(actor=chris)[:MAX_ENTRIES]:
        standard = standards[breach.standard]
        entry = register_services.opportunity_raise(
            actor=chris,
            data={
                "title": f"{breach.name}: {breach.percent:.1f}% met against {breach.target:g}%"[:200],
                "source": OpportunitySource.STANDARD_BREACH,
                "service": services.get(breach.service),
                "standard": standard,
                "kpi": f"Attainment of {breach.standard}",
                "description": _description(breach, window, origin),
                "justification": f"A service level commitment ({standard.get_kind_display()}) to "
                f"{standard.counterparty or 'the business'}, breached {breach.tickets - breach.met:,} times "
                "in the period measured.",
                "expected_benefit": f"Attainment back to {breach.target:g}% or better.",
                "size": Size.MEDIUM if breach.gap < 20 else Size.LARGE,
                "timescale": Timescale.MEDIUM,
                "actioned_by": users["olivia.owner"],
                "required_by_date": window.day(180),
                **_levels(breach),
            },
        )
        for kind, params in (
            ("attainment", {"standard_key": breach.standard, "period": "month"}),
            ("pareto", {"standard_key": breach.standard, "attribute": PARETO_BY}),
        ):
            evidence_services.evidence_attach(actor=chris, opportunity=entry, kind=kind, params=params)
        entries.append(entry)
    return entries


def assess_entries(*, users: dict[str, Any], entries: list[Opportunity]) -> None:
    """The service owner starts assessing the third entry and defers the fourth (the first two are
    accepted into the service improvement plan by the caller); the others stay new."""
    olivia = users["olivia.owner"]
    if len(entries) > 2:
        register_services.opportunity_transition(actor=olivia, opportunity=entries[2], action="assess")
    if len(entries) > 3:
        register_services.opportunity_transition(
            actor=olivia,
            opportunity=entries[3],
            action="defer",
            deferred_until_date=timezone.localdate() + timedelta(days=91),
            reason="After the worst-kept SLAs are dealt with.",
        )
