"""From an SLO (OpenSLO, Sloth, Pyrra) to standards: one standard per objective, the window kept exactly.

Decision 0007 (docs/decisions/0007-slo-objectives.md): an SLO with several objectives becomes several
standards of the same service, the first keyed by the SLO's name, objective n (n >= 2) by `<name>.<n>`;
each keeps the whole document in its version's `spec` with the index of its objective. A window is kept as
its kind (rolling / calendar), its length (days, or a count of calendar periods) and its start; what a
standard cannot hold is refused with the field path (`Unrepresentable`), never rounded silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from csi.standards.imports import openslo

# The go-sdk's lengths (DurationShorthand.Duration): a month is 30 days, a quarter 90, a year 365.
UNIT_DAYS = {"d": 1, "w": 7, "M": 30, "Q": 90, "Y": 365}
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
CALENDAR_PERIOD = {"d": "day", "w": "week", "M": "month", "Q": "quarter", "Y": "year"}
UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", **CALENDAR_PERIOD}
MAX_DAYS = 3660
KEY_LENGTH = 63
SERVICE_KEY = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")  # the catalog's service key


def service_key(value: Any, path: str) -> str:
    """An SLO's service as a catalog key, refused at `path` (the field it came from) when it cannot be one."""
    if not isinstance(value, str) or not SERVICE_KEY.match(value):
        raise Unrepresentable(
            path,
            f"'{value}' cannot be a service key: use 1 to 63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit",
        )
    return value


class Unrepresentable(Exception):
    """A construct a standard cannot hold; `path` is the field path inside the document."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass
class Planned:
    """A standard an SLO objective becomes: its key, name and version fields."""

    key: str
    name: str
    version: dict[str, Any]
    path: str = "metadata.name"  # the field the key comes from, for messages


@dataclass
class Plan:
    service: str
    standards: list[Planned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def window(
    count: int, unit: str, rolling: bool, calendar: dict[str, Any] | None, path: str, notes: list[str]
) -> dict[str, Any]:
    """The version's window fields for `count` `unit`s (units s m h d w M Q Y)."""
    zone = str((calendar or {}).get("timeZone") or "UTC")
    if unit in UNIT_SECONDS:
        seconds = count * UNIT_SECONDS[unit]
        if seconds == 0 or seconds % 86400:
            raise Unrepresentable(
                path,
                f"a window of {count} {UNIT_WORDS[unit]}(s) is not a whole number of days: standards are "
                "judged on daily measures, so give the window in days (d), weeks (w) or months (M)",
            )
        count, unit = seconds // 86400, "d"
    if count < 1:
        raise Unrepresentable(path, "a window must be at least 1 day long")
    if rolling:
        days = count * UNIT_DAYS[unit]
        if days > MAX_DAYS:
            raise Unrepresentable(path, f"a rolling window of {days} days is longer than {MAX_DAYS} days")
        return {
            "window_kind": "rolling",
            "window_days": days,
            "calendar_period": "",
            "window_count": 1,
            "window_start_date": None,
            "window_time_zone": zone,
        }
    if count > MAX_DAYS:
        raise Unrepresentable(path, f"a calendar window of {count} periods is longer than {MAX_DAYS}")
    start = (calendar or {}).get("startTime")
    start_date = None
    if start:
        moment = datetime.strptime(str(start), openslo.START_TIME)
        start_date = moment.date()
        if moment.time() != datetime.min.time():
            notes.append(
                f"{path}: the window starts at {moment:%H:%M:%S}; standards count whole days, from "
                f"{start_date.isoformat()} 00:00 ({zone})"
            )
    return {
        "window_kind": "calendar",
        "window_days": None,
        "calendar_period": CALENDAR_PERIOD[unit],
        "window_count": count,
        "window_start_date": start_date,
        "window_time_zone": zone,
    }


def percent(value: Any, path: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise Unrepresentable(path, f"'{value}' is not a number") from exc
    if not number.is_finite() or not 0 <= number <= 100:
        raise Unrepresentable(path, f"'{value}' is not a percentage between 0 and 100")
    return number.quantize(Decimal("0.0001"))


def threshold(value: float | None, path: str) -> Decimal:
    """An objective's value as a standard's threshold (0 to 10^10 with at most 4 decimals), 1 for a ratio."""
    if value is None:
        return Decimal(1)
    number = Decimal(str(value))
    if not number.is_finite() or not 0 <= number < Decimal(10) ** 10:
        raise Unrepresentable(path, f"{value} cannot be a standard's threshold (0 to 10,000,000,000)")
    if number != number.quantize(Decimal("0.0001")):
        raise Unrepresentable(path, f"{value} has more than 4 decimals: give it in a smaller unit")
    return number


def keys(name: str, count: int, path: str = "metadata.name") -> list[str]:
    """The standards' keys of an SLO with `count` objectives: the name, then `<name>.2`, `<name>.3`..."""
    result = [name] + [f"{name}.{n}" for n in range(2, count + 1)]
    too_long = [k for k in result if len(k) > KEY_LENGTH]
    if too_long:
        raise Unrepresentable(
            path,
            f"with {count} objectives the standards are keyed {name}.2 to {name}.{count}; "
            f"'{too_long[0]}' is longer than {KEY_LENGTH} characters: shorten the name",
        )
    return result


def _openslo_window(spec: Any, notes: list[str]) -> dict[str, Any]:
    if getattr(spec, "timeWindows", None):
        tw = spec.timeWindows[0]
        calendar = tw.calendar.model_dump() if tw.calendar else None
        return window(
            tw.count, openslo.V1ALPHA_UNITS[tw.unit], tw.isRolling, calendar, "spec.timeWindows[0]", notes
        )
    tw = spec.timeWindow[0]
    match = openslo.DURATION.match(tw.duration)
    if match is None:  # excluded by TimeWindow's validation
        raise Unrepresentable("spec.timeWindow[0].duration", f"'{tw.duration}' is not a duration")
    calendar = tw.calendar.model_dump() if tw.calendar else None
    return window(int(match[1]), match[2], tw.isRolling, calendar, "spec.timeWindow[0].duration", notes)


def openslo_plan(name: str, display: str | None, spec: Any, document: dict[str, Any]) -> Plan:
    """The standards of an OpenSLO SLO (validated by its version's spec model)."""
    notes: list[str] = []
    by_ref = bool(getattr(spec, "serviceRef", None))
    service = service_key(
        spec.serviceRef if by_ref else spec.service, "spec.serviceRef" if by_ref else "spec.service"
    )
    fields = _openslo_window(spec, notes)
    if spec.budgetingMethod != "Occurrences":
        notes.append(
            f"budgetingMethod {spec.budgetingMethod} is kept in the document; figures are computed over "
            "occurrences (events)"
        )
    objectives = spec.objectives
    plan = Plan(service=service)
    for index, (objective, key) in enumerate(zip(objectives, keys(name, len(objectives)), strict=True)):
        path = f"spec.objectives[{index}]"
        if getattr(objective, "targetPercent", None) is not None:
            target = percent(objective.targetPercent, f"{path}.targetPercent")
        else:
            target = percent(Decimal(str(objective.target)) * 100, f"{path}.target")
        extra = {
            k: v
            for k, v in objective.model_dump(exclude_none=True).items()
            if k in {"timeSliceTarget", "timeSliceWindow", "compositeWeight", "displayName"}
        }
        title = display or name
        if len(objectives) > 1:
            title = f"{title}: {objective.displayName or f'objective {index + 1}'}"
        plan.standards.append(
            Planned(
                key=key,
                name=title[:200],
                version={
                    "metric": "custom",
                    "custom_metric": openslo.indicator_name(name, spec, objective)[:100],
                    "comparator": objective.op or "gte",
                    "threshold": threshold(objective.value, f"{path}.value"),
                    "threshold_unit": "count" if objective.value is not None else "ratio",
                    "target_percent": target,
                    "budgeting_method": openslo.BUDGETING[spec.budgetingMethod],
                    "spec": {"openslo": document, "objective": index, **extra},
                    **fields,
                },
            )
        )
    plan.notes = notes
    return plan
