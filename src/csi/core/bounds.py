"""Bounds on the inputs that drive work: the years an instant may lie in and how long a range of dates
may be. Every interface (API, pages, CLI) reaches them through the services and selectors, which raise
Django's ValidationError keyed by the field, saying the bound (422 on the API, a form error, a one-line
CLI error)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError


def _instant(value: date | datetime) -> datetime:
    """A date is its midnight UTC; a naive date-time is UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_year(value: date | datetime | None, *, field: str) -> None:
    """`value` (when given) lies in the years CSI_EARLIEST_YEAR..CSI_LATEST_YEAR."""
    if value is None:
        return
    earliest, latest = settings.CSI_EARLIEST_YEAR, settings.CSI_LATEST_YEAR
    if not earliest <= value.year <= latest:
        raise ValidationError({field: f"Give a date between the years {earliest} and {latest}."})


def check_range(
    start: date | datetime | None,
    end: date | datetime | None,
    *,
    max_days: int,
    start_field: str = "from",
    end_field: str = "to",
    narrow: str = "",
) -> None:
    """Both bounds (when given) in the sane years, `end` after `start`, and at most `max_days` apart."""
    check_year(start, field=start_field)
    check_year(end, field=end_field)
    if start is None or end is None:
        return
    low, high = _instant(start), _instant(end)
    if high <= low:
        raise ValidationError({end_field: f"'{end_field}' must be after '{start_field}'."})
    if high - low > timedelta(days=max_days):
        raise ValidationError(
            {
                end_field: f"'{start_field}' and '{end_field}' may be at most {max_days:,} days apart"
                f" ({max_days / 365.25:.1f} years){narrow}."
            }
        )
