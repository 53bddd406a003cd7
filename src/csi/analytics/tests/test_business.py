"""Business offsets and pause-aware clocks in Ibis, checked by hand and against `business_time`.

Calendar: Europe/Brussels, Mon-Fri 09:00-17:00 local, closed on Easter Monday 2016-03-28 and on
All Saints' Day 2016-11-01. Brussels is UTC+1 in winter and UTC+2 in summer; in 2016 the clocks went
forward on Sunday 27 March (02:00 -> 03:00, a 23-hour day) and back on Sunday 30 October (03:00 -> 02:00,
a 25-hour day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csi.analytics.business import business_intervals, business_offsets, clock_seconds
from csi.standards.business_time import ALWAYS_OPEN, CalendarSpec, business_seconds

BRUSSELS = ZoneInfo("Europe/Brussels")
H = 3600
HOLIDAYS = frozenset({date(2016, 3, 28), date(2016, 11, 1)})
OFFICE = CalendarSpec(
    time_zone="Europe/Brussels", periods={d: [(time(9), time(17))] for d in range(5)}, holidays=HOLIDAYS
)
# The office plus every Sunday from 00:00 to midnight, so the 23- and 25-hour Sundays count in full.
OFFICE_AND_SUNDAYS = CalendarSpec(
    time_zone="Europe/Brussels",
    periods={**OFFICE.periods, 6: [(time(0), time(0))]},
    holidays=HOLIDAYS,
)
# Friday evenings up to midnight.
EVENINGS = CalendarSpec(time_zone="Europe/Brussels", periods={4: [(time(18), time(0))]})
PAUSES = ("Awaiting User Info", "Awaiting Vendor")


def bxl(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)  # type: ignore[misc]


def utc(moment: datetime) -> datetime:
    """Naive UTC, as the measurement store keeps it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def offset_differences(spec: CalendarSpec, pairs: list[tuple[datetime, datetime]]) -> list[float | None]:
    """B(b) - B(a) for each pair, computed by Ibis in one query, in the order given."""
    instants = [moment for pair in pairs for moment in pair]
    table = ibis.memtable(
        pa.table(
            {
                "row": list(range(len(pairs))),
                "a": pa.array([utc(a) for a, _ in pairs], pa.timestamp("us")),
                "b": pa.array([utc(b) for _, b in pairs], pa.timestamp("us")),
            }
        )
    )
    low, high = min(instants), max(instants)
    table = business_offsets(table, "a", spec, low, high, "offset_a")
    table = business_offsets(table, "b", spec, low, high, "offset_b")
    result = table.select("row", difference=table.offset_b - table.offset_a).order_by("row")
    return result.to_pyarrow()["difference"].to_pylist()


def seconds(spec: CalendarSpec, start: datetime, end: datetime) -> float | None:
    return offset_differences(spec, [(start, end)])[0]


@pytest.mark.parametrize(
    ("spec", "start", "end", "expected"),
    [
        pytest.param(OFFICE, bxl(2016, 3, 23, 10), bxl(2016, 3, 23, 15, 30), 5.5 * H, id="same-day"),
        pytest.param(OFFICE, bxl(2016, 3, 23, 16), bxl(2016, 3, 24, 10), 2 * H, id="overnight"),
        pytest.param(OFFICE, bxl(2016, 3, 18, 16), bxl(2016, 3, 21, 10), 2 * H, id="weekend"),
        pytest.param(OFFICE, bxl(2016, 3, 19, 9), bxl(2016, 3, 20, 18), 0, id="inside-weekend"),
        pytest.param(OFFICE, bxl(2016, 10, 31, 16), bxl(2016, 11, 2, 10), 2 * H, id="holiday"),
        pytest.param(OFFICE, bxl(2016, 3, 23, 7), bxl(2016, 3, 23, 10), 1 * H, id="start-before-opening"),
        pytest.param(OFFICE, bxl(2016, 3, 23, 15), bxl(2016, 3, 23, 20), 2 * H, id="end-after-closing"),
        pytest.param(OFFICE, bxl(2016, 3, 23, 18), bxl(2016, 3, 24, 8), 0, id="closed-night"),
        # Office hours stay 09:00-17:00 local across both changes (and Easter Monday is closed).
        pytest.param(OFFICE, bxl(2016, 3, 25, 16), bxl(2016, 3, 29, 10), 2 * H, id="dst-spring-office"),
        pytest.param(OFFICE, bxl(2016, 10, 28, 16), bxl(2016, 10, 31, 10), 2 * H, id="dst-autumn-office"),
        # Saturday noon to Easter Monday noon: only the 23-hour Sunday.
        pytest.param(
            OFFICE_AND_SUNDAYS, bxl(2016, 3, 26, 12), bxl(2016, 3, 28, 12), 23 * H, id="dst-spring-sunday"
        ),
        # Saturday noon to Monday 10:00: the 25-hour Sunday and 1 h on Monday.
        pytest.param(
            OFFICE_AND_SUNDAYS, bxl(2016, 10, 29, 12), bxl(2016, 10, 31, 10), 26 * H, id="dst-autumn-sunday"
        ),
        # 01:00 to 04:00 local on the change days: 2 h of real time in spring, 4 h in autumn.
        pytest.param(
            OFFICE_AND_SUNDAYS, bxl(2016, 3, 27, 1), bxl(2016, 3, 27, 4), 2 * H, id="inside-spring-change"
        ),
        pytest.param(
            OFFICE_AND_SUNDAYS,
            datetime(2016, 10, 29, 23, tzinfo=UTC),  # 01:00 CEST
            datetime(2016, 10, 30, 3, tzinfo=UTC),  # 04:00 CET
            4 * H,
            id="inside-autumn-change",
        ),
        pytest.param(EVENINGS, bxl(2016, 3, 18, 22), bxl(2016, 3, 19, 10), 2 * H, id="period-ends-midnight"),
        pytest.param(EVENINGS, bxl(2016, 3, 18, 20), bxl(2016, 3, 19, 0), 4 * H, id="span-ends-midnight"),
        # Sunday's 00:00-00:00 runs into Monday's office hours: 1 h + 30 min.
        pytest.param(
            OFFICE_AND_SUNDAYS,
            bxl(2016, 3, 20, 23),
            bxl(2016, 3, 21, 9, 30),
            1.5 * H,
            id="midnight-to-office",
        ),
        pytest.param(ALWAYS_OPEN, bxl(2016, 3, 23, 10), bxl(2016, 3, 25, 10), 48 * H, id="always-open"),
        pytest.param(
            ALWAYS_OPEN, bxl(2016, 3, 26, 12), bxl(2016, 3, 27, 12), 23 * H, id="always-open-dst-is-real-time"
        ),
        pytest.param(OFFICE, bxl(2016, 3, 23, 15), bxl(2016, 3, 23, 11), -4 * H, id="reversed-is-negative"),
    ],
)
def test_offset_differences_by_hand(spec, start, end, expected):
    assert seconds(spec, start, end) == pytest.approx(expected, abs=1e-6)


def test_microseconds_count():
    assert seconds(OFFICE, bxl(2016, 3, 23, 10), bxl(2016, 3, 23, 10, 0, 0, 1)) == pytest.approx(1e-6)


def test_offsets_keep_rows_and_columns_and_nulls():
    table = ibis.memtable(
        pa.table(
            {
                "ticket_id": ["a", "b", "c"],
                "opened_at": pa.array(
                    [utc(bxl(2016, 3, 23, 10)), None, utc(bxl(2016, 3, 23, 20))], pa.timestamp("us")
                ),
            }
        )
    )
    start, end = bxl(2016, 3, 23, 0), bxl(2016, 3, 24, 0)
    result = business_offsets(table, "opened_at", OFFICE, start, end, "offset").order_by("ticket_id")
    rows = result.to_pyarrow().to_pylist()
    assert [row["ticket_id"] for row in rows] == ["a", "b", "c"]
    assert set(rows[0]) == {"ticket_id", "opened_at", "offset"}
    assert rows[1]["offset"] is None
    # 23 March 10:00 -> 20:00 is 7 h of office time.
    assert rows[2]["offset"] - rows[0]["offset"] == pytest.approx(7 * H)


def test_instants_outside_the_range_are_clamped():
    # The lookup covers 22-25 March (UTC days) for a 23 March range; 1 March and 1 April are clamped to it.
    table = ibis.memtable(
        pa.table({"at": pa.array([utc(bxl(2016, 3, 1, 12)), utc(bxl(2016, 4, 1, 12))], pa.timestamp("us"))})
    )
    result = business_offsets(table, "at", OFFICE, bxl(2016, 3, 23, 10), bxl(2016, 3, 23, 11), "offset")
    offsets = sorted(result.to_pyarrow()["offset"].to_pylist())
    assert offsets == [0.0, 3 * 8 * H]


def test_business_intervals_merge_and_accumulate():
    nights = CalendarSpec(
        time_zone="Europe/Brussels", periods={d: [(time(22), time(0)), (time(0), time(6))] for d in range(7)}
    )
    table = business_intervals(nights, bxl(2016, 3, 23, 12), bxl(2016, 3, 23, 13))
    rows = table.to_pylist()
    assert table.schema.field("open_at").type == pa.timestamp("us")
    # 22:00-00:00 and 00:00-06:00 are one 8-hour night (21:00-05:00 UTC), cut at the padded range of
    # UTC days 22 to 24 March.
    assert rows[0] == {
        "open_at": datetime(2016, 3, 22),
        "close_at": datetime(2016, 3, 22, 5),
        "cum_seconds": 0,
    }
    assert rows[1] == {
        "open_at": datetime(2016, 3, 22, 21),
        "close_at": datetime(2016, 3, 23, 5),
        "cum_seconds": 5 * H,
    }
    assert rows[-1] == {
        "open_at": datetime(2016, 3, 24, 21),
        "close_at": datetime(2016, 3, 25),
        "cum_seconds": 21 * H,
    }
    assert [row["cum_seconds"] for row in rows] == [0, 5 * H, 13 * H, 21 * H]


def test_business_intervals_always_open_and_dst():
    assert business_intervals(ALWAYS_OPEN, bxl(2016, 3, 23, 12), bxl(2016, 3, 23, 13)).to_pylist() == [
        {"open_at": datetime(2016, 3, 22), "close_at": datetime(2016, 3, 25), "cum_seconds": 0}
    ]
    rows = business_intervals(OFFICE_AND_SUNDAYS, bxl(2016, 3, 27, 12), bxl(2016, 3, 27, 13)).to_pylist()
    # Sunday (23 h, 26 Mar 23:00 to 27 Mar 22:00 UTC) runs straight into Monday, but Monday is Easter.
    sunday = next(row for row in rows if row["open_at"] == datetime(2016, 3, 26, 23))
    assert sunday["close_at"] == datetime(2016, 3, 27, 22)


# --- clocks with pauses -------------------------------------------------------------------------------

EVENT_TYPES = {
    "ticket_id": pa.string(),
    "event_at": pa.timestamp("us"),
    "line": pa.int64(),
    "state": pa.string(),
}


def run_clock(spec, events, stops, pause_states=PAUSES, now=None):
    """events: [(ticket, local instant, state)], line numbers in the order given; stops: {ticket: (start,
    stop)}. Returns {ticket: (business_seconds, elapsed_seconds)}."""
    event_table = pa.table(
        {
            "ticket_id": [ticket for ticket, _, _ in events],
            "event_at": [utc(at) for _, at, _ in events],
            "line": list(range(2, len(events) + 2)),
            "state": [state for _, _, state in events],
        },
        schema=pa.schema(list(EVENT_TYPES.items())),
    )
    stop_table = pa.table(
        {
            "ticket_id": list(stops),
            "opened_at": pa.array([start and utc(start) for start, _ in stops.values()], pa.timestamp("us")),
            "resolved_at": pa.array([stop and utc(stop) for _, stop in stops.values()], pa.timestamp("us")),
        }
    )
    result = clock_seconds(
        ibis.memtable(event_table),
        ibis.memtable(stop_table),
        spec,
        pause_states,
        "opened_at",
        "resolved_at",
        now=now,
    )
    assert result.columns == ("ticket_id", "business_seconds", "elapsed_seconds")
    return {
        row["ticket_id"]: (row["business_seconds"], row["elapsed_seconds"])
        for row in result.to_pyarrow().to_pylist()
    }


def close(actual, expected):
    return actual == pytest.approx(expected, abs=1e-6)


def test_pause_for_part_of_a_working_day():
    # Monday 14 March, opened 10:00, paused 15:00-19:00 (2 h of it in office hours), resolved Tuesday 12:00.
    events = [
        ("t", bxl(2016, 3, 14, 10), "New"),
        ("t", bxl(2016, 3, 14, 15), "Awaiting User Info"),
        ("t", bxl(2016, 3, 14, 19), "In Progress"),
    ]
    result = run_clock(OFFICE, events, {"t": (bxl(2016, 3, 14, 10), bxl(2016, 3, 15, 12))})
    # business: 7 h Monday + 3 h Tuesday - 2 h paused; elapsed: 26 h - 4 h.
    assert close(result["t"], (8 * H, 22 * H))


def test_pause_over_a_weekend_subtracts_only_office_hours():
    # Opened Friday 18 March 10:00, paused Friday 16:00 to Monday 10:00, resolved Monday 18:00.
    events = [
        ("w", bxl(2016, 3, 18, 10), "New"),
        ("w", bxl(2016, 3, 18, 16), "Awaiting User Info"),
        ("w", bxl(2016, 3, 21, 10), "In Progress"),
    ]
    result = run_clock(OFFICE, events, {"w": (bxl(2016, 3, 18, 10), bxl(2016, 3, 21, 18))})
    # business: 7 h + 8 h - (1 h Friday + 1 h Monday); elapsed: 80 h - 66 h.
    assert close(result["w"], (13 * H, 14 * H))


def test_pause_starting_before_the_clock_starts_is_clipped():
    events = [
        ("b", bxl(2016, 3, 14, 8), "Awaiting User Info"),
        ("b", bxl(2016, 3, 14, 12), "In Progress"),
    ]
    result = run_clock(OFFICE, events, {"b": (bxl(2016, 3, 14, 10), bxl(2016, 3, 14, 16))})
    assert close(result["b"], (4 * H, 4 * H))  # 6 h, less the 2 h of the pause after 10:00


def test_pause_open_at_the_stop_is_clipped():
    events = [
        ("s", bxl(2016, 3, 15, 9), "New"),
        ("s", bxl(2016, 3, 15, 14), "Awaiting User Info"),
        ("s", bxl(2016, 3, 16, 10), "Closed"),  # the pause lasts past the stop (16:00)
        ("r", bxl(2016, 3, 16, 9), "New"),
        ("r", bxl(2016, 3, 16, 11), "Awaiting Vendor"),  # last event: paused until `now`
    ]
    stops = {"s": (bxl(2016, 3, 15, 9), bxl(2016, 3, 15, 16)), "r": (bxl(2016, 3, 16, 9), None)}
    result = run_clock(OFFICE, events, stops, now=bxl(2016, 3, 16, 15))
    assert close(result["s"], (5 * H, 5 * H))
    assert close(result["r"], (2 * H, 2 * H))


def test_running_clock_defaults_to_the_latest_event():
    events = [("r", bxl(2016, 3, 16, 9), "New"), ("x", bxl(2016, 3, 16, 20), "New")]
    result = run_clock(OFFICE, events, {"r": (bxl(2016, 3, 16, 9), None)})
    assert close(result["r"], (8 * H, 11 * H))  # up to 20:00, the latest event of any ticket
    # An explicit `now` is an aware instant: 12:00 in Brussels is 11:00 UTC.
    result = run_clock(OFFICE, events, {"r": (bxl(2016, 3, 16, 9), None)}, now=bxl(2016, 3, 16, 12))
    assert close(result["r"], (3 * H, 3 * H))


def test_several_pause_states():
    events = [
        ("m", bxl(2016, 3, 17, 9), "New"),
        ("m", bxl(2016, 3, 17, 10), "Awaiting User Info"),
        ("m", bxl(2016, 3, 17, 11), "Awaiting Vendor"),
        ("m", bxl(2016, 3, 17, 12), "In Progress"),
        ("m", bxl(2016, 3, 17, 13), "Awaiting Vendor"),
        ("m", bxl(2016, 3, 17, 14), "Active"),
    ]
    stops = {"m": (bxl(2016, 3, 17, 9), bxl(2016, 3, 17, 17))}
    assert close(run_clock(OFFICE, events, stops)["m"], (5 * H, 5 * H))
    # Only one of the states pauses: 8 h - 1 h.
    assert close(run_clock(OFFICE, events, stops, pause_states=("Awaiting User Info",))["m"], (7 * H, 7 * H))
    # No pause state: the plain difference.
    assert close(run_clock(OFFICE, events, stops, pause_states=())["m"], (8 * H, 8 * H))


def test_ticket_never_leaving_pause():
    events = [("n", bxl(2016, 3, 17, 9), "Awaiting User Info"), ("o", bxl(2016, 3, 17, 9), "Awaiting Vendor")]
    stops = {"n": (bxl(2016, 3, 17, 9), bxl(2016, 3, 17, 15)), "o": (bxl(2016, 3, 17, 9), None)}
    result = run_clock(OFFICE, events, stops, now=bxl(2016, 3, 18, 12))
    assert close(result["n"], (0, 0))
    assert close(result["o"], (0, 0))


def test_events_at_the_same_instant_follow_their_line():
    # Both events at 10:00; by line, Awaiting (line 3) comes before In Progress (line 4): a zero-length pause.
    events = [
        ("l", bxl(2016, 3, 14, 9), "New"),
        ("l", bxl(2016, 3, 14, 10), "Awaiting User Info"),
        ("l", bxl(2016, 3, 14, 10), "In Progress"),
        ("l", bxl(2016, 3, 14, 12), "Resolved"),
    ]
    result = run_clock(OFFICE, events, {"l": (bxl(2016, 3, 14, 9), bxl(2016, 3, 14, 13))})
    assert close(result["l"], (4 * H, 4 * H))


def test_stop_before_start_null_start_and_missing_events():
    events = [("z", bxl(2016, 3, 14, 9), "Awaiting User Info")]
    stops = {
        "z": (bxl(2016, 3, 14, 15), bxl(2016, 3, 14, 11)),  # stop before start
        "u": (None, bxl(2016, 3, 14, 11)),
        "e": (bxl(2016, 3, 14, 9), bxl(2016, 3, 14, 10)),  # no events at all: never paused
    }
    result = run_clock(OFFICE, events, stops)
    assert result["z"] == (0, 0)
    assert result["u"] == (None, None)
    assert close(result["e"], (H, H))


def test_always_open_clock_and_dst():
    # Saturday noon to Sunday noon over the spring change, paused 1 h: 23 h - 1 h on both clocks.
    events = [
        ("d", bxl(2016, 3, 26, 12), "New"),
        ("d", bxl(2016, 3, 26, 20), "Awaiting Vendor"),
        ("d", bxl(2016, 3, 26, 21), "Active"),
    ]
    result = run_clock(ALWAYS_OPEN, events, {"d": (bxl(2016, 3, 26, 12), bxl(2016, 3, 27, 12))})
    assert close(result["d"], (22 * H, 22 * H))
    result = run_clock(OFFICE_AND_SUNDAYS, events, {"d": (bxl(2016, 3, 26, 12), bxl(2016, 3, 27, 12))})
    # Business: Sunday 00:00-12:00 local is 11 h of real time; the Saturday pause is outside hours.
    assert close(result["d"], (11 * H, 22 * H))


# --- agreement with the reference implementation -----------------------------------------------------

ZONES = ("UTC", "Europe/Brussels", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
# DST changes in 2016 for the zones above: the instants cluster around them.
CHANGES = (datetime(2016, 3, 13), datetime(2016, 3, 27), datetime(2016, 4, 3), datetime(2016, 10, 30))


@st.composite
def calendars(draw):
    if draw(st.integers(0, 9)) == 0:
        return ALWAYS_OPEN
    periods = {}
    for weekday in range(7):
        # Whole hours only: in a DST gap a non-whole local time can map before an earlier boundary,
        # where `business_seconds` would count the overlap twice and these functions merge it.
        hours = sorted(draw(st.sets(st.integers(0, 24), max_size=6)))
        hours = hours[: len(hours) // 2 * 2]
        periods[weekday] = [
            (time(start), time(0) if end == 24 else time(end))
            for start, end in zip(hours[::2], hours[1::2], strict=True)
        ]
    holidays = draw(st.frozensets(st.dates(date(2016, 2, 25), date(2016, 11, 15)), max_size=40))
    return CalendarSpec(time_zone=draw(st.sampled_from(ZONES)), periods=periods, holidays=holidays)


instants = st.builds(
    lambda change, offset: (change + timedelta(microseconds=offset)).replace(tzinfo=UTC),
    st.sampled_from(CHANGES),
    st.integers(-10 * 86400 * 10**6, 10 * 86400 * 10**6),
)


@settings(max_examples=50, deadline=None)
@given(spec=calendars(), pairs=st.lists(st.tuples(instants, instants), min_size=1, max_size=30))
def test_offsets_agree_with_business_seconds(spec, pairs):
    differences = offset_differences(spec, pairs)
    for (a, b), difference in zip(pairs, differences, strict=True):
        expected = business_seconds(spec, a, b) - business_seconds(spec, b, a)
        assert difference == pytest.approx(expected, abs=1e-6), (a, b)
