"""OpenSLO: validation of every kind in v1, v1alpha and v2alpha, and the mapping of an SLO onto a standard.

What a standard cannot hold (SLI queries, alerting, several objectives, time-slice settings) stays in the
stored document and in the version's `spec`, so nothing is lost and export gives the document back.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

V1, V1ALPHA, V2ALPHA = "openslo/v1", "openslo/v1alpha", "openslo.com/v2alpha"
ALL_KINDS = [
    "Service",
    "SLI",
    "SLO",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
]
KINDS_BY_VERSION = {V1: ALL_KINDS, V1ALPHA: ["Service", "SLO"], V2ALPHA: ALL_KINDS}
NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
FOLDER_ANNOTATION = "openslo.com/service-folder"
DURATION = re.compile(r"^(\d+)([smhdwMQY])$")
UNIT_DAYS = {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1, "w": 7, "M": 30, "Q": 91, "Y": 365}
UNIT_PERIOD = {"d": "day", "w": "week", "M": "month", "Q": "quarter", "Y": "year"}
V1ALPHA_UNITS = {
    "Second": "s",
    "Minute": "m",
    "Hour": "h",
    "Day": "d",
    "Week": "w",
    "Month": "M",
    "Quarter": "Q",
    "Year": "Y",
}
BUDGETING = {"Occurrences": "occurrences", "Timeslices": "timeslices", "RatioTimeslices": "ratio_timeslices"}
OPS = {"lt", "lte", "gt", "gte"}


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metadata(Loose):
    name: str = Field(pattern=NAME)
    displayName: str | None = Field(None, max_length=200)
    annotations: dict[str, Any] | None = None


def _ref(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and re.match(NAME, value)):
        raise ValueError(f"'{value}' is not a valid reference: a lower-case name of at most 63 characters")
    return value


class Described(Loose):
    description: str | None = Field(None, max_length=1050)


class ServiceSpec(Described):
    pass


class SliSpec(Described):
    thresholdMetric: dict[str, Any] | None = None
    ratioMetric: dict[str, Any] | None = None

    @model_validator(mode="after")
    def one_metric(self) -> SliSpec:
        if (self.thresholdMetric is None) == (self.ratioMetric is None):
            raise ValueError("give exactly one of thresholdMetric or ratioMetric")
        return self


class Objective(Loose):
    displayName: str | None = Field(None, max_length=200)
    op: str | None = None
    value: float | None = None
    target: float | None = Field(None, ge=0, le=1)
    targetPercent: float | None = Field(None, ge=0, le=100)
    timeSliceTarget: float | None = Field(None, ge=0, le=1)
    timeSliceWindow: str | int | None = None

    @field_validator("op")
    @classmethod
    def known_op(cls, value: str | None) -> str | None:
        if value is not None and value not in OPS:
            raise ValueError(f"'{value}' is not one of lt, lte, gt, gte")
        return value

    @model_validator(mode="after")
    def has_target(self) -> Objective:
        if self.target is None and self.targetPercent is None:
            raise ValueError("give target (0 to 1) or targetPercent (0 to 100)")
        return self


class TimeWindow(Loose):
    duration: str = Field(pattern=DURATION.pattern)
    isRolling: bool = False
    calendar: dict[str, Any] | None = None

    @field_validator("calendar")
    @classmethod
    def known_zone(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value and value.get("timeZone"):
            try:
                zoneinfo.ZoneInfo(str(value["timeZone"]))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"'{value['timeZone']}' is not a known time zone") from exc
        return value


class TimeWindowV1Alpha(Loose):
    unit: str
    count: int = Field(ge=1)
    isRolling: bool = False
    calendar: dict[str, Any] | None = None

    @field_validator("unit")
    @classmethod
    def known_unit(cls, value: str) -> str:
        if value not in V1ALPHA_UNITS:
            raise ValueError(f"'{value}' is not one of {', '.join(V1ALPHA_UNITS)}")
        return value


class SloSpec(Described):
    service: str = Field(pattern=NAME)
    budgetingMethod: str
    objectives: list[Objective] = Field(min_length=1)
    indicator: dict[str, Any] | None = None
    indicatorRef: str | None = None
    sli: dict[str, Any] | None = None
    sliRef: str | None = None
    timeWindow: list[TimeWindow] | None = Field(None, min_length=1, max_length=1)
    timeWindows: list[TimeWindowV1Alpha] | None = Field(None, min_length=1, max_length=1)

    @field_validator("indicatorRef", "sliRef")
    @classmethod
    def valid_ref(cls, value: str | None) -> str | None:
        return _ref(value)

    @field_validator("budgetingMethod")
    @classmethod
    def known_method(cls, value: str) -> str:
        if value not in BUDGETING:
            raise ValueError(f"'{value}' is not one of {', '.join(BUDGETING)}")
        return value

    @model_validator(mode="after")
    def one_indicator_and_window(self) -> SloSpec:
        given = [n for n in ("indicator", "indicatorRef", "sli", "sliRef") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one indicator, not {' and '.join(given)}")
        if self.timeWindow is None and self.timeWindows is None:
            raise ValueError("give timeWindow")
        return self


class DataSourceSpec(Described):
    type: str = Field(min_length=1, max_length=100)
    connectionDetails: Any = None


class Condition(Loose):
    kind: str = Field(min_length=1)
    op: str
    threshold: float
    lookbackWindow: str
    alertAfter: str


class AlertConditionSpec(Described):
    severity: str = Field(min_length=1, max_length=50)
    condition: Condition


class AlertNotificationTargetSpec(Described):
    target: str = Field(min_length=1, max_length=200)


class AlertPolicySpec(Described):
    alertWhenBreaching: bool | None = None
    conditions: list[dict[str, Any]] = Field(min_length=1)
    notificationTargets: list[dict[str, Any]] = Field(min_length=1)

    @field_validator("conditions")
    @classmethod
    def condition_refs(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            if "conditionRef" in item:
                _ref(item["conditionRef"])
            elif item.get("kind") != "AlertCondition":
                raise ValueError("each condition is a conditionRef or an inline AlertCondition")
        return items

    @field_validator("notificationTargets")
    @classmethod
    def target_refs(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            if "targetRef" in item:
                _ref(item["targetRef"])
            elif item.get("kind") != "AlertNotificationTarget":
                raise ValueError("each target is a targetRef or an inline AlertNotificationTarget")
        return items


SPECS: dict[str, type[Loose]] = {
    "Service": ServiceSpec,
    "SLI": SliSpec,
    "SLO": SloSpec,
    "DataSource": DataSourceSpec,
    "AlertPolicy": AlertPolicySpec,
    "AlertCondition": AlertConditionSpec,
    "AlertNotificationTarget": AlertNotificationTargetSpec,
}


class Document(Loose):
    apiVersion: str
    kind: str
    metadata: Metadata
    spec: dict[str, Any] | None = None


def folder(document: dict[str, Any]) -> str:
    """The OpenSLO service folder annotation, which scopes names like a namespace."""
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(FOLDER_ANNOTATION, "")) if isinstance(annotations, dict) else ""


def _window(spec: SloSpec) -> dict[str, Any]:
    window: TimeWindow | TimeWindowV1Alpha
    if spec.timeWindow:
        window = spec.timeWindow[0]
        match = DURATION.match(window.duration)
        count, unit = (int(match[1]), match[2]) if match else (1, "d")
    elif spec.timeWindows:
        window = spec.timeWindows[0]
        count, unit = window.count, V1ALPHA_UNITS[window.unit]
    else:
        raise ValueError("an SLO without a time window")  # excluded by SloSpec's validation
    zone = str((window.calendar or {}).get("timeZone") or "UTC")
    if window.isRolling or unit not in UNIT_PERIOD:
        return {
            "window_kind": "rolling",
            "window_days": max(1, math.ceil(count * UNIT_DAYS[unit])),
            "calendar_period": "",
            "window_time_zone": zone,
        }
    return {
        "window_kind": "calendar",
        "window_days": None,
        "calendar_period": UNIT_PERIOD[unit],
        "window_time_zone": zone,
    }


def indicator_name(name: str, spec: SloSpec) -> str:
    for candidate in (spec.indicatorRef, spec.sliRef):
        if candidate:
            return candidate
    for inline in (spec.indicator, spec.sli):
        if inline and isinstance(inline.get("metadata"), dict) and inline["metadata"].get("name"):
            return str(inline["metadata"]["name"])
    return f"{name}-indicator"


def slo_version(name: str, spec: SloSpec, document: dict[str, Any]) -> dict[str, Any]:
    """The standard-version fields an SLO maps onto (its first objective; the rest stays in `spec`)."""
    objective = spec.objectives[0]
    target = (
        Decimal(str(objective.targetPercent))
        if objective.targetPercent is not None
        else Decimal(str(objective.target)) * 100
    )
    return {
        "metric": "custom",
        "custom_metric": indicator_name(name, spec)[:100],
        "comparator": objective.op or "gte",
        "threshold": Decimal(str(objective.value)) if objective.value is not None else Decimal(1),
        "threshold_unit": "count" if objective.value is not None else "ratio",
        "target_percent": target.quantize(Decimal("0.0001")),
        "budgeting_method": BUDGETING[spec.budgetingMethod],
        "spec": {"openslo": document},
        **_window(spec),
    }
