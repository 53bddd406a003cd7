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

import itertools
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from csi.analytics.business import clock_table, pause_segments
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


def _day_pieces(zone: str, first: datetime, last: datetime) -> ir.Table:
    """The local days of `_days_table` cut at UTC midnights: columns _day_utc (the UTC date of the piece),
    _day_from, _day_to (naive UTC, [from, to) within that UTC date) and local_day. An instant t lies in
    local day D exactly when it matches the piece of D with _day_utc = t's UTC date and _day_from <= t <
    _day_to, so the report finds its day by an equi-join (every engine hashes it) instead of a range join."""
    tz = ZoneInfo(zone)
    start = first.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1)
    end = last.replace(tzinfo=UTC).astimezone(tz).date() + timedelta(days=1)
    dates, froms, tos, days = [], [], [], []
    day = start
    while day <= end:
        low = _naive_utc(datetime.combine(day, time(0), tz))
        high = _naive_utc(datetime.combine(day + timedelta(days=1), time(0), tz))
        while low < high:
            midnight = datetime.combine(low.date() + timedelta(days=1), time(0))
            piece_end = min(high, midnight)
            dates.append(low.date())
            froms.append(low)
            tos.append(piece_end)
            days.append(day)
            low = piece_end
        day += timedelta(days=1)
    return ibis.memtable(
        pa.table(
            {
                "_day_utc": pa.array(dates, pa.date32()),
                "_day_from": pa.array(froms, pa.timestamp("us")),
                "_day_to": pa.array(tos, pa.timestamp("us")),
                "local_day": pa.array(days, pa.date32()),
            }
        )
    )


def _clock_groups(targets: list[VersionTarget]) -> list[list[VersionTarget]]:
    """Targets sharing a clock (calendar, pause states, metric), in first-seen order."""
    groups: dict[tuple[object, ...], list[VersionTarget]] = defaultdict(list)
    for target in targets:
        groups[(_calendar_key(target.calendar), target.pause_states, target.metric)].append(target)
    return list(groups.values())


def _in_service(table: ir.Table, services: ir.Table, service_key: str) -> ir.Table:
    return table.semi_join(services.filter(services.service == service_key).select("ticket_id"), "ticket_id")


def _span(facts: ir.Table) -> dict[str, datetime | None]:
    """One small query over the facts: `first` opened_at and `last` event (the days the report covers),
    and `low`/`high`, the earliest and latest clock instant (the range the calendar lookups cover)."""
    stops = list(STOP_COLUMN.values())
    instants = ["opened_at", *stops]
    row: dict[str, Any] = (
        facts.aggregate(
            first=facts.opened_at.min(),
            last=facts.last_event_at.max(),
            **{f"_min_{name}": facts[name].min() for name in instants},
            **{f"_max_{name}": facts[name].max() for name in [*instants, "last_event_at"]},
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    lows = [row[f"_min_{name}"] for name in instants if row[f"_min_{name}"] is not None]
    highs = [row[key] for key in row if key.startswith("_max_") and row[key] is not None]
    return {
        "first": row["first"],
        "last": row["last"],
        "low": min(lows) if lows else None,
        "high": max(highs) if highs else None,
    }


def measured_tickets(
    events: ir.Table,
    facts: ir.Table,
    services: ir.Table,
    targets: list[VersionTarget],
    *,
    con: ibis.BaseBackend | None = None,
) -> list[tuple[VersionTarget, ir.Table]]:
    """For each target, its tickets whose clock has stopped: ticket_id, stop_at, seconds, met, near,
    and the Pareto attributes (from the facts). See `_measured` for how the clocks are shared."""
    attributes = facts.select("ticket_id", *PARETO_ATTRIBUTES)
    return [
        (
            target,
            table.join(attributes, "ticket_id").select("ticket_id", *PARETO_ATTRIBUTES, *table.columns[1:]),
        )
        for target, table in _measured(events, facts, services, targets, con=con)
    ]


def _measured(
    events: ir.Table,
    facts: ir.Table,
    services: ir.Table,
    targets: list[VersionTarget],
    *,
    con: ibis.BaseBackend | None = None,
    span: dict[str, datetime | None] | None = None,
) -> list[tuple[VersionTarget, ir.Table]]:
    """For each target, its tickets whose clock has stopped: ticket_id, stop_at, seconds, met, near.
    Clocks are computed once per (calendar, pause states, metric), the pause segments once for every
    pause state of the targets. With `con`, both are materialised there as temporary tables (the pauses,
    then every clock in one narrow table), so each version only filters them. `span` is `_span(facts)`
    when already known."""
    if not targets:
        return []
    span = span or _span(facts)
    low, high = span["low"], span["high"]
    if low is None or high is None:
        low = high = datetime(1970, 1, 1)
    scope_columns = sorted({name for target in targets for name, values in target.scope if values})
    carried = ["opened_at", *[name for name in scope_columns if name != "opened_at"]]
    stop_columns = sorted({STOP_COLUMN[target.metric] for target in targets})
    all_pauses = tuple(sorted({state for target in targets for state in target.pause_states}))
    pauses = None
    if all_pauses:
        # Every pause with its ticket's clock instants, joined once for every clock.
        segments = pause_segments(events, all_pauses)
        pauses = segments.join(facts.select("ticket_id", *carried, *stop_columns), "ticket_id")
        if con is not None:
            pauses = _materialised(con, "pauses", pauses)
    groups = _clock_groups(targets)
    clocked = []
    for number, members in enumerate(groups):
        first = members[0]
        stop = STOP_COLUMN[first.metric]
        by_service: dict[str, list[VersionTarget]] = defaultdict(list)
        for target in members:
            by_service[target.service_key].append(target)
        parts = []
        for service_key, mine in by_service.items():
            chosen = _in_service(facts, services, service_key)
            wanted = _scope_filter(chosen, mine[0])
            for target in mine[1:]:
                wanted |= _scope_filter(chosen, target)
            parts.append(chosen.filter(wanted & chosen[stop].notnull()).select("ticket_id", *carried, stop))
        stops = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=True)
        mine_pauses = None
        if first.pause_states and pauses is not None:
            # Only the pauses of tickets this clock may measure (their service is checked by the join).
            wanted = _scope_filter(pauses, members[0])
            for target in members[1:]:
                wanted |= _scope_filter(pauses, target)
            if set(first.pause_states) != set(all_pauses):
                wanted &= pauses.state.isin(first.pause_states)
            mine_pauses = pauses.filter(wanted & pauses[stop].notnull())
        clock = clock_table(
            stops,
            first.calendar,
            mine_pauses,
            "opened_at",
            stop,
            low=low,
            high=high,
            elapsed=False,
            pauses_joined=True,
        )
        clocked.append(
            clock.select(
                "ticket_id",
                *carried,
                stop_at=clock[stop],
                seconds=clock.business_seconds,
                _group=ibis.literal(number, "int64"),
            )
        )
    clocks = clocked[0] if len(clocked) == 1 else ibis.union(*clocked)
    if con is not None:
        clocks = _materialised(con, "clocks", clocks)
    measured: list[tuple[VersionTarget, ir.Table]] = []
    for number, members in enumerate(groups):
        mixed = len({target.service_key for target in members}) > 1
        for target in members:
            mine = clocks.filter((clocks._group == number) & _scope_filter(clocks, target))
            if mixed:
                mine = _in_service(mine, services, target.service_key)
            seconds = mine.seconds
            met = _meets(seconds, target)
            near = met & (seconds >= target.threshold_seconds * target.warning_percent / 100.0)
            measured.append(
                (
                    target,
                    mine.select("ticket_id", stop_at=mine.stop_at, seconds=seconds, met=met, near=near),
                )
            )
    return measured


_names = itertools.count()


def _materialised(con: ibis.BaseBackend, kind: str, table: ir.Table) -> ir.Table:
    return con.create_table(f"attainment_{kind}_{os.getpid()}_{next(_names)}", table, temp=True)


def attainment(
    con: ibis.BaseBackend, events: ir.Table, facts: ir.Table, services: ir.Table, targets: list[VersionTarget]
) -> AttainmentResult:
    """Run the attainment of every target: counts per version and local day, and breaches per
    attribute value (the Pareto), each as one query per group of targets sharing a time zone, after one
    query for the span of the facts and two that materialise the pauses and the clocks (temporary
    tables of `con`, gone with the connection)."""
    result = AttainmentResult()
    if not targets:
        return result
    span = _span(facts)
    first, last = span["first"], span["last"]
    if first is None or last is None:
        return result
    measured = _measured(events, facts, services, targets, con=con, span=span)
    _count(con, facts, measured, first, last, result)
    result.days.sort(key=lambda r: (r["version_id"], r["day"]))
    return result


def _count(
    con: ibis.BaseBackend,
    facts: ir.Table,
    measured: list[tuple[VersionTarget, ir.Table]],
    first: datetime,
    last: datetime,
    result: AttainmentResult,
) -> None:
    """Add to `result` the counts per version and local day (from the day before `first` to the day
    after `last`) and the breaches per attribute value, one query each per time zone."""
    by_zone: dict[str, list[ir.Table]] = defaultdict(list)
    for target, table in measured:
        by_zone[target.window_time_zone].append(
            table.mutate(version_id=ibis.literal(target.version_id, "int64"))
        )
    for zone, tables in by_zone.items():
        rows = ibis.union(*tables) if len(tables) > 1 else tables[0]
        pieces = _day_pieces(zone, first, last)
        dated = rows.join(
            pieces,
            [
                rows.stop_at.date() == pieces._day_utc,
                rows.stop_at >= pieces._day_from,
                rows.stop_at < pieces._day_to,
            ],
        )
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
        # Only the breaches need the attributes: fetched from the facts for those rows alone, then
        # unpivoted to (attribute, value) so that one grouping counts every attribute.
        attributes = facts.select("ticket_id", *[facts[name].cast("string") for name in PARETO_ATTRIBUTES])
        breached = rows.filter(~rows.met).select("ticket_id", "version_id")
        breached = breached.join(attributes, "ticket_id").pivot_longer(
            list(PARETO_ATTRIBUTES), names_to="attribute", values_to="value"
        )
        counts = breached.group_by(["version_id", "attribute", "value"]).aggregate(breaches=breached.count())
        found = sorted(
            con.to_pyarrow(counts).to_pylist(),
            key=lambda r: (
                PARETO_ATTRIBUTES.index(r["attribute"]),
                r["version_id"],
                r["value"] is None,
                r["value"] or "",
            ),
        )
        for row in found:
            result.pareto.append(
                {
                    "version_id": row["version_id"],
                    "attribute": row["attribute"],
                    "value": row["value"] if row["value"] is not None else "(none)",
                    "breaches": int(row["breaches"]),
                }
            )


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
