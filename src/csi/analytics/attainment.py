"""Attainment of ticket standards (response and resolution time), as Ibis expressions.

A ticket counts for a standard version when it belongs to the standard's service (the source's mapping
rules), matches the version's scope (priority, category, customer, ticket type) and was opened while
that version was in force (an SLA judges a ticket by the agreement in force when it was raised). Its
clock starts at `opened_at` and stops at `first_response_at` (response time) or `resolved_at`
(resolution time), running in the version's calendar (24 x 7 without one) and not while the ticket is
in one of the version's pause states (`csi.analytics.business.clock_seconds`). A ticket whose clock has
stopped is *met* when its measured time satisfies the comparator against the threshold, and a
*near-breach* when it is met but used at least `warning_percent` of the threshold. It is counted on the
local day (in the version's window time zone) on which the clock stopped; periods (week, month...) are
sums of days, so any period can be shown without scanning events again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from csi.analytics.business import clock_seconds
from csi.standards.business_time import CalendarSpec

STOP_COLUMN = {"response_time": "first_response_at", "resolution_time": "resolved_at"}
PARETO_ATTRIBUTES = ("priority", "category", "assignment_group", "configuration_item", "customer")


@dataclass(frozen=True)
class VersionTarget:
    """One standard version's definition, as plain data (no database)."""

    version_id: int
    standard_key: str
    service_key: str
    metric: str  # response_time or resolution_time
    comparator: str  # lte, lt, gte, gt
    threshold_seconds: float
    warning_percent: float
    effective_from: datetime  # aware
    effective_to: datetime | None  # aware; the next version's effective time
    calendar: CalendarSpec
    pause_states: tuple[str, ...] = ()
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()
    window_time_zone: str = "UTC"


@dataclass
class AttainmentResult:
    """Per version: counts per local day, and breaches per attribute value (over all days)."""

    days: list[dict[str, Any]] = field(default_factory=list)  # version_id, day, tickets, met, near_breached
    pareto: list[dict[str, Any]] = field(default_factory=list)  # version_id, attribute, value, breaches


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _calendar_key(spec: CalendarSpec) -> tuple[object, ...]:
    periods = tuple((day, tuple(spans)) for day, spans in sorted(spec.periods.items()))
    return (spec.time_zone, spec.always_open, periods, tuple(sorted(spec.holidays)))


def _scope_filter(table: ir.Table, target: VersionTarget) -> ir.BooleanValue:
    condition = table.opened_at >= _naive_utc(target.effective_from)
    if target.effective_to is not None:
        condition &= table.opened_at < _naive_utc(target.effective_to)
    for name, values in target.scope:
        if values:
            condition &= table[name].isin(list(values))
    return condition


def _meets(seconds: ir.FloatingValue, target: VersionTarget) -> ir.BooleanValue:
    threshold = target.threshold_seconds
    return {
        "lte": seconds <= threshold,
        "lt": seconds < threshold,
        "gte": seconds >= threshold,
        "gt": seconds > threshold,
    }[target.comparator]


def _days_table(zone: str, first: datetime, last: datetime) -> ir.Table:
    """Local days of `zone` covering [first, last] (naive UTC) as UTC [from, to) ranges."""
    tz = ZoneInfo(zone)
    start = first.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1)
    end = last.replace(tzinfo=UTC).astimezone(tz).date() + timedelta(days=1)
    days, froms, tos = [], [], []
    day = start
    while day <= end:
        days.append(day)
        froms.append(_naive_utc(datetime.combine(day, time(0), tz)))
        tos.append(_naive_utc(datetime.combine(day + timedelta(days=1), time(0), tz)))
        day += timedelta(days=1)
    return ibis.memtable(
        pa.table(
            {
                "local_day": pa.array(days, pa.date32()),
                "day_from": pa.array(froms, pa.timestamp("us")),
                "day_to": pa.array(tos, pa.timestamp("us")),
            }
        )
    )


def measured_tickets(
    events: ir.Table, facts: ir.Table, services: ir.Table, targets: list[VersionTarget]
) -> list[tuple[VersionTarget, ir.Table]]:
    """For each target, its tickets whose clock has stopped: ticket_id, stop_at, seconds, met, near,
    and the Pareto attributes. Clocks are computed once per (calendar, pause states, metric)."""
    groups: dict[tuple[object, ...], list[VersionTarget]] = defaultdict(list)
    for target in targets:
        groups[(_calendar_key(target.calendar), target.pause_states, target.metric)].append(target)
    measured: list[tuple[VersionTarget, ir.Table]] = []
    for members in groups.values():
        calendar, pauses, stop = members[0].calendar, members[0].pause_states, STOP_COLUMN[members[0].metric]
        candidates = []
        for target in members:
            mine = services.filter(services.service == target.service_key).select("ticket_id")
            chosen = facts.semi_join(mine, "ticket_id")
            chosen = chosen.filter(_scope_filter(chosen, target) & chosen[stop].notnull())
            candidates.append((target, chosen))
        stops = ibis.union(*[c.select("ticket_id", "opened_at", stop) for _, c in candidates], distinct=True)
        clocks = clock_seconds(events, stops, calendar, pauses, "opened_at", stop)
        for target, chosen in candidates:
            joined = chosen.join(clocks, "ticket_id")
            seconds = joined.business_seconds
            met = _meets(seconds, target)
            near = met & (seconds >= target.threshold_seconds * target.warning_percent / 100.0)
            measured.append(
                (
                    target,
                    joined.select(
                        "ticket_id",
                        *PARETO_ATTRIBUTES,
                        stop_at=joined[stop],
                        seconds=seconds,
                        met=met,
                        near=near,
                    ),
                )
            )
    return measured


def attainment(
    con: ibis.BaseBackend, events: ir.Table, facts: ir.Table, services: ir.Table, targets: list[VersionTarget]
) -> AttainmentResult:
    """Run the attainment of every target: counts per version and local day, and breaches per
    attribute value (the Pareto), each as one query per group of targets sharing a time zone."""
    result = AttainmentResult()
    if not targets:
        return result
    measured = measured_tickets(events, facts, services, targets)
    span = con.to_pyarrow(
        facts.aggregate(first=facts.opened_at.min(), last=facts.last_event_at.max())
    ).to_pylist()[0]
    first, last = span["first"], span["last"]
    if first is None or last is None:
        return result
    by_zone: dict[str, list[ir.Table]] = defaultdict(list)
    for target, table in measured:
        by_zone[target.window_time_zone].append(
            table.mutate(version_id=ibis.literal(target.version_id, "int64"))
        )
    for number, (zone, tables) in enumerate(by_zone.items()):
        # Materialised once: the daily counts and every Pareto read it.
        rows = con.create_table(f"measured_{number}_{id(result)}", ibis.union(*tables), temp=True)
        days = _days_table(zone, first, last)
        dated = rows.join(days, [rows.stop_at >= days.day_from, rows.stop_at < days.day_to])
        daily = dated.group_by(["version_id", "local_day"]).aggregate(
            tickets=dated.count(),
            met=dated.met.sum(),
            near_breached=dated.near.sum(),
        )
        for row in con.to_pyarrow(daily).to_pylist():
            result.days.append(
                {
                    "version_id": row["version_id"],
                    "day": row["local_day"],
                    "tickets": int(row["tickets"]),
                    "met": int(row["met"] or 0),
                    "near_breached": int(row["near_breached"] or 0),
                }
            )
        breached = rows.filter(~rows.met)
        for attribute in PARETO_ATTRIBUTES:
            counts = breached.group_by(["version_id", breached[attribute].name("value")]).aggregate(
                breaches=breached.count()
            )
            for row in con.to_pyarrow(counts).to_pylist():
                result.pareto.append(
                    {
                        "version_id": row["version_id"],
                        "attribute": attribute,
                        "value": row["value"] if row["value"] is not None else "(none)",
                        "breaches": int(row["breaches"]),
                    }
                )
    result.days.sort(key=lambda r: (r["version_id"], r["day"]))
    return result


def period_start(day: date, period: str) -> date:
    """The first day of the calendar period holding `day`."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown period '{period}' (day, week, month, quarter, year)")
