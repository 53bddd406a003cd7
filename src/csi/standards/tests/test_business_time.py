"""Business time across midnight, weekends, holidays and DST changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csi.standards.business_time import ALWAYS_OPEN, CalendarSpec, business_add, business_seconds

PARIS = ZoneInfo("Europe/Paris")
H = 3600
OFFICE = CalendarSpec(
    time_zone="Europe/Paris",
    periods={d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)},  # Mon-Fri, 7 h a day
    holidays=frozenset({date(2026, 12, 25)}),
)
NIGHTS = CalendarSpec(
    time_zone="Europe/Paris", periods={d: [(time(22), time(0)), (time(0), time(6))] for d in range(7)}
)
ALL_DAY = CalendarSpec(time_zone="Europe/Paris", periods={d: [(time(0), time(0))] for d in range(7)})


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


def test_inside_one_period_and_between_periods():
    assert business_seconds(OFFICE, paris(2026, 11, 23, 9, 30), paris(2026, 11, 23, 10)) == 30 * 60
    # 11:00 to 14:00 spans the lunch break: 1 h + 1 h
    assert business_seconds(OFFICE, paris(2026, 11, 23, 11), paris(2026, 11, 23, 14)) == 2 * H


def test_across_midnight():
    # Friday 23:00 to Saturday 02:00 on a night calendar: 1 h before midnight, 2 h after.
    assert business_seconds(NIGHTS, paris(2026, 11, 20, 23), paris(2026, 11, 21, 2)) == 3 * H
    # Office hours: Monday 16:00 to Tuesday 10:00 is 1 h + 1 h.
    assert business_seconds(OFFICE, paris(2026, 11, 23, 16), paris(2026, 11, 24, 10)) == 2 * H


def test_weekends_are_skipped():
    # Friday 16:00 to Monday 10:00: 1 h on Friday, 1 h on Monday.
    assert business_seconds(OFFICE, paris(2026, 11, 20, 16), paris(2026, 11, 23, 10)) == 2 * H
    assert business_seconds(OFFICE, paris(2026, 11, 21, 9), paris(2026, 11, 22, 18)) == 0


def test_holidays_are_skipped():
    # Thursday 24 Dec 16:00 to Monday 28 Dec 10:00: Christmas Friday is closed.
    assert business_seconds(OFFICE, paris(2026, 12, 24, 16), paris(2026, 12, 28, 10)) == 2 * H


def test_dst_spring_forward_and_fall_back():
    # Europe/Paris: 2026-03-29 02:00 -> 03:00 (the day has 23 h); 2026-10-25 03:00 -> 02:00 (25 h).
    assert business_seconds(ALL_DAY, paris(2026, 3, 29, 0), paris(2026, 3, 30, 0)) == 23 * H
    assert business_seconds(ALL_DAY, paris(2026, 10, 25, 0), paris(2026, 10, 26, 0)) == 25 * H
    # Office hours do not move: Friday 16:00 to Monday 10:00 around each change is still 2 h.
    assert business_seconds(OFFICE, paris(2026, 3, 27, 16), paris(2026, 3, 30, 10)) == 2 * H
    assert business_seconds(OFFICE, paris(2026, 10, 23, 16), paris(2026, 10, 26, 10)) == 2 * H
    # Nights of the change: 22:00-06:00 lasts 7 h in spring and 9 h in autumn.
    assert business_seconds(NIGHTS, paris(2026, 3, 28, 21), paris(2026, 3, 29, 7)) == 7 * H
    assert business_seconds(NIGHTS, paris(2026, 10, 24, 21), paris(2026, 10, 25, 7)) == 9 * H


def test_instants_in_other_time_zones_are_the_same_instants():
    start_utc = paris(2026, 11, 23, 9).astimezone(UTC)
    end_tokyo = paris(2026, 11, 23, 11).astimezone(ZoneInfo("Asia/Tokyo"))
    assert business_seconds(OFFICE, start_utc, end_tokyo) == 2 * H


def test_empty_and_reversed_spans_and_naive_datetimes():
    moment = paris(2026, 11, 23, 10)
    assert business_seconds(OFFICE, moment, moment) == 0
    assert business_seconds(OFFICE, moment, moment - timedelta(hours=1)) == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        business_seconds(OFFICE, datetime(2026, 1, 1), moment)


def test_always_open_counts_every_second():
    assert business_seconds(ALWAYS_OPEN, paris(2026, 3, 29, 0), paris(2026, 3, 30, 0)) == 23 * H


def test_business_add_gives_deadlines():
    # 8 business hours from Friday 15:00: 2 h Friday, 5 h... Monday 09-12 (3 h), 13-16 (3 h) -> Mon 16:00.
    assert business_add(OFFICE, paris(2026, 11, 20, 15), 8 * H) == paris(2026, 11, 23, 16)
    # Starting on a closed Saturday, 1 h lands on Monday 10:00.
    assert business_add(OFFICE, paris(2026, 11, 21, 12), H) == paris(2026, 11, 23, 10)
    assert business_add(ALL_DAY, paris(2026, 3, 28, 12), 24 * H) == paris(2026, 3, 29, 13)
    with pytest.raises(ValueError, match="no open time"):
        business_add(CalendarSpec(time_zone="UTC"), paris(2026, 1, 1), 60)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(PARIS)
)


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_business_time_adds_up(a, b, c):
    # Sorted and measured in UTC: datetimes sharing a tzinfo compare and subtract by wall clock.
    a, b, c = sorted(moment.astimezone(UTC) for moment in (a, b, c))
    for spec in (OFFICE, NIGHTS, ALL_DAY):
        whole = business_seconds(spec, a, c)
        assert whole == pytest.approx(business_seconds(spec, a, b) + business_seconds(spec, b, c))
        assert 0 <= whole <= (c - a).total_seconds() + 1e-6


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=st.floats(min_value=0.01, max_value=400))
def test_business_add_inverts_business_seconds(start, hours):
    for spec in (OFFICE, NIGHTS):
        deadline = business_add(spec, start, hours * H)
        assert business_seconds(spec, start, deadline) == pytest.approx(hours * H, abs=1e-3)
