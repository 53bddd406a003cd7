"""OpenSLO: validation of every kind in v1, v1alpha and v2alpha as the OpenSLO go-sdk validates it (its
limits included: one timeWindow, one AlertPolicy condition, target below 1...), and the mapping of an SLO
onto standards (`csi.standards.imports.slo_mapping`): one standard per objective, its window kept.

What a standard cannot hold (SLI queries, alerting, time-slice settings) stays in the stored document and
in the version's `spec`, so nothing is lost and export gives the document back.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
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
DURATION = re.compile(r"^([0-9]+)([mhdwMQY])$")  # the go-sdk's duration shorthand
START_TIME = "%Y-%m-%d %H:%M:%S"
# openslo/v1alpha's time window units (the go-sdk's list: no Minute, Hour or Year)
V1ALPHA_UNITS = {"Second": "s", "Day": "d", "Week": "w", "Month": "M", "Quarter": "Q"}
BUDGETING = {"Occurrences": "occurrences", "Timeslices": "timeslices", "RatioTimeslices": "ratio_timeslices"}
OPS = {"lt", "lte", "gt", "gte"}


class Loose(BaseModel):
    """Every OpenSLO object as the go-sdk decodes it: an unknown field is an error (`oslo validate` says
    'unknown field'); free-form parts (metric sources, connection details) are plain mappings."""

    model_config = ConfigDict(extra="forbid")


LABEL_KEY = re.compile(r"^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")
ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?"
    r"[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
)
ANNOTATION_LENGTH = re.compile(r"^(.{0,253}/)?.{0,63}$")


class Metadata(Loose):
    """The go-sdk's metadata: a DNS-label name, a displayName of at most 63 characters, label keys and
    annotation keys as Kubernetes writes them; a label is a text or a list of texts (v1)."""

    name: str = Field(pattern=NAME)
    displayName: str | None = Field(None, max_length=63)
    labels: dict[str, str | list[str]] | None = None
    annotations: dict[str, str] | None = None

    @field_validator("labels")
    @classmethod
    def label_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for key in value or {}:
            if not LABEL_KEY.match(key):
                raise ValueError(f"'{key}' is not a label key (letters, digits, '-', '_', '.', at most 63)")
        return value

    @field_validator("annotations")
    @classmethod
    def annotation_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for key in value or {}:
            if not (ANNOTATION_LENGTH.match(key) and ANNOTATION_KEY.match(key)):
                raise ValueError(f"'{key}' is not an annotation key such as openslo.com/annotation")
        return value


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


RAW_TYPES = {"success", "failure"}


def _metric_problem(metric: Any, path: str) -> str | None:
    """openslo/v1's metric spec: a metricSource with a spec of at least one entry, a valid reference."""
    source = metric.get("metricSource") if isinstance(metric, dict) else None
    if not isinstance(source, dict):
        return f"{path}.metricSource: required"
    ref = source.get("metricSourceRef")
    if ref is not None and not (isinstance(ref, str) and re.match(NAME, ref)):
        return (
            f"{path}.metricSource.metricSourceRef: '{ref}' is not a lower-case name of at most 63 characters"
        )
    if not isinstance(source.get("spec"), dict) or not source["spec"]:
        return f"{path}.metricSource.spec: required, with at least one entry"
    return None


def v1_sli_problem(spec: dict[str, Any], prefix: str = "") -> str | None:
    """The go-sdk's openslo/v1 SLI rules on a spec (standalone SLI or an SLO's inline indicator)."""
    threshold, ratio = spec.get("thresholdMetric"), spec.get("ratioMetric")
    if (threshold is None) == (ratio is None):
        where = f"{prefix.rstrip('.')}: " if prefix else ""
        return f"{where}give exactly one of thresholdMetric or ratioMetric"
    if threshold is not None:
        return _metric_problem(threshold, f"{prefix}thresholdMetric")
    if not isinstance(ratio, dict):
        return f"{prefix}ratioMetric: expected a mapping"
    path = f"{prefix}ratioMetric"
    total, raw = ratio.get("total"), ratio.get("raw")
    if (total is None) == (raw is None):
        return f"{path}: give exactly one of total or raw"
    if raw is not None:
        if ratio.get("good") is not None or ratio.get("bad") is not None:
            return f"{path}: raw excludes good and bad"
        if ratio.get("rawType") not in RAW_TYPES:
            return f"{path}.rawType: required, one of success, failure"
        return _metric_problem(raw, f"{path}.raw")
    if (ratio.get("good") is None) == (ratio.get("bad") is None):
        return f"{path}: give exactly one of good or bad (with total)"
    for name in ("total", "good", "bad"):
        if ratio.get(name) is not None and (problem := _metric_problem(ratio[name], f"{path}.{name}")):
            return problem
    return None


class SliSpecV1(SliSpec):
    @model_validator(mode="after")
    def v1_rules(self) -> SliSpecV1:
        problem = v1_sli_problem({"thresholdMetric": self.thresholdMetric, "ratioMetric": self.ratioMetric})
        if problem:
            raise ValueError(problem)
        return self


def _one_of(values: dict[str, Any], names: tuple[str, ...], required: bool = True) -> None:
    given = [n for n in names if values.get(n) is not None]
    if len(given) > 1:
        raise ValueError(f"give one of {' or '.join(names)}, not both")
    if required and not given:
        raise ValueError(f"give {' or '.join(names)}")


class Objective(Loose):
    """An objective of openslo/v1 (and, with sli/sliRef, of v2alpha), as the OpenSLO go-sdk validates it:
    target in [0, 1) or targetPercent in [0, 100), one of them; time-slice settings per budgeting method."""

    displayName: str | None = Field(None, max_length=1050)
    op: str | None = None
    value: float | None = None
    target: float | None = Field(None, ge=0, lt=1)
    targetPercent: float | None = Field(None, ge=0, lt=100)
    timeSliceTarget: float | None = Field(None, gt=0, le=1)
    timeSliceWindow: str | None = Field(None, pattern=DURATION.pattern)
    compositeWeight: float | None = Field(None, gt=0)

    @field_validator("op")
    @classmethod
    def known_op(cls, value: str | None) -> str | None:
        if value is not None and value not in OPS:
            raise ValueError(f"'{value}' is not one of lt, lte, gt, gte")
        return value

    @model_validator(mode="after")
    def has_target(self) -> Objective:
        _one_of({"target": self.target, "targetPercent": self.targetPercent}, ("target", "targetPercent"))
        return self


class ObjectiveV1(Objective):
    indicator: dict[str, Any] | None = None
    indicatorRef: str | None = None

    @field_validator("indicatorRef")
    @classmethod
    def valid_ref(cls, value: str | None) -> str | None:
        return _ref(value)


class ObjectiveV2Alpha(Objective):
    sli: dict[str, Any] | None = None
    sliRef: str | None = None

    @field_validator("sliRef")
    @classmethod
    def valid_ref(cls, value: str | None) -> str | None:
        return _ref(value)


class ObjectiveV1Alpha(Loose):
    """openslo/v1alpha: value and target are required; op unless the objective has ratioMetrics."""

    displayName: str | None = Field(None, max_length=1050)
    op: str | None = None
    value: float
    target: float = Field(ge=0, lt=1)
    timeSliceTarget: float | None = Field(None, ge=0, le=1)
    ratioMetrics: dict[str, Any] | None = None

    @model_validator(mode="after")
    def op_rule(self) -> ObjectiveV1Alpha:
        if self.ratioMetrics is None and self.op not in OPS:
            raise ValueError("give op (lt, lte, gt or gte): the objective has no ratioMetrics")
        if self.ratioMetrics is not None and self.op is not None:
            raise ValueError("op is not allowed with ratioMetrics")
        return self


class Calendar(Loose):
    startTime: str | None = None
    timeZone: str | None = None

    @field_validator("startTime")
    @classmethod
    def date_time(cls, value: str | None) -> str | None:
        if value:
            try:
                datetime.strptime(str(value), START_TIME)
            except ValueError as exc:
                raise ValueError(f"'{value}' is not a date and time as YYYY-MM-DD HH:MM:SS") from exc
        return value

    @field_validator("timeZone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                zoneinfo.ZoneInfo(str(value))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"'{value}' is not a known time zone") from exc
        return value


class _Window(Loose):
    isRolling: bool = False
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def rolling_or_calendar(self) -> _Window:
        if self.isRolling and self.calendar is not None:
            raise ValueError("'calendar' cannot be set when 'isRolling' is true")
        if not self.isRolling and self.calendar is None:
            raise ValueError("'calendar' must be set when 'isRolling' is false")
        return self


class TimeWindow(_Window):
    duration: str = Field(pattern=DURATION.pattern)


class TimeWindowV1Alpha(_Window):
    unit: str
    count: int = Field(gt=0)

    @field_validator("unit")
    @classmethod
    def known_unit(cls, value: str) -> str:
        if value not in V1ALPHA_UNITS:
            raise ValueError(f"'{value}' is not one of {', '.join(V1ALPHA_UNITS)}")
        return value


class _SloBase(Described):
    budgetingMethod: str

    @field_validator("budgetingMethod")
    @classmethod
    def known_method(cls, value: str) -> str:
        if value not in BUDGETING:
            raise ValueError(f"'{value}' is not one of {', '.join(BUDGETING)}")
        return value


def _policy_refs(items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    for item in items or []:
        if not isinstance(item, dict):
            raise ValueError("each alert policy is an alertPolicyRef or an inline AlertPolicy")
        if "alertPolicyRef" in item:
            _ref(item["alertPolicyRef"])
        elif item.get("kind") != "AlertPolicy":
            raise ValueError("each alert policy is an alertPolicyRef or an inline AlertPolicy")
    return items


def _inline_metric(inline: dict[str, Any] | None) -> str | None:
    spec = (inline or {}).get("spec") if isinstance(inline, dict) else None
    if isinstance(spec, dict):
        for metric in ("ratioMetric", "thresholdMetric"):
            if spec.get(metric) is not None:
                return metric
    return None


def _check_ops(objectives: list[Any], metric: str | None) -> None:
    """As the go-sdk (and `oslo validate`): with an inline thresholdMetric an objective needs op and value;
    with an inline ratioMetric both are forbidden (a ratio is judged by its target alone). Several published
    examples give `op` with a ratio: `oslo validate` refuses them, and so does this."""
    for index, objective in enumerate(objectives):
        if metric == "ratioMetric":
            for name in ("op", "value"):
                if getattr(objective, name) is not None:
                    raise ValueError(
                        f"objectives[{index}].{name}: forbidden with a ratioMetric indicator (a ratio is judged "
                        "by its target alone; only a thresholdMetric compares values): remove it"
                    )
        if metric == "thresholdMetric" and (objective.op is None or objective.value is None):
            raise ValueError(f"objectives[{index}]: a thresholdMetric indicator needs op and value")


class SloSpec(_SloBase):
    """openslo/v1: one timeWindow; an indicator on the spec, or one per objective (composite SLO)."""

    service: str = Field(min_length=1)
    indicator: dict[str, Any] | None = None
    indicatorRef: str | None = None
    timeWindow: list[TimeWindow] | None = Field(None, min_length=1, max_length=1)
    objectives: list[ObjectiveV1] = Field(min_length=1)
    alertPolicies: list[dict[str, Any]] | None = None

    @field_validator("alertPolicies")
    @classmethod
    def policy_refs(cls, items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        return _policy_refs(items)

    @field_validator("indicatorRef")
    @classmethod
    def valid_ref(cls, value: str | None) -> str | None:
        return _ref(value)

    @model_validator(mode="after")
    def rules(self) -> SloSpec:
        _one_of(
            {"indicator": self.indicator, "indicatorRef": self.indicatorRef},
            ("indicator", "indicatorRef"),
            False,
        )
        composite = any(o.indicator is not None or o.indicatorRef is not None for o in self.objectives)
        spec_level = self.indicator is not None or self.indicatorRef is not None
        if composite == spec_level:
            raise ValueError(
                "'indicator' or 'indicatorRef' must be defined either on the spec (standard SLO) or on "
                "each objective (composite SLO)"
                + (", but not both" if composite else ", but none were given")
            )
        if self.timeWindow is None:
            raise ValueError("give timeWindow")
        inline = [("indicator", self.indicator)] + [
            (f"objectives[{i}].indicator", o.indicator) for i, o in enumerate(self.objectives)
        ]
        for path, indicator in inline:
            if indicator is None:
                continue
            if not isinstance((indicator.get("metadata") or {}).get("name"), str):
                raise ValueError(f"{path}.metadata.name: required")
            if problem := v1_sli_problem(indicator.get("spec") or {}, f"{path}.spec."):
                raise ValueError(problem)
        _check_ops(self.objectives, _inline_metric(self.indicator))
        return self


class SloSpecV1Alpha(_SloBase):
    """openslo/v1alpha: timeWindows with unit and count; objectives with value and target."""

    service: str = Field(min_length=1)
    indicator: dict[str, Any] | None = None
    timeWindows: list[TimeWindowV1Alpha] = Field(min_length=1, max_length=1)
    objectives: list[ObjectiveV1Alpha] = Field(min_length=1)

    @model_validator(mode="after")
    def rules(self) -> SloSpecV1Alpha:
        ratio = any(o.ratioMetrics is not None for o in self.objectives)
        if ratio and self.indicator is not None:
            raise ValueError("only one of 'indicator' and 'objectives[*].ratioMetrics' can be set")
        if not ratio and self.indicator is None:
            raise ValueError("one of 'indicator' or 'objectives[*].ratioMetrics' must be set")
        if self.indicator is not None and not self.indicator.get("thresholdMetric"):
            raise ValueError("indicator.thresholdMetric: required")
        return self


class SloSpecV2Alpha(_SloBase):
    """openslo.com/v2alpha: serviceRef (the draft of 2024 called it service: either is read, not both),
    sli or sliRef on the spec or on each objective."""

    serviceRef: str | None = Field(None, min_length=1)
    service: str | None = Field(None, min_length=1)
    sli: dict[str, Any] | None = None
    sliRef: str | None = None
    timeWindow: list[TimeWindow] = Field(min_length=1, max_length=1)
    objectives: list[ObjectiveV2Alpha] = Field(min_length=1)
    alertPolicies: list[dict[str, Any]] | None = None

    @field_validator("alertPolicies")
    @classmethod
    def policy_refs(cls, items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        return _policy_refs(items)

    @field_validator("sliRef")
    @classmethod
    def valid_ref(cls, value: str | None) -> str | None:
        return _ref(value)

    @model_validator(mode="after")
    def rules(self) -> SloSpecV2Alpha:
        _one_of({"serviceRef": self.serviceRef, "service": self.service}, ("serviceRef", "service"))
        _one_of({"sli": self.sli, "sliRef": self.sliRef}, ("sli", "sliRef"), False)
        composite = any(o.sli is not None or o.sliRef is not None for o in self.objectives)
        spec_level = self.sli is not None or self.sliRef is not None
        if composite == spec_level:
            raise ValueError(
                "'sli' or 'sliRef' must be defined either on the spec (standard SLO) or on each objective "
                "(composite SLO)" + (", but not both" if composite else ", but none were given")
            )
        _check_ops(self.objectives, _inline_metric(self.sli))
        return self


class DataSourceSpec(Described):
    type: str = Field(min_length=1, max_length=100)
    connectionDetails: Any  # required by the go-sdk (its shape is the data source's own)


class Condition(Loose):
    """The go-sdk's AlertConditionType: kind burnrate (the only kind), op, threshold, lookbackWindow and
    alertAfter as duration shorthands (alertAfter optional in v1)."""

    kind: str = Field(min_length=1)
    op: str
    threshold: float
    lookbackWindow: str = Field(pattern=DURATION.pattern)
    alertAfter: str | None = Field(None, pattern=DURATION.pattern)

    @field_validator("kind")
    @classmethod
    def burnrate(cls, value: str) -> str:
        if value != "burnrate":
            raise ValueError(f"'{value}' is not burnrate (the only kind of alert condition)")
        return value

    @field_validator("op")
    @classmethod
    def known_op(cls, value: str) -> str:
        if value not in OPS:
            raise ValueError(f"'{value}' is not one of lt, lte, gt, gte")
        return value


class AlertConditionSpec(Described):
    severity: str = Field(min_length=1, max_length=50)
    condition: Condition


class AlertNotificationTargetSpec(Described):
    target: str = Field(min_length=1, max_length=200)


class AlertPolicySpec(Described):
    """v1 and v2alpha: exactly one condition (a conditionRef or an inline AlertCondition)."""

    alertWhenBreaching: bool | None = None
    alertWhenResolved: bool | None = None
    alertWhenNoData: bool | None = None
    conditions: list[dict[str, Any]] = Field(min_length=1, max_length=1)
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
SLO_SPECS: dict[str, type[Loose]] = {V1: SloSpec, V1ALPHA: SloSpecV1Alpha, V2ALPHA: SloSpecV2Alpha}


def time_slice_problems(version: str, kind: str, spec: Any) -> list[tuple[str, str]]:
    """The go-sdk's time-slice rules on the raw spec (so they are reported beside any other problem of the
    same objectives): Timeslices needs each objective's timeSliceTarget; Timeslices and RatioTimeslices
    need its timeSliceWindow (openslo/v1alpha has no timeSliceWindow)."""
    if kind != "SLO" or not isinstance(spec, dict) or not isinstance(spec.get("objectives"), list):
        return []
    method = spec.get("budgetingMethod")
    needed = {"Timeslices": ["timeSliceTarget", "timeSliceWindow"], "RatioTimeslices": ["timeSliceWindow"]}
    names = [n for n in needed.get(str(method), []) if not (version == V1ALPHA and n == "timeSliceWindow")]
    return [
        (f"spec.objectives[{index}].{name}", f"required by {method}")
        for index, objective in enumerate(spec["objectives"])
        for name in names
        if isinstance(objective, dict) and objective.get(name) is None
    ]


def spec_model(version: str, kind: str) -> type[Loose]:
    if kind == "SLI" and version == V1:
        return SliSpecV1
    return SLO_SPECS[version] if kind == "SLO" else SPECS[kind]


class Document(Loose):
    apiVersion: str
    kind: str
    metadata: Metadata
    spec: dict[str, Any] | None = None


def folder(document: dict[str, Any]) -> str:
    """The OpenSLO service folder annotation, which scopes names like a namespace."""
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(FOLDER_ANNOTATION, "")) if isinstance(annotations, dict) else ""


def indicator_name(name: str, spec: Any, objective: Any = None) -> str:
    """The SLI an objective is measured by: its own (composite SLO), else the SLO's, else `<name>-indicator`."""
    for owner in (objective, spec):
        if owner is None:
            continue
        for ref in ("indicatorRef", "sliRef"):
            if getattr(owner, ref, None):
                return str(getattr(owner, ref))
        for inline in ("indicator", "sli"):
            value = getattr(owner, inline, None)
            if (
                isinstance(value, dict)
                and isinstance(value.get("metadata"), dict)
                and value["metadata"].get("name")
            ):
                return str(value["metadata"]["name"])
    return f"{name}-indicator"
