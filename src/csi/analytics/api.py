"""API endpoints of the analytics: ticket figures, backlog, attainment, the board, Pareto.

Every query under /analytics/ answers JSON, or CSV with `?format=csv` (a download with a header row,
empty cells for nulls). Attainment, the board, Pareto and service performance read the rollups;
tickets and backlog query the source's measured data directly."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema, Status

from csi.analytics import selectors, services
from csi.analytics.limits import check_rows
from csi.analytics.schemas import (
    SERVICE_KEY,
    AttainmentQuery,
    AttainmentRowOut,
    BacklogOut,
    BacklogQuery,
    BoardEntryOut,
    BoardQuery,
    EventCountOut,
    EventsQuery,
    ParetoQuery,
    ParetoRowOut,
    PerformanceQuery,
    RefreshQueuedOut,
    ServicePerformanceOut,
    StatesQuery,
    StateTimeOut,
    TicketFiguresOut,
    TicketsQuery,
)
from csi.api.errors import ERROR_RESPONSES
from csi.catalog import selectors as catalog_selectors
from csi.core.spreadsheets import csv_download, csv_text
from csi.measures import selectors as measures_selectors
from csi.measures.choices import TICKET_KINDS
from csi.measures.models import DataSource
from csi.standards import selectors as standards_selectors

router = Router(tags=["analytics"])
ServiceKeyPath = Path(..., pattern=SERVICE_KEY, max_length=63)

BOARD_COLUMNS = (
    "standard",
    "name",
    "service",
    "kind",
    "period_start",
    "tickets",
    "met",
    "breached",
    "near_breached",
    "attainment_percent",
    "target_percent",
    "status",
    "trend_direction",
    "trend_slope_points_per_period",
    "trend_p_value",
    "trend_significant",
    "budget_window_start",
    "budget_window_end",
    "budget_tickets",
    "budget_breached",
    "budget_allowed_breaches",
    "budget_remaining",
    "burn_rate_1d",
    "burn_rate_7d",
    "burn_rate_30d",
)


def _csv(name: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> HttpResponse:
    """Rows as a CSV download; values as measured, except text a spreadsheet would run as a formula."""
    text = csv_text(columns, ([row.get(column) for column in columns] for row in rows))
    return csv_download(f"{name}.csv", text)


def _answer(name: str, schema: type[Schema], rows: list[dict[str, Any]], output: str) -> Any:
    return _csv(name, list(schema.model_fields), rows) if output == "csv" else rows


def _ticket_source(request: HttpRequest, key: str) -> DataSource:
    """The source (404 when unknown); one that holds no tickets is a bad parameter."""
    source = measures_selectors.source_get(actor=request.user, key=key)
    if source.kind not in TICKET_KINDS:
        raise ValidationError({"source": f"'{key}' holds {source.get_kind_display().lower()}, not tickets."})
    return source


# `?format=csv` answers the same rows as CSV: documented so that clients (and schemathesis) expect it.
CSV_RESPONSE = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}


@router.get(
    "/analytics/tickets",
    openapi_extra=CSV_RESPONSE,
    response={200: list[TicketFiguresOut], **ERROR_RESPONSES},
    summary="Ticket figures per group",
)
def tickets(request: HttpRequest, query: Query[TicketsQuery]):
    """Per value of `by` (or one row, key `all`) over the source's tickets opened in [`from`, `to`):
    counts, resolution and lifetime hours (mean, median, p90, p95), rates (0..1) and arrivals per day.
    `by` names which value of a ticket's history counts: `priority` its latest version's (or the history
    its profile field names), `first:priority` its first, `ever:assignment_group` every value it ever had
    -- a ticket then counts once in each of those groups, so the groups overlap and their tickets do not
    add up to the total. A ticket without any value is in the group whose key is null.
    Bounds are dates (midnight UTC) or ISO 8601 date-times (UTC unless they carry an offset)."""
    _ticket_source(request, query.source)
    rows = selectors.tickets_report(
        actor=request.user, source_key=query.source, by=query.by, start=query.start, end=query.end
    )
    return _answer("tickets", TicketFiguresOut, rows, query.format)


@router.get(
    "/analytics/backlog",
    openapi_extra=CSV_RESPONSE,
    response={200: list[BacklogOut], **ERROR_RESPONSES},
    summary="Backlog at an instant",
)
def backlog(request: HttpRequest, query: Query[BacklogQuery]):
    """Tickets opened at or before `at` and not closed at `at`, per value of `by` (or key `all`)."""
    _ticket_source(request, query.source)
    rows = selectors.backlog_report(actor=request.user, source_key=query.source, at=query.at, by=query.by)
    return _answer("backlog", BacklogOut, rows, query.format)


@router.get(
    "/analytics/states",
    openapi_extra=CSV_RESPONSE,
    response={200: list[StateTimeOut], **ERROR_RESPONSES},
    summary="Time in each state",
)
def states(request: HttpRequest, query: Query[StatesQuery]):
    """Per state: tickets that spent time in it, total, mean, median and p90 hours spent in it (calendar
    time from entering it to the ticket's next event). A ticket's final state has no next event, so its
    open interval gives no sample (a 0-hour sample would pull the median down); with `until`, a ticket
    not resolved or closed counts its final state up to that instant."""
    _ticket_source(request, query.source)
    rows = selectors.states_report(actor=request.user, source_key=query.source, until=query.until)
    return _answer("states", StateTimeOut, rows, query.format)


@router.get(
    "/analytics/events",
    openapi_extra=CSV_RESPONSE,
    response={200: list[EventCountOut], **ERROR_RESPONSES},
    summary="Events per state or attribute",
)
def events(request: HttpRequest, query: Query[EventsQuery]):
    """Per value of the event attribute `by` (default `state`; `(none)` for events without one), over the
    events whose time lies in [`from`, `to`): how many events carry it and how many tickets have at least
    one such event (a ticket counts under every value it has an event of)."""
    _ticket_source(request, query.source)
    rows = selectors.events_report(
        actor=request.user, source_key=query.source, by=query.by, start=query.start, end=query.end
    )
    return _answer("events", EventCountOut, rows, query.format)


@router.get(
    "/analytics/attainment",
    openapi_extra=CSV_RESPONSE,
    response={200: list[AttainmentRowOut], **ERROR_RESPONSES},
    summary="Attainment per standard and period",
)
def attainment(request: HttpRequest, query: Query[AttainmentQuery]):
    """Per standard, version and period (day, week, month, quarter, year): tickets whose clock stopped,
    met, breached, near-breached, attainment against the target and a status. `from`/`to` bound the days
    counted ([from, to)). From the rollups, as of the last refresh."""
    if query.service:
        catalog_selectors.service_get(actor=request.user, key=query.service)
    if query.standard:
        standards_selectors.standard_get(actor=request.user, key=query.standard)
    rows = [
        row.as_dict()
        for row in selectors.attainment_table(
            actor=request.user,
            service_key=query.service,
            standard_key=query.standard,
            period=query.period,
            start=query.start,
            end=query.end,
        )
    ]
    return _answer("attainment", AttainmentRowOut, rows, query.format)


def _board_row(entry: dict[str, Any]) -> dict[str, Any]:
    trend, budget = entry["trend"] or {}, entry["budget"] or {}
    burn = budget.get("burn_rates") or {}
    return {
        **{k: entry[k] for k in ("standard", "name", "service", "kind")},
        **{k: v for k, v in entry["latest"].items() if k in BOARD_COLUMNS and k not in entry},
        **{f"trend_{k}": v for k, v in trend.items()},
        **{f"budget_{k}": v for k, v in budget.items() if k != "burn_rates"},
        **{f"burn_rate_{k}": v for k, v in burn.items()},
    }


@router.get(
    "/analytics/board",
    openapi_extra=CSV_RESPONSE,
    response={200: list[BoardEntryOut], **ERROR_RESPONSES},
    summary="The attainment board",
)
def board(request: HttpRequest, query: Query[BoardQuery]):
    """Every standard with measured data: its latest period, status, trend over the last 12 periods
    (Mann-Kendall), error budget and burn rates. The CSV has one flat row per standard."""
    entries = selectors.attainment_board(actor=request.user, period=query.period)
    if query.format == "csv":
        return _csv("board", BOARD_COLUMNS, [_board_row(e) for e in entries])
    return entries


@router.get(
    "/analytics/pareto",
    openapi_extra=CSV_RESPONSE,
    response={200: list[ParetoRowOut], **ERROR_RESPONSES},
    summary="A standard's breaches by attribute",
)
def pareto(request: HttpRequest, query: Query[ParetoQuery]):
    """Breaches of the standard per value of one attribute, most first, with the cumulative share."""
    standards_selectors.standard_get(actor=request.user, key=query.standard)
    rows = selectors.breach_pareto(actor=request.user, standard_key=query.standard, attribute=query.attribute)
    check_rows(rows, field="attribute")
    return _answer("pareto", ParetoRowOut, rows, query.format)


@router.get(
    "/services/{key}/performance",
    response={200: ServicePerformanceOut, **ERROR_RESPONSES},
    summary="A service's measured performance",
)
def service_performance(request: HttpRequest, query: Query[PerformanceQuery], key: str = ServiceKeyPath):
    """The service's tickets per day (opened, resolved, closed, backlog), its resolution-hour
    distribution, and the attainment of its standards per period. From the rollups."""
    service = catalog_selectors.service_get(actor=request.user, key=key)
    return {
        "service": service.key,
        "days": selectors.service_days(actor=request.user, service_key=service.key),
        "durations": selectors.service_durations(actor=request.user, service_key=service.key),
        "attainment": [
            row.as_dict()
            for row in selectors.attainment_table(
                actor=request.user, service_key=service.key, period=query.period
            )
        ],
    }


@router.post(
    "/analytics/refresh",
    response={202: RefreshQueuedOut, **ERROR_RESPONSES},
    summary="Recompute the rollups in the background",
)
def refresh(request: HttpRequest):
    """Queue a recomputation of every rollup from the committed data and the standards in force for the
    background worker (it takes seconds to minutes with much data: no request waits for it). They are
    refreshed after every import and rule change already. Data managers. `csi analytics refresh` runs it
    at once."""
    task_id = services.rollups_refresh_later(actor=request.user)
    return Status(
        202,
        {
            "task_id": task_id,
            "message": "The rollups are being recomputed in the background.",
            "last_refresh": selectors.last_refresh(),
        },
    )
