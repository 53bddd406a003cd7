"""Pages of the analytics app: the attainment board, a service's performance page, and the Performance
section of the catalog's service page. They read rollups only (`csi.analytics.selectors`: small tables
in the app database), never the measurement store, so they answer fast however much data was imported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from csi.accounts.http import AuthenticatedRequest
from csi.analytics import charts, selectors
from csi.analytics.attainment import PARETO_ATTRIBUTES, period_start
from csi.analytics.selectors import AttainmentRow
from csi.catalog import selectors as catalog_selectors
from csi.catalog.models import Service
from csi.standards import selectors as standards_selectors
from csi.standards.choices import UNIT_SECONDS
from csi.standards.models import ServiceStandard, StandardVersion

PERIODS = (("week", "Week"), ("month", "Month"), ("quarter", "Quarter"))
DEFAULT_PERIOD = "month"
ATTRIBUTE_LABELS = {
    "priority": "Priority",
    "category": "Category",
    "assignment_group": "Assignment group",
    "configuration_item": "Configuration item",
    "customer": "Customer",
}
DEFAULT_ATTRIBUTE = "category"
CHART_PERIODS = 24  # the attainment chart and its table show the latest periods (longer: a larger period)
BACKLOG_DAYS = 120  # a longer history is shown per week
PARETO_BARS = 15  # the rest of the values are one "Other" bar
# The word always goes with the colour (and a symbol), so no reader depends on the colour alone.
STATUS = {
    "green": ("Green", "✓", "target met"),
    "amber": ("Amber", "!", "target met only thanks to near-breaches: at risk"),
    "red": ("Red", "✕", "target missed"),
    "none": ("No tickets", "-", "no ticket was measured in the period"),
}


def status_display(status: str) -> dict[str, str]:
    word, symbol, meaning = STATUS.get(status, STATUS["none"])
    return {"key": status if status in STATUS else "none", "word": word, "symbol": symbol, "meaning": meaning}


def period_label(start: date, period: str) -> str:
    """How a period reads on the page: 2024-01, 2024-W03, 2024 Q1."""
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return start.isoformat()


def _period(request: AuthenticatedRequest) -> str:
    period = request.GET.get("period", DEFAULT_PERIOD)
    return period if period in dict(PERIODS) else DEFAULT_PERIOD


def _measures_url() -> str | None:
    try:
        return reverse("measures:overview")
    except NoReverseMatch:
        return None


def _refresh() -> dict[str, Any] | None:
    run = selectors.last_refresh()
    if run is None:
        return None
    return {"finished_at": run.finished_at, "events": run.events, "tickets": run.tickets}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _latest_row(row: AttainmentRow, period: str) -> dict[str, Any]:
    return {
        "period": period_label(row.period_start, period),
        "tickets": row.tickets,
        "met": row.met,
        "breached": row.breached,
        "near_breached": row.near_breached,
        "attainment": _percent(row.attainment_percent),
        "target": f"{row.target_percent:g}",
        "status": status_display(row.status),
        "version": row.version,
    }


# ---------------------------------------------------------------------------------------------------
# The attainment board


def _trend(trend: dict[str, Any] | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "direction": trend["direction"],
        "slope": f"{trend['slope_points_per_period']:+.2f}",
        "significant": trend["significant"],
        "p_value": f"{trend['p_value']:.3f}",
        "periods": trend["periods"],
    }


def _budget(budget: dict[str, Any] | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    remaining = budget["remaining"]
    rates = budget["burn_rates"]
    return {
        "remaining": None if remaining is None else f"{remaining * 100:.0f}",
        "overspent": remaining is not None and remaining < 0,
        "window": f"{budget['window_start']:%Y-%m-%d} to {budget['window_end']:%Y-%m-%d}",
        "breached": budget["breached"],
        "allowed": f"{budget['allowed_breaches']:g}",
        "burn": [
            {"window": window, "rate": "—" if rates.get(window) is None else f"{rates[window]:.2f}"}
            for window in ("1d", "7d", "30d")
        ],
        "burning_fast": any((rate or 0) > 1 for rate in rates.values()),
    }


@login_required
def board(request: AuthenticatedRequest) -> HttpResponse:
    """Every standard with measured data, grouped by service: the latest period's attainment against the
    target with its status, near-breaches, trend, error budget and burn rates."""
    period = _period(request)
    entries = selectors.attainment_board(actor=request.user, period=period)
    keys = {entry["service"] for entry in entries}
    names = dict(Service.objects.filter(key__in=keys).values_list("key", "name"))
    groups: dict[str, dict[str, Any]] = {}
    for entry in entries:
        key = entry["service"]
        group = groups.setdefault(
            key,
            {
                "key": key,
                "name": names.get(key, key),
                "url": reverse("analytics:service", kwargs={"key": key}) + f"?period={period}",
                "rows": [],
            },
        )
        latest = entry["latest"]
        group["rows"].append(
            {
                "standard": entry["standard"],
                "name": entry["name"],
                "url": reverse("standards:standard_detail", kwargs={"key": entry["standard"]}),
                "latest": _latest_row(AttainmentRow(**latest), period),
                "trend": _trend(entry["trend"]),
                "budget": _budget(entry["budget"]),
            }
        )
    ordered = sorted(groups.values(), key=lambda group: str(group["name"]).lower())
    statuses: dict[str, int] = defaultdict(int)
    for entry in entries:
        statuses[entry["latest"]["status"]] += 1
    return render(
        request,
        "analytics/board.html",
        {
            "groups": ordered,
            "period": period,
            "periods": PERIODS,
            "period_name": dict(PERIODS)[period].lower(),
            "counts": [(status_display(key), statuses[key]) for key in STATUS if statuses.get(key)],
            "refresh": _refresh(),
            "measures_url": _measures_url(),
        },
    )


# ---------------------------------------------------------------------------------------------------
# A service's performance page


def _service(request: AuthenticatedRequest, key: str) -> Service:
    try:
        return catalog_selectors.service_get(actor=request.user, key=key)
    except Service.DoesNotExist as exc:
        raise Http404 from exc


def _threshold_hours(version: StandardVersion | None) -> float | None:
    if version is None or version.metric != "resolution_time" or version.threshold_unit not in UNIT_SECONDS:
        return None
    return float(version.threshold) * UNIT_SECONDS[version.threshold_unit] / 3600.0


def _attainment_block(
    index: int, standard: ServiceStandard, rows: Sequence[AttainmentRow], period: str
) -> dict[str, Any]:
    """One standard: its periods summed over versions (a version change inside a period gives two rows),
    the chart of the latest periods against the latest target, and their table (a row per version)."""
    per_period: dict[date, list[AttainmentRow]] = defaultdict(list)
    for row in rows:
        per_period[row.period_start].append(row)
    chart_rows, table_rows = [], []
    for start in sorted(per_period)[-CHART_PERIODS:]:
        parts = per_period[start]
        tickets = sum(p.tickets for p in parts)
        met = sum(p.met for p in parts)
        attainment = round(met * 100.0 / tickets, 2) if tickets else None
        label = period_label(start, period)
        chart_rows.append(
            {"period": label, "attainment_percent": attainment, "tickets": tickets, "breached": tickets - met}
        )
        for part in parts:
            table_rows.append(
                [
                    label,
                    part.version,
                    part.tickets,
                    part.met,
                    part.breached,
                    part.near_breached,
                    _percent(part.attainment_percent),
                    f"{part.target_percent:g}",
                    status_display(part.status)["word"],
                ]
            )
    latest = rows[-1]
    target = latest.target_percent
    title = f"{standard.name}: attainment per {period}"
    spec = charts.attainment_chart(chart_rows, target, title)
    shown = f"the latest {len(chart_rows)}" if len(per_period) > len(chart_rows) else "all"
    description = (
        f"Share of tickets that met the standard in each {period} ({shown}), against the "
        f"target of {target:g}% (dashed line); bars are coloured by how far they are from the target."
    )
    chart = charts.chart_context(
        f"attainment-{index}",
        spec,
        title,
        description,
        [
            "Period",
            "Version",
            "Tickets",
            "Met",
            "Breached",
            "Near-breaches",
            "Attainment (%)",
            "Target (%)",
            "Status",
        ],
        table_rows,
    )
    return {
        "key": standard.key,
        "name": standard.name,
        "url": reverse("standards:standard_detail", kwargs={"key": standard.key}),
        "latest": _latest_row(latest, period),
        "chart": chart,
    }


def _duration_chart(rows: list[dict[str, Any]], threshold: float | None, service: Service) -> dict[str, Any]:
    buckets = []
    for row in rows:
        low, high = float(row["low_hours"]), row["high_hours"]
        # The last bucket has no upper end; it is drawn as wide as its lower end.
        end = float(high) if high is not None else max(low * 2, low + 1)
        label = f"{low:g} to {float(high):g}" if high is not None else f"{low:g} or more"
        buckets.append(
            {"bucket_start_hours": low, "bucket_end_hours": end, "tickets": row["tickets"], "label": label}
        )
    title = f"{service.name}: resolution time"
    spec = charts.duration_histogram(buckets, threshold if threshold is not None else float("inf"), title)
    if threshold is None:
        # No resolution standard: plain bars, no threshold rule (an infinite rule is not even JSON).
        bars = spec["layer"][0]
        bars["encoding"].pop("color")
        bars["mark"]["color"] = charts.BAR
        spec["layer"] = [bars]
        against = "The service has no resolution-time standard, so no threshold is drawn."
    else:
        against = f"The dashed line is the resolution standard's threshold of {threshold:g} hours."
    description = (
        "Resolved tickets by calendar hours from opening to resolution, all periods together. " + against
    )
    return charts.chart_context(
        "durations",
        spec,
        title,
        description,
        ["Hours", "Tickets"],
        [[bucket["label"], bucket["tickets"]] for bucket in buckets],
    )


def _backlog_chart(rows: list[dict[str, Any]], service: Service) -> dict[str, Any]:
    """Open tickets per day; over a long history per week (its last day's backlog, the week's sums), so
    that the chart stays legible and its table short."""
    unit = "day"
    if len(rows) > BACKLOG_DAYS:
        unit = "week"
        weeks: dict[date, dict[str, Any]] = {}
        for row in rows:
            week = weeks.setdefault(
                period_start(row["day"], "week"), {"opened": 0, "resolved": 0, "closed": 0}
            )
            for count in ("opened", "resolved", "closed"):
                week[count] += row[count]
            week["day"], week["backlog"] = row["day"], row["backlog"]  # rows are in day order
        rows = list(weeks.values())
    title = f"{service.name}: open tickets"
    spec = charts.backlog_chart([{"at": row["day"], "backlog": row["backlog"]} for row in rows], title)
    return charts.chart_context(
        "backlog",
        spec,
        title,
        f"Tickets opened and not yet closed at the end of each {unit} (UTC).",
        ["Day" if unit == "day" else "Week to", "Opened", "Resolved", "Closed", f"Open at end of {unit}"],
        [
            [row["day"].isoformat(), row["opened"], row["resolved"], row["closed"], row["backlog"]]
            for row in rows
        ],
    )


def _pareto(
    request: AuthenticatedRequest, service: Service, standards: Iterable[ServiceStandard]
) -> dict[str, Any]:
    """The Pareto of breaches for the standard and attribute chosen in the query string."""
    choices = [(s.key, s.name) for s in standards]
    keys = [key for key, _ in choices]
    standard_key = request.GET.get("standard", "")
    if standard_key not in keys:
        standard_key = keys[0] if keys else ""
    attribute = request.GET.get("attribute", DEFAULT_ATTRIBUTE)
    if attribute not in PARETO_ATTRIBUTES:
        attribute = DEFAULT_ATTRIBUTE
    context: dict[str, Any] = {
        "standards": choices,
        "standard": standard_key,
        "attribute": attribute,
        "attributes": [(a, ATTRIBUTE_LABELS.get(a, a)) for a in PARETO_ATTRIBUTES],
        "chart": None,
        "total": 0,
    }
    if not standard_key:
        return context
    rows = selectors.breach_pareto(actor=request.user, standard_key=standard_key, attribute=attribute)
    context["total"] = sum(row["breaches"] for row in rows)
    if not rows:
        return context
    # The chart and its table show the same bars: the values with most breaches, then the rest as one.
    table = [
        [row["value"], row["breaches"], f"{row['cumulative_percent']:.1f}"] for row in rows[:PARETO_BARS]
    ]
    bars = [{"value": row["value"], "breaches": row["breaches"]} for row in rows[:PARETO_BARS]]
    rest = rows[PARETO_BARS:]
    if rest:
        other = f"Other ({len(rest)} values)"
        bars.append({"value": other, "breaches": sum(r["breaches"] for r in rest)})
        table.append([other, bars[-1]["breaches"], "100.0"])
    name = dict(choices)[standard_key]
    label = ATTRIBUTE_LABELS.get(attribute, attribute).lower()
    title = f"{name}: breaches by {label}"
    context["chart"] = charts.chart_context(
        "pareto",
        charts.pareto_chart(bars, title),
        title,
        f"Breaches of the standard per {label}, most first, with the cumulative share of all breaches.",
        ["Value", "Breaches", "Cumulative (%)"],
        table,
    )
    return context


def _keep(pareto: dict[str, Any]) -> list[tuple[str, str]]:
    """The breakdown chosen, for the period form to keep when the period changes."""
    return (
        [("standard", pareto["standard"]), ("attribute", pareto["attribute"])] if pareto["standard"] else []
    )


@login_required
def service(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """One service's performance: attainment per standard and period against the target, the
    resolution-time distribution, the backlog over time, the Pareto of breaches, and the figures."""
    svc = _service(request, key)
    standards = list(standards_selectors.standard_list(actor=request.user, service_key=svc.key))
    period = _period(request)
    if request.htmx and request.htmx.target == "pareto":
        # Only the breakdown changes; the period form's copy of the choice follows out of band.
        pareto = _pareto(request, svc, standards)
        return render(
            request,
            "analytics/_pareto.html",
            {"service": svc, "pareto": pareto, "period": period, "keep": _keep(pareto), "oob": True},
        )
    by_standard: dict[str, list[AttainmentRow]] = defaultdict(list)
    for row in selectors.attainment_table(actor=request.user, service_key=svc.key, period=period):
        by_standard[row.standard].append(row)
    blocks = [
        _attainment_block(index, standard, by_standard[standard.key], period)
        for index, standard in enumerate(standards, start=1)
        if by_standard.get(standard.key)
    ]
    unmeasured = [standard for standard in standards if not by_standard.get(standard.key)]
    # The histogram's threshold: the chosen standard's when it is a resolution-time one, else the shortest.
    chosen = request.GET.get("standard", "")
    thresholds = sorted(
        (standard.key != chosen, hours)
        for standard in standards
        if (hours := _threshold_hours(standards_selectors.latest_version(standard))) is not None
    )
    threshold = thresholds[0][1] if thresholds else None
    pareto = _pareto(request, svc, [s for s in standards if by_standard.get(s.key)])
    durations = selectors.service_durations(actor=request.user, service_key=svc.key)
    days = selectors.service_days(actor=request.user, service_key=svc.key)
    return render(
        request,
        "analytics/service.html",
        {
            "service": svc,
            "period": period,
            "periods": PERIODS,
            "period_name": dict(PERIODS)[period].lower(),
            "blocks": blocks,
            "unmeasured": unmeasured,
            "durations": _duration_chart(durations, threshold, svc) if durations else None,
            "backlog": _backlog_chart(days, svc) if days else None,
            "pareto": pareto,
            "keep": _keep(pareto),
            "refresh": _refresh(),
            "measures_url": _measures_url(),
        },
    )


# ---------------------------------------------------------------------------------------------------
# The Performance section of the catalog's service page


def service_section_context(request: AuthenticatedRequest, service: Service) -> dict[str, Any]:
    """For the catalog's service page: the latest monthly attainment of each of the service's standards
    (from the rollups: three small queries, whatever the number of standards)."""
    if not request.user.has_perm("standards.view_standards"):
        return {"allowed": False}
    latest: dict[str, AttainmentRow] = {}
    for row in selectors.attainment_table(actor=request.user, service_key=service.key, period=DEFAULT_PERIOD):
        latest[row.standard] = row  # oldest first: the last one is the latest period (and version)
    rows = [
        {
            "standard": row.standard,
            "name": row.standard_name,
            "url": reverse("standards:standard_detail", kwargs={"key": row.standard}),
            "latest": _latest_row(row, DEFAULT_PERIOD),
        }
        for row in sorted(latest.values(), key=lambda row: row.standard_name.lower())
    ]
    return {
        "allowed": True,
        "rows": rows,
        "url": reverse("analytics:service", kwargs={"key": service.key}),
    }
