"""CSI Workbench's own standards YAML (csi-workbench/v1): Calendar and Standard, with every version."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class KeyMetadata(Strict):
    name: str = Field(pattern=KEY, max_length=63)


class ServiceKeyMetadata(Strict):
    name: str = Field(pattern=SERVICE_KEY, max_length=63)


class Period(Strict):
    weekday: int = Field(ge=0, le=6)
    start: time
    end: time


class Holiday(Strict):
    date: date
    name: str = Field(min_length=1, max_length=100)


class CalendarSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field("UTC", alias="timeZone", max_length=64)
    always_open: bool = Field(False, alias="alwaysOpen")
    periods: list[Period] = Field(default_factory=list, max_length=100)
    holidays: list[Holiday] = Field(default_factory=list, max_length=1000)


class CalendarDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Calendar"]
    metadata: KeyMetadata
    spec: CalendarSpec


class Version(Strict):
    effective_at: datetime = Field(alias="effectiveAt")
    note: str = Field("", max_length=500)
    metric: Metric
    custom_metric: str = Field("", alias="customMetric", max_length=100)
    scope: dict[str, list[str]] = Field(default_factory=dict)
    comparator: Comparator = Comparator.LTE
    threshold: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    threshold_unit: ThresholdUnit = Field(ThresholdUnit.HOURS, alias="thresholdUnit")
    target_percent: Decimal = Field(alias="targetPercent", ge=0, le=100, max_digits=7, decimal_places=4)
    window_kind: WindowKind = Field(WindowKind.CALENDAR, alias="windowKind")
    window_days: int | None = Field(None, alias="windowDays", ge=1, le=3660)
    calendar_period: CalendarPeriod | Literal[""] = Field("", alias="calendarPeriod")
    window_count: int = Field(1, alias="windowCount", ge=1, le=3660)
    window_start_date: date | None = Field(None, alias="windowStartDate")
    window_time_zone: str = Field("UTC", alias="windowTimeZone", max_length=64)
    calendar: str | None = Field(None, pattern=KEY, max_length=63)
    pause_states: list[str] = Field(default_factory=list, alias="pauseStates", max_length=50)
    warning_percent: Decimal = Field(Decimal(75), alias="warningPercent", ge=1, le=100)
    benchmark_value: Decimal | None = Field(None, alias="benchmarkValue")
    benchmark_source: str = Field("", alias="benchmarkSource", max_length=300)
    budgeting_method: BudgetingMethod = Field(BudgetingMethod.OCCURRENCES, alias="budgetingMethod")
    spec: dict[str, Any] = Field(default_factory=dict)


class StandardSpec(Strict):
    service: str = Field(pattern=SERVICE_KEY, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    kind: StandardKind = StandardKind.SLA
    package: str | None = Field(None, max_length=50)
    counterparty: str = Field("", max_length=200)
    versions: list[Version] = Field(min_length=1, max_length=1000)


class StandardDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Standard"]
    metadata: KeyMetadata
    spec: StandardSpec


class ServiceHoursSpec(Strict):
    calendar: str | None = Field(None, pattern=KEY, max_length=63)


class ServiceHoursDoc(Strict):
    """metadata.name is the service's key."""

    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["ServiceHours"]
    metadata: ServiceKeyMetadata
    spec: ServiceHoursSpec


NATIVE_KINDS: dict[str, type[Strict]] = {
    "Calendar": CalendarDoc,
    "Standard": StandardDoc,
    "ServiceHours": ServiceHoursDoc,
}
