"""Business time: how many seconds of a calendar's service hours lie between two instants, and when a
number of business seconds after an instant ends.

Works on a plain `CalendarSpec` (no database), so the analytics can use it too. Every interval is turned
into UTC before it is compared or subtracted: Python compares datetimes that share a tzinfo by their
wall-clock values, which is wrong across a DST change. A local working period is therefore as long as
the real time it spans: 00:00-00:00 on the day clocks go forward lasts 23 hours.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

MIDNIGHT = time(0, 0)
MAX_SPAN = timedelta(days=3660)  # ten years: a bound for business_add on a sparse calendar


@dataclass(frozen=True)
class CalendarSpec:
    time_zone: str = "UTC"
    always_open: bool = False
    # weekday (0 = Monday) -> [(start, end)] local times; end 00:00 means midnight at the end of the day
    periods: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


ALWAYS_OPEN = CalendarSpec(always_open=True)


def calendar_spec(calendar: Any) -> CalendarSpec:
    """The spec of a `standards.Calendar` (None: 24 x 7)."""
    if calendar is None or calendar.always_open:
        return ALWAYS_OPEN
    periods: dict[int, list[tuple[time, time]]] = {}
    for period in calendar.periods.all():
        periods.setdefault(period.weekday, []).append((period.start_time, period.end_time))
    return CalendarSpec(
        time_zone=calendar.time_zone,
        periods={day: sorted(spans) for day, spans in periods.items()},
        holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
    )


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Business time needs timezone-aware datetimes.")


def _open_intervals(spec: CalendarSpec, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals of one local day, as UTC instants, in order."""
    if day in spec.holidays:
        return
    tz = spec.tz
    for start, end in sorted(spec.periods.get(day.weekday(), [])):
        opens = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
        end_day = day + timedelta(days=1) if end == MIDNIGHT else day
        closes = datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)
        if closes > opens:
            yield opens, closes


def _require_in_range(*moments: datetime) -> None:
    # A day is looked at either side of an instant: years 1 and 9999 would leave datetime's range.
    for moment in moments:
        if not 2 <= moment.astimezone(UTC).year <= 9998:
            raise ValueError("Business time needs instants between the years 2 and 9998.")


def business_seconds(spec: CalendarSpec, start: datetime, end: datetime) -> float:
    """Seconds of service hours between `start` and `end` (0 when end is not after start).

    Raises ValueError for naive instants, instants outside the years 2..9998, or a span longer than
    MAX_SPAN (ten years): the work is one step per day, so it stays bounded."""
    _require_aware(start, end)
    _require_in_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if end - start > MAX_SPAN:
        raise ValueError(f"Business time is counted over at most {MAX_SPAN.days:,} days (ten years).")
    if spec.always_open:
        return (end - start).total_seconds()
    tz = spec.tz
    # One local day either side: a period of the previous local day may run past midnight into `start`.
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    total = 0.0
    while day <= last:
        for opens, closes in _open_intervals(spec, day):
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def business_add(spec: CalendarSpec, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of service hours after `start` have passed (a deadline).

    Raises ValueError when the calendar has no open time within ten years, or `start` lies outside the
    years 2..9998."""
    _require_aware(start)
    _require_in_range(start)
    start_utc = start.astimezone(UTC)
    if seconds <= 0:
        return start
    if spec.always_open:
        return (start_utc + timedelta(seconds=seconds)).astimezone(start.tzinfo)
    tz = spec.tz
    remaining = seconds
    day = start_utc.astimezone(tz).date() - timedelta(days=1)
    limit = day + MAX_SPAN
    while day <= limit:
        for opens, closes in _open_intervals(spec, day):
            lo = max(opens, start_utc)
            if closes <= lo:
                continue
            available = (closes - lo).total_seconds()
            if available >= remaining:
                return (lo + timedelta(seconds=remaining)).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("The calendar has no open time within ten years of the start.")
