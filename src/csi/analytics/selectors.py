"""Reads of the analytics app. Attainment, the board and the service performance page read rollups
only (small tables in the app database); `tickets_report` and `backlog_report` query a source's Parquet
batches directly with the Ibis expressions (ad hoc questions the rollups do not answer)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
from django.conf import settings
from django.db.models import Max, Sum

from csi.analytics import limits, ticket_groups
from csi.analytics import tickets as ticket_engine
from csi.analytics.attainment import period_start
from csi.analytics.engine import source_tables, ticket_rules
from csi.analytics.models import AttainmentDay, BreachCount, RollupRun, ServiceDay, ServiceDuration
from csi.analytics.statistics import mann_kendall
from csi.core.bounds import check_range, check_year
from csi.core.permissions import require
from csi.core.services import Actor
from csi.measures import selectors as measures_selectors
from csi.measures import store
from csi.standards import windows
from csi.standards.models import ServiceStandard, StandardVersion

PERIODS = ("day", "week", "month", "quarter", "year")
BURN_WINDOWS = (1, 7, 30)  # days


@dataclass(frozen=True)
class AttainmentRow:
    standard: str
    standard_name: str
    service: str
    version: int
    metric: str
    period_start: date
    tickets: int
    met: int
    breached: int
    near_breached: int
    attainment_percent: float | None
    target_percent: float
    status: str  # green (met), amber (met, but not without its near-breaches), red (missed), none

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_of(tickets: int, met: int, near: int, target: float) -> str:
    """green: target met; amber: met, but it would not be without the near-breaches (at risk);
    red: target missed; none: no tickets."""
    if tickets == 0:
        return "none"
    if met * 100.0 / tickets < target:
        return "red"
    if (met - near) * 100.0 / tickets < target:
        return "amber"
    return "green"


def figure_target(version: StandardVersion) -> float:
    """The percentage a period's figure is held to: for availability the threshold itself (99.9 % of
    the time up), for every other metric the share of tickets or answers that must meet the threshold."""
    if version.metric == "availability":
        return float(version.threshold)
    return float(version.target_percent)


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 4) if whole else None


def _versions(standards: list[ServiceStandard]) -> dict[int, StandardVersion]:
    return {v.pk: v for v in StandardVersion.objects.filter(standard__in=standards)}


def attainment_table(
    *,
    actor: Actor,
    service_key: str | None = None,
    standard_key: str | None = None,
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
) -> list[AttainmentRow]:
    """Attainment per standard, version in force and period (sums of the daily rollups), oldest first.
    `start`/`end` bound the days counted ([start, end))."""
    require(actor, "standards.view_standards")
    check_range(start, end, max_days=settings.CSI_ANALYTICS_MAX_DAYS, narrow="; ask for a shorter period")
    if period not in PERIODS:
        raise ValueError(f"unknown period '{period}' (use {', '.join(PERIODS)})")
    standards = ServiceStandard.objects.select_related("service")
    if service_key:
        standards = standards.filter(service__key=service_key)
    if standard_key:
        standards = standards.filter(key=standard_key)
    by_id = {s.pk: s for s in standards}
    versions = _versions(list(by_id.values()))
    days = AttainmentDay.objects.filter(standard_id__in=by_id)
    if start:
        days = days.filter(day__gte=start)
    if end:
        days = days.filter(day__lt=end)
    totals: dict[tuple[int, int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for version_id, standard_id, day, tickets, met, near in days.values_list(
        "version_id", "standard_id", "day", "tickets", "met", "near_breached"
    ):
        counts = totals[(standard_id, version_id, period_start(day, period))]
        counts[0] += tickets
        counts[1] += met
        counts[2] += near
    rows = []
    for (standard_id, version_id, first_day), (tickets, met, near) in totals.items():
        standard, version = by_id[standard_id], versions[version_id]
        target = figure_target(version)
        rows.append(
            AttainmentRow(
                standard=standard.key,
                standard_name=standard.name,
                service=standard.service.key,
                version=version.number,
                metric=version.metric,
                period_start=first_day,
                tickets=tickets,
                met=met,
                breached=tickets - met,
                near_breached=near,
                attainment_percent=_percent(met, tickets),
                target_percent=target,
                status=status_of(tickets, met, near, target),
            )
        )
    rows.sort(key=lambda r: (r.service, r.standard, r.period_start, r.version))
    return rows


def _budget(version: StandardVersion, days: list[tuple[date, int, int]], last_day: date) -> dict[str, Any]:
    """Error budget over the version's window ending on `last_day`, and burn rates over 1, 7, 30 days.
    The budget is the share of tickets allowed to breach: (100 - target) %. Remaining 1 = untouched,
    0 = spent, negative = overspent. A burn rate of 1 spends the budget exactly over the window."""
    allowed_share = (100.0 - figure_target(version)) / 100.0
    first_day = windows.window_first_day(version, last_day)
    window = [(t, m) for day, t, m in days if first_day <= day <= last_day]
    tickets, breached = sum(t for t, _ in window), sum(t - m for t, m in window)
    allowed = allowed_share * tickets
    remaining = None if allowed == 0 else round(1 - breached / allowed, 4)
    burn = {}
    for length in BURN_WINDOWS:
        recent = [(t, m) for day, t, m in days if last_day - timedelta(days=length - 1) <= day <= last_day]
        n, bad = sum(t for t, _ in recent), sum(t - m for t, m in recent)
        burn[f"{length}d"] = round((bad / n) / allowed_share, 3) if n and allowed_share else None
    return {
        "window_start": first_day,
        "window_end": last_day,
        "tickets": tickets,
        "breached": breached,
        "allowed_breaches": round(allowed, 2),
        "remaining": remaining,
        "burn_rates": burn,
    }


def attainment_board(*, actor: Actor, period: str = "month") -> list[dict[str, Any]]:
    """Every standard with measured data: its latest period's attainment and status, the trend of its
    attainment over the last 12 periods (Mann-Kendall), and its error budget and burn rates."""
    rows = attainment_table(actor=actor, period=period)
    by_standard: dict[str, list[AttainmentRow]] = defaultdict(list)
    for row in rows:
        by_standard[row.standard].append(row)
    standards = {
        s.key: s
        for s in ServiceStandard.objects.filter(key__in=by_standard)
        .select_related("service")
        .prefetch_related("versions")
    }
    daily: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for standard_id, day, tickets, met in (
        AttainmentDay.objects.filter(standard__key__in=by_standard)
        .values("standard_id", "day")
        .annotate(t=Sum("tickets"), m=Sum("met"))
        .values_list("standard_id", "day", "t", "m")
        .order_by("day")
    ):
        daily[standard_id].append((day, tickets, met))
    board = []
    for key, periods in sorted(by_standard.items(), key=lambda kv: (kv[1][0].service, kv[0])):
        standard = standards[key]
        latest = periods[-1]
        series = [p.attainment_percent for p in periods[-12:] if p.attainment_percent is not None]
        trend = mann_kendall(series)
        version = max(standard.versions.all(), key=lambda v: (v.effective_at, v.number), default=None)
        days = daily.get(standard.pk, [])
        board.append(
            {
                "standard": key,
                "name": standard.name,
                "service": standard.service.key,
                "kind": standard.kind,
                "latest": latest.as_dict(),
                "trend": None
                if trend is None
                else {
                    "slope_points_per_period": round(trend.slope, 4),
                    "p_value": round(trend.p_value, 4),
                    "significant": trend.significant,
                    "direction": trend.direction,
                    "periods": trend.periods,
                },
                "budget": _budget(version, days, days[-1][0]) if version and days else None,
            }
        )
    return board


def breach_pareto(*, actor: Actor, standard_key: str, attribute: str) -> list[dict[str, Any]]:
    """Breaches of a standard by the value of one attribute, most first, with the cumulative share."""
    require(actor, "standards.view_standards")
    counts = (
        BreachCount.objects.filter(standard__key=standard_key, attribute=attribute)
        .values("value")
        .annotate(breaches=Sum("breaches"))
        .order_by("-breaches", "value")
    )
    total = sum(c["breaches"] for c in counts) or 1
    running, rows = 0, []
    for c in counts:
        running += c["breaches"]
        rows.append(
            {
                "value": c["value"],
                "breaches": c["breaches"],
                "cumulative_percent": round(running * 100.0 / total, 2),
            }
        )
    return rows


def service_days(*, actor: Actor, service_key: str) -> list[dict[str, Any]]:
    require(actor, "catalog.view_catalog")
    rows = ServiceDay.objects.filter(service__key=service_key).order_by("day")
    return [dict(r) for r in rows.values("day", "opened", "resolved", "closed", "backlog")]


def service_durations(*, actor: Actor, service_key: str) -> list[dict[str, Any]]:
    """The resolution-hour distribution of the service's tickets, all months together."""
    require(actor, "catalog.view_catalog")
    rows = (
        ServiceDuration.objects.filter(service__key=service_key)
        .values("low_hours", "high_hours")
        .annotate(tickets=Sum("tickets"))
        .order_by("low_hours")
    )
    return [dict(r) for r in rows]


def last_refresh() -> RollupRun | None:
    return RollupRun.objects.order_by("-finished_at").first()


def latest_measured_day() -> date | None:
    return AttainmentDay.objects.aggregate(last=Max("day"))["last"]


def _history_default(source: Any, by: str | None) -> str:
    """The profile's `history` for the bare attribute `by` (`last` unless the profile says otherwise)."""
    if by is None or ":" in by:
        return "last"
    field_map = source.profile.parsed.spec.field_map(by)
    return field_map.history if field_map is not None else "last"


def tickets_report(
    *, actor: Actor, source_key: str, by: str | None = None, start: Any = None, end: Any = None
) -> list[dict[str, Any]]:
    """`csi analytics tickets`: one row per value of `by` (or one in all) for tickets opened in
    [start, end) -- see `csi.analytics.tickets.ticket_summary` for every column's definition and
    `csi.analytics.ticket_groups` for the keys (`priority`, `first:priority`, `ever:assignment_group`;
    a bare attribute uses the history its profile field names, `last` by default).

    Bounded: from/to in the sane years and at most CSI_ANALYTICS_MAX_DAYS apart, at most
    CSI_ANALYTICS_MAX_GROUPS groups, at most CSI_ANALYTICS_TIME_LIMIT_SECONDS of work; beyond any of
    them a ValidationError (`TooMuchWork`) says how to narrow the question."""
    if by is not None:
        ticket_groups.parse_group(by)  # a ValueError naming the keys to use, before any work
    check_range(start, end, max_days=settings.CSI_ANALYTICS_MAX_DAYS, narrow="; ask for a shorter period")
    source = measures_selectors.source_get(actor=actor, key=source_key)
    default = _history_default(source, by)
    con = store.ibis_connection()
    try:
        with limits.time_limit(con):
            tables = source_tables(actor=actor, source=source, con=con)
            facts = tables.facts
            if by == "service":
                facts = facts.join(tables.services, "ticket_id")
            if by is not None:
                selected = ticket_engine.opened_between(facts, start, end)
                keys = ticket_groups.keyed(selected, by, tables.events, default).key
                limits.check_groups(con, keys.name(by))
            summary = ticket_engine.ticket_summary(
                facts, by=by, start=start, end=end, events=tables.events, default_history=default
            )
            return [_plain(row) for row in con.to_pyarrow(summary).to_pylist()]
    finally:
        con.disconnect()


def backlog_report(*, actor: Actor, source_key: str, at: Any, by: str | None = None) -> list[dict[str, Any]]:
    """`csi analytics backlog`: tickets opened at or before `at` and not closed at `at`, keyed like
    `tickets_report` (but not by service). Bounded like `tickets_report` (the year of `at`, groups,
    time)."""
    if by is not None and (by == "service" or ticket_groups.parse_group(by)[1] == "service"):
        raise ValueError(f"cannot group the backlog by '{by}'")
    check_year(at, field="at")
    source = measures_selectors.source_get(actor=actor, key=source_key)
    default = _history_default(source, by)
    con = store.ibis_connection()
    try:
        with limits.time_limit(con):
            tables = source_tables(actor=actor, source=source, con=con)
            table = ticket_engine.backlog_at(
                tables.facts, at, by=by, events=tables.events, default_history=default
            )
            rows = con.to_pyarrow(table.limit(settings.CSI_ANALYTICS_MAX_GROUPS + 1)).to_pylist()
            return [_plain(row) for row in limits.check_rows(rows)]
    finally:
        con.disconnect()


def events_report(
    *, actor: Actor, source_key: str, by: str = "state", start: Any = None, end: Any = None
) -> list[dict[str, Any]]:
    """`csi analytics events`: per value of the event attribute `by` (state by default; a null value is
    the key "(none)"), the events whose event_at lies in [start, end) carrying it and the tickets having
    at least one of them (`csi.analytics.tickets.event_summary`). Bounded like `tickets_report`."""
    if by not in ticket_groups.HISTORY_ATTRIBUTES:
        raise ValueError(
            f"cannot count events by '{by}' (use one of: {', '.join(ticket_groups.HISTORY_ATTRIBUTES)})"
        )
    check_range(start, end, max_days=settings.CSI_ANALYTICS_MAX_DAYS, narrow="; ask for a shorter period")
    source = measures_selectors.source_get(actor=actor, key=source_key)
    con = store.ibis_connection()
    try:
        with limits.time_limit(con):
            tables = source_tables(actor=actor, source=source, con=con)
            summary = ticket_engine.event_summary(tables.events, by=by, start=start, end=end)
            summary = summary.mutate(key=summary.key.fill_null("(none)")).order_by("key")
            rows = con.to_pyarrow(summary.limit(settings.CSI_ANALYTICS_MAX_GROUPS + 1)).to_pylist()
            return [_plain(row) for row in limits.check_rows(rows)]
    finally:
        con.disconnect()


def states_report(*, actor: Actor, source_key: str, until: Any = None) -> list[dict[str, Any]]:
    """Time in each state: per state, how many tickets spent time in it, the total, median and p90
    hours a ticket spent in it (calendar time from entering to the ticket's next event). A ticket's
    final state has no next event: its open interval gives no sample, unless `until` is given and the
    ticket is not resolved or closed (then it counts up to `until`); see
    `csi.analytics.tickets.state_durations`. Bounded in states (CSI_ANALYTICS_MAX_GROUPS) and time like
    `tickets_report`."""
    if until is not None:
        check_year(until, field="until")
    source = measures_selectors.source_get(actor=actor, key=source_key)
    con = store.ibis_connection()
    try:
        with limits.time_limit(con):
            tables = source_tables(actor=actor, source=source, con=con)
            spent = ticket_engine.state_durations(tables.events, ticket_rules(source), until=until)
            hours = spent.seconds.cast("float64") / 3600.0
            per_state = spent.group_by(spent.state.fill_null("(none)").name("state")).aggregate(
                tickets=spent.ticket_id.nunique(),
                total_hours=hours.sum(),
                mean_hours=hours.mean(),
                median_hours=hours.median(),
                p90_hours=hours.quantile(0.9),
            )
            ordered = per_state.order_by(ibis.desc("total_hours"), "state")
            rows = con.to_pyarrow(ordered.limit(settings.CSI_ANALYTICS_MAX_GROUPS + 1)).to_pylist()
            return [_plain(row) for row in limits.check_rows(rows, field="source")]
    finally:
        con.disconnect()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def attainment_between(*, actor: Actor, standard_key: str, start: date, end: date) -> dict[str, Any]:
    """One standard's attainment over the days [start, end) from the daily rollups, whatever versions
    were in force: tickets, met, near-breached and percent met (None without tickets)."""
    require(actor, "standards.view_standards")
    standard = ServiceStandard.objects.get(key=standard_key)
    totals = AttainmentDay.objects.filter(standard=standard, day__gte=start, day__lt=end).aggregate(
        tickets=Sum("tickets"), met=Sum("met"), near=Sum("near_breached")
    )
    tickets, met = int(totals["tickets"] or 0), int(totals["met"] or 0)
    return {
        "standard": standard_key,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "tickets": tickets,
        "met": met,
        "near_breached": int(totals["near"] or 0),
        "percent": round(100 * met / tickets, 2) if tickets else None,
    }
