"""API schemas of calendars and service standards."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from csi.api.schemas import InSchema, IsoDate
from csi.standards.choices import (
    BudgetingMethod,
    CalendarPeriod,
    Comparator,
    Metric,
    StandardKind,
    ThresholdUnit,
    WindowKind,
)

KEY = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
SERVICE_KEY = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
ScopeList = list[str]


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class PeriodIO(Schema):
    weekday: StrictInt = Field(ge=0, le=6, description="0 = Monday")
    start: str = Field(pattern=HHMM, description="Local time, HH:MM")
    end: str = Field(
        pattern=HHMM, description="Local time, HH:MM; 00:00 means midnight at the end of the day"
    )


class HolidayIO(Schema):
    date: IsoDate
    name: str = Field(min_length=1, max_length=100)


class CalendarOut(Schema):
    key: str
    name: str
    time_zone: str
    always_open: bool
    periods: list[PeriodIO]
    holidays: list[HolidayIO]

    @staticmethod
    def resolve_periods(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "weekday": p.weekday,
                "start": p.start_time.strftime("%H:%M"),
                "end": p.end_time.strftime("%H:%M"),
            }
            for p in obj.periods.all()
        ]

    @staticmethod
    def resolve_holidays(obj: Any) -> list[dict[str, Any]]:
        return [{"date": h.date, "name": h.name} for h in obj.holidays.all()]


class CalendarIn(InSchema):
    key: str = Field(pattern=KEY, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field("UTC", max_length=64)
    always_open: StrictBool = False
    periods: list[PeriodIO] = Field(default_factory=list, max_length=100)
    holidays: list[HolidayIO] = Field(default_factory=list, max_length=1000)


class CalendarPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = Field(None, max_length=64)
    always_open: StrictBool | None = None
    periods: list[PeriodIO] | None = Field(None, max_length=100)
    holidays: list[HolidayIO] | None = Field(None, max_length=1000)


class BusinessTimeQuery(Schema):
    start: datetime
    end: datetime


class BusinessTimeOut(Schema):
    calendar: str
    business_seconds: float


class VersionFields(InSchema):
    metric: Metric
    custom_metric: str = Field("", max_length=100)
    scope: dict[str, ScopeList] = Field(
        default_factory=dict, description="ticket_type, priority, category, customer"
    )
    comparator: Comparator = Comparator.LTE
    threshold: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    threshold_unit: ThresholdUnit = ThresholdUnit.HOURS
    target_percent: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=4)
    window_kind: WindowKind = WindowKind.CALENDAR
    window_days: StrictInt | None = Field(None, ge=1, le=3660)
    calendar_period: CalendarPeriod | None = None
    window_count: StrictInt = Field(1, ge=1, le=3660, description="A calendar window's length in periods")
    window_start_date: IsoDate | None = Field(
        None, description="A calendar window's first day; none: natural periods"
    )
    window_time_zone: str = Field("UTC", max_length=64)
    calendar: str | None = Field(None, pattern=KEY, max_length=63, description="Calendar key; none: 24 x 7")
    pause_states: list[str] = Field(default_factory=list, max_length=50)
    warning_percent: Decimal = Field(Decimal(75), ge=1, le=100, max_digits=5, decimal_places=2)
    benchmark_value: Decimal | None = Field(None, max_digits=14, decimal_places=4)
    benchmark_source: str = Field("", max_length=300)
    budgeting_method: BudgetingMethod = BudgetingMethod.OCCURRENCES


class StandardIn(VersionFields):
    service: str = Field(pattern=SERVICE_KEY, max_length=63, description="Key of the service")
    key: str = Field(pattern=KEY, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    kind: StandardKind = StandardKind.SLA
    package: str | None = Field(None, max_length=50, description="Name of one of the service's packages")
    counterparty: str = Field("", max_length=200)
    effective_at: datetime | None = None


class StandardPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: StandardKind | None = None
    package: str | None = Field(None, max_length=50)
    counterparty: str | None = Field(None, max_length=200)


class RevisionIn(InSchema):
    effective_at: datetime | None = None
    note: str = Field("", max_length=500)
    metric: Metric | None = None
    custom_metric: str | None = Field(None, max_length=100)
    scope: dict[str, ScopeList] | None = None
    comparator: Comparator | None = None
    threshold: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    threshold_unit: ThresholdUnit | None = None
    target_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=7, decimal_places=4)
    window_kind: WindowKind | None = None
    window_days: StrictInt | None = Field(None, ge=1, le=3660)
    calendar_period: CalendarPeriod | None = None
    window_count: StrictInt | None = Field(None, ge=1, le=3660)
    window_start_date: IsoDate | None = None
    window_time_zone: str | None = Field(None, max_length=64)
    calendar: str | None = Field(None, pattern=KEY, max_length=63)
    pause_states: list[str] | None = Field(None, max_length=50)
    warning_percent: Decimal | None = Field(None, ge=1, le=100, max_digits=5, decimal_places=2)
    benchmark_value: Decimal | None = Field(None, max_digits=14, decimal_places=4)
    benchmark_source: str | None = Field(None, max_length=300)
    budgeting_method: BudgetingMethod | None = None


class VersionOut(Schema):
    number: int
    effective_at: datetime
    metric: Metric
    custom_metric: str
    scope: dict[str, Any]
    comparator: Comparator
    threshold: Decimal
    threshold_unit: ThresholdUnit
    target_percent: Decimal
    window_kind: WindowKind
    window_days: int | None
    calendar_period: str
    window_count: int
    window_start_date: date | None
    window_time_zone: str
    calendar: str | None
    pause_states: list[str]
    warning_percent: Decimal
    benchmark_value: Decimal | None
    benchmark_source: str
    budgeting_method: BudgetingMethod
    change_note: str
    created_at: datetime

    @staticmethod
    def resolve_calendar(obj: Any) -> str | None:
        return obj.calendar.key if obj.calendar_id else None


class StandardOut(Schema):
    key: str
    name: str
    kind: StandardKind
    service: str
    package: str | None
    counterparty: str
    source: str
    current: VersionOut | None
    version_count: int

    @staticmethod
    def resolve_service(obj: Any) -> str:
        return obj.service.key

    @staticmethod
    def resolve_package(obj: Any) -> str | None:
        return obj.package.name if obj.package_id else None

    @staticmethod
    def resolve_current(obj: Any) -> Any:
        versions = list(obj.versions.all())
        return versions[0] if versions else None

    @staticmethod
    def resolve_version_count(obj: Any) -> int:
        return len(obj.versions.all())


class StandardFilter(Schema):
    service: str | None = Field(None, max_length=63)
    kind: StandardKind | None = None
    metric: Metric | None = None
    search: str | None = Field(None, max_length=200)


class ServiceHoursIO(Schema):
    calendar: str | None = Field(
        None, pattern=KEY, max_length=63, description="Calendar key; null: around the clock"
    )


class ServiceHoursIn(InSchema):
    calendar: str | None = Field(
        None, pattern=KEY, max_length=63, description="Calendar key; null: around the clock"
    )
