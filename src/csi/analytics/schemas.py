"""API schemas of the analytics: query parameters and the rows each query answers."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from csi.api.schemas import IsoDate

KEY = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
SERVICE_KEY = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Must equal csi.measures.schema.ATTRIBUTES (+ state, service) and csi.analytics.selectors.PERIODS /
# csi.analytics.attainment.PARETO_ATTRIBUTES; the API tests check they do.
_ATTRIBUTES = (
    "ticket_type|priority|impact|urgency|category|subcategory|assignment_group|assignee|customer"
    "|configuration_item|channel|state"
)
# A group key (csi.analytics.ticket_groups): an attribute, optionally `first:`, `ever:` or `last:`.
TICKET_GROUP = rf"^(((last|first|ever):)?({_ATTRIBUTES})|service)$"
BACKLOG_GROUP = rf"^((last|first|ever):)?({_ATTRIBUTES})$"
EVENT_GROUP = rf"^({_ATTRIBUTES})$"
GROUP_HELP = (
    "Group by an attribute: `priority` counts the value of the ticket's latest version (or the history "
    "its profile field names), `first:priority` its first value, `ever:assignment_group` every value it "
    "ever had: a ticket counts once in each such group, so with `ever:` the groups overlap and do not add "
    "up to the total. None: one row for all."
)
Period = Literal["day", "week", "month", "quarter", "year"]
ParetoAttribute = Literal["priority", "category", "assignment_group", "configuration_item", "customer"]
OutputFormat = Literal["json", "csv"]


def _instant(value: Any) -> Any:
    """YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time (UTC unless it carries an offset)."""
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValueError("Give a date (YYYY-MM-DD) or an ISO 8601 date-time.")
    try:
        return date.fromisoformat(value) if _DATE.match(value) else datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "Give a date (YYYY-MM-DD) or an ISO 8601 date-time (YYYY-MM-DDTHH:MM[:SS][+01:00])."
        ) from None


Instant = Annotated[date | datetime, BeforeValidator(_instant)]


class TicketsQuery(Schema):
    source: str = Field(pattern=KEY, max_length=63, description="The data source's key")
    by: str | None = Field(None, pattern=TICKET_GROUP, max_length=40, description=GROUP_HELP)
    start: Instant | None = Field(None, alias="from", description="Tickets opened at or after (UTC)")
    end: Instant | None = Field(None, alias="to", description="Tickets opened before (UTC)")
    format: OutputFormat = "json"


class BacklogQuery(Schema):
    source: str = Field(pattern=KEY, max_length=63, description="The data source's key")
    at: Instant = Field(description="The instant: tickets opened at or before it and not closed at it")
    by: str | None = Field(None, pattern=BACKLOG_GROUP, max_length=40, description=GROUP_HELP)
    format: OutputFormat = "json"


class StatesQuery(Schema):
    source: str = Field(pattern=KEY, max_length=63, description="The data source's key")
    until: Instant | None = Field(
        None,
        description="Count the open interval of tickets not resolved or closed up to this instant (UTC); "
        "without it a ticket's final state gives no sample",
    )
    format: OutputFormat = "json"


class EventsQuery(Schema):
    source: str = Field(pattern=KEY, max_length=63, description="The data source's key")
    by: str = Field("state", pattern=EVENT_GROUP, max_length=40, description="The event attribute")
    start: Instant | None = Field(None, alias="from", description="Events at or after (UTC)")
    end: Instant | None = Field(None, alias="to", description="Events before (UTC)")
    format: OutputFormat = "json"


class AttainmentQuery(Schema):
    service: str | None = Field(None, pattern=SERVICE_KEY, max_length=63)
    standard: str | None = Field(None, pattern=KEY, max_length=63)
    period: Period = "month"
    start: IsoDate | None = Field(None, alias="from", description="First day counted")
    end: IsoDate | None = Field(None, alias="to", description="Day after the last day counted")
    format: OutputFormat = "json"


class BoardQuery(Schema):
    period: Period = "month"
    format: OutputFormat = "json"


class ParetoQuery(Schema):
    standard: str = Field(pattern=KEY, max_length=63)
    attribute: ParetoAttribute = "category"
    format: OutputFormat = "json"


class PerformanceQuery(Schema):
    period: Period = "month"


class TicketFiguresOut(Schema):
    key: str | None = Field(description="The group's value, 'all', or null for tickets without a value")
    tickets: int
    events: int
    resolved: int
    mean_resolution_hours: float | None
    median_resolution_hours: float | None
    p90_resolution_hours: float | None
    p95_resolution_hours: float | None
    mean_lifetime_hours: float | None
    median_lifetime_hours: float | None
    sla_flag_met_rate: float | None = Field(description="0..1")
    reopened_rate: float | None
    reassigned_rate: float | None
    first_contact_resolution_rate: float | None
    arrivals_per_day: float | None


class BacklogOut(Schema):
    key: str | None
    backlog: int


class EventCountOut(Schema):
    key: str = Field(description="The attribute's value on the events, or '(none)'")
    events: int = Field(description="Events carrying the value")
    tickets: int = Field(description="Tickets with at least one such event")


class StateTimeOut(Schema):
    state: str
    tickets: int
    total_hours: float | None
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None


class AttainmentRowOut(Schema):
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
    status: str = Field(description="green (met), amber (met only with near-breaches), red (missed), none")


class TrendOut(Schema):
    slope_points_per_period: float
    p_value: float
    significant: bool
    direction: str
    periods: int


class ErrorBudgetOut(Schema):
    window_start: date
    window_end: date
    tickets: int
    breached: int
    allowed_breaches: float
    remaining: float | None = Field(description="1 untouched, 0 spent, below 0 overspent")
    burn_rates: dict[str, float | None] = Field(description="Over the last 1, 7 and 30 days")


class BoardEntryOut(Schema):
    standard: str
    name: str
    service: str
    kind: str
    latest: AttainmentRowOut
    trend: TrendOut | None
    budget: ErrorBudgetOut | None


class ParetoRowOut(Schema):
    value: str
    breaches: int
    cumulative_percent: float


class ServiceDayOut(Schema):
    day: date
    opened: int
    resolved: int
    closed: int
    backlog: int


class DurationBucketOut(Schema):
    low_hours: float
    high_hours: float | None
    tickets: int


class ServicePerformanceOut(Schema):
    service: str
    days: list[ServiceDayOut]
    durations: list[DurationBucketOut]
    attainment: list[AttainmentRowOut]


class RollupRunOut(Schema):
    finished_at: datetime
    duration_seconds: float
    events: int
    tickets: int


class RefreshQueuedOut(Schema):
    task_id: str = Field(description="The background task's id")
    message: str
    last_refresh: RollupRunOut | None = Field(description="The last finished refresh, if any")
