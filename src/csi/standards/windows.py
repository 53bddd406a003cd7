"""The compliance window of a standard version: which days a figure judged on a given day counts.

A rolling window is the `window_days` days ending on the day. A calendar window is `window_count` periods
(day, week, month, quarter, year) long; with no `window_start_date` windows follow the natural periods
(Monday, the 1st of the month, of the quarter, of the year; several periods count from 1970-01-01, a
Monday, or from January 1970); with a start date they repeat from that day (OpenSLO's calendar startTime).
Measures are daily, so a window starts at midnight of its first day in the window's time zone."""

from __future__ import annotations

import calendar as calendar_module
from datetime import date, timedelta
from typing import Any

EPOCH = date(1970, 1, 5)  # a Monday: natural weeks start on Mondays
MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar_module.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window_first_day(version: Any, last_day: date) -> date:
    """The first day of the window of `version` that holds `last_day`."""
    if version.window_kind == "rolling" and version.window_days:
        return last_day - timedelta(days=version.window_days - 1)
    period = version.calendar_period or "month"
    count = max(1, int(getattr(version, "window_count", 1) or 1))
    anchor = getattr(version, "window_start_date", None)
    if period in {"day", "week"}:
        length = count * (7 if period == "week" else 1)
        start = anchor or (EPOCH if period == "week" else date(1970, 1, 1))
        return start + timedelta(days=((last_day - start).days // length) * length)
    months = count * MONTHS[period]
    start = anchor or date(1970, 1, 1)
    elapsed = (last_day.year - start.year) * 12 + last_day.month - start.month
    if _add_months(start, elapsed) > last_day:
        elapsed -= 1
    return _add_months(start, (elapsed // months) * months)
