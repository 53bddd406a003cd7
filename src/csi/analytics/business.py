"""Business time over whole columns: the vectorised counterpart of `csi.standards.business_time`.

The idea is a *business offset* B(t): the business seconds between a fixed origin and the instant t. B is
continuous and non-decreasing, so the business seconds between a and b are simply B(b) - B(a), and the
business part of [a, b] that lies inside [s, e] is max(0, min(B(b), B(e)) - max(B(a), B(s))). B is
computed for a whole timestamp column by ONE equi-join against a small lookup table built in Python from
the calendar (a few rows per day), so millions of rows need no Python loop.

Guarantees shared by every function here:
- Timestamps in Ibis tables are naive UTC (the measurement store's convention, `measures.schema`);
  `datetime` arguments must be timezone-aware.
- Open hours come from `business_time`'s own per-day intervals, converted to UTC before any arithmetic, so
  DST changes are exact (00:00-00:00 lasts 23 h on the spring change and 25 h on the autumn one) and
  holidays (local dates) are closed. Overlapping or touching intervals are merged, so a moment is never
  counted twice.
- Offsets are float seconds with microsecond resolution; they agree with `business_time.business_seconds`
  to well under a microsecond.
- The lookup covers the requested range padded to whole UTC days (at least one day either side). An
  instant outside it is clamped: before the range it gets the offset of the range's start, after it the
  offset of the range's end. Pass a range that covers the column.

Why not an ASOF join: Ibis 12 refuses ASOF joins on PySpark (`UnsupportedOperationError` in
`ibis/backends/sql/compilers/pyspark.py`), and DESIGN.md requires the same expressions to run there. The
lookup is therefore split at UTC midnights and joined on the UTC date (an equi-join every engine hashes)
plus `from_at <= t < to_at`; each instant matches exactly one row.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from csi.standards import business_time
from csi.standards.business_time import CalendarSpec

EPOCH = datetime(1970, 1, 1)  # naive UTC, like the store's timestamps
DAY = timedelta(days=1)
MICROSECONDS = 1_000_000.0

INTERVAL_SCHEMA = pa.schema(
    [("open_at", pa.timestamp("us")), ("close_at", pa.timestamp("us")), ("cum_seconds", pa.float64())]
)
# Private column names of the lookup table, chosen so they cannot clash with a caller's columns.
_DAY, _FROM, _TO, _BASE, _RATE = "_bt_day", "_bt_from_at", "_bt_to_at", "_bt_base", "_bt_rate"
_LOOKUP_SCHEMA = pa.schema(
    [
        (_DAY, pa.date32()),
        (_FROM, pa.timestamp("us")),
        (_TO, pa.timestamp("us")),
        (_BASE, pa.float64()),
        (_RATE, pa.float64()),
    ]
)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _covered_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """UTC midnights [lo, hi) with at least one whole day either side of [start, end]."""
    business_time._require_aware(start, end)
    first, last = sorted((start.astimezone(UTC), end.astimezone(UTC)))
    lo = datetime.combine(first.date() - DAY, time(0), tzinfo=UTC)
    hi = datetime.combine(last.date() + 2 * DAY, time(0), tzinfo=UTC)
    return lo, hi


def _open_intervals(spec: CalendarSpec, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The calendar's open time inside [lo, hi) as sorted, disjoint, non-touching UTC intervals."""
    if spec.always_open:
        return [(lo, hi)]
    tz = spec.tz
    # A local day's periods lie within that local day, so one local day of margin either side suffices.
    day, last = lo.astimezone(tz).date() - DAY, hi.astimezone(tz).date() + DAY
    found: list[tuple[datetime, datetime]] = []
    while day <= last:
        for opens, closes in business_time._open_intervals(spec, day):
            opens, closes = max(opens, lo), min(closes, hi)
            if closes > opens:
                found.append((opens, closes))
        day += DAY
    # Sorted rather than trusted in order: a local time inside a DST gap can map before an earlier one.
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(found):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def business_intervals(spec: CalendarSpec, start: datetime, end: datetime) -> pa.Table:
    """The calendar's open intervals covering [start, end] (aware datetimes), padded to whole UTC days with
    at least one day either side.

    Columns: `open_at`, `close_at` (naive UTC `timestamp(us)`) and `cum_seconds`, the business seconds of all
    earlier rows. Rows are sorted, disjoint and never touch (adjacent periods, such as 22:00-00:00 followed
    by 00:00-06:00, are merged), so `cum_seconds` is strictly increasing. The first and last intervals are
    cut at the padded range. An always-open spec gives one interval spanning the whole padded range."""
    lo, hi = _covered_range(start, end)
    opens, closes, cums = [], [], []
    total = 0.0
    for interval_open, interval_close in _open_intervals(spec, lo, hi):
        opens.append(_naive_utc(interval_open))
        closes.append(_naive_utc(interval_close))
        cums.append(total)
        total += (interval_close - interval_open).total_seconds()
    return pa.Table.from_arrays(
        [pa.array(opens, pa.timestamp("us")), pa.array(closes, pa.timestamp("us")), pa.array(cums)],
        schema=INTERVAL_SCHEMA,
    )


@dataclass(frozen=True)
class _Lookup:
    """B(t) as pieces that never cross a UTC midnight: B(t) = base + rate * (t - from_at) on [from_at, to_at)."""

    table: ir.Table
    lo: datetime  # naive UTC
    hi: datetime
    total_seconds: float


# Recently built lookups, by calendar and covered range: the clocks of one report share them.
_LOOKUPS: OrderedDict[tuple[object, ...], _Lookup] = OrderedDict()
_LOOKUPS_KEPT = 16
_LOOKUPS_LOCK = threading.Lock()


def _lookup(spec: CalendarSpec, start: datetime, end: datetime) -> _Lookup:
    """B as pieces over the covered range of [start, end]. B is non-decreasing also in floating point:
    within a piece it is base + rate * (microseconds since from_at) / 1e6 (each operation rounds
    monotonically) and the next piece's base is that same sum at to_at; clamping keeps it so. Hence
    B(min(a, b)) = min(B(a), B(b)) exactly, and likewise for max."""
    lo, hi = _covered_range(start, end)
    periods = tuple((day, tuple(spans)) for day, spans in sorted(spec.periods.items()))
    key = (spec.time_zone, spec.always_open, periods, tuple(sorted(spec.holidays)), lo, hi)
    with _LOOKUPS_LOCK:
        found = _LOOKUPS.get(key)
        if found is not None:
            _LOOKUPS.move_to_end(key)
            return found
    built = _build_lookup(spec, lo, hi)
    with _LOOKUPS_LOCK:
        _LOOKUPS[key] = built
        while len(_LOOKUPS) > _LOOKUPS_KEPT:
            _LOOKUPS.popitem(last=False)
    return built


def _build_lookup(spec: CalendarSpec, lo: datetime, hi: datetime) -> _Lookup:
    intervals = _open_intervals(spec, lo, hi)
    opens = [interval[0] for interval in intervals]
    points = {lo, hi, *opens, *(interval[1] for interval in intervals)}
    midnight = lo
    while midnight < hi:
        points.add(midnight)
        midnight += DAY
    ordered = sorted(points)
    columns: dict[str, list[object]] = {name: [] for name in _LOOKUP_SCHEMA.names}
    base = 0.0
    for piece_from, piece_to in itertools.pairwise(ordered):
        index = bisect.bisect_right(opens, piece_from) - 1
        is_open = index >= 0 and piece_from < intervals[index][1]
        columns[_DAY].append(piece_from.date())
        columns[_FROM].append(_naive_utc(piece_from))
        columns[_TO].append(_naive_utc(piece_to))
        columns[_BASE].append(base)
        columns[_RATE].append(1.0 if is_open else 0.0)
        if is_open:
            base += (piece_to - piece_from).total_seconds()
    table = pa.Table.from_pydict(columns, schema=_LOOKUP_SCHEMA)
    return _Lookup(ibis.memtable(table), _naive_utc(lo), _naive_utc(hi), base)


def _seconds_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    # Microseconds first: `epoch_seconds()` is a truncated int32, and microsecond extraction is not on Spark.
    return later.delta(earlier, unit="microsecond").cast("float64") / MICROSECONDS


def _epoch_offset(column: ir.TimestampValue) -> ir.FloatingValue:
    return _seconds_between(column, ibis.literal(EPOCH, type="timestamp"))


def _with_offset(table: ir.Table, column: str, lookup: _Lookup | None, name: str) -> ir.Table:
    """`table` plus a float column `name` = B(table[column]); None as lookup means always open (epoch
    seconds)."""
    if lookup is None:
        return table.mutate(**{name: _epoch_offset(table[column])})
    pieces = lookup.table.view()  # a distinct reference: a table may be looked up twice
    moment = table[column]
    joined = table.left_join(
        pieces,
        [moment.date() == pieces[_DAY], moment >= pieces[_FROM], moment < pieces[_TO]],
    )
    moment = joined[column]
    inside = joined[_BASE] + joined[_RATE] * _seconds_between(moment, joined[_FROM])
    offset = ibis.cases(
        (joined[_BASE].notnull(), inside),
        (moment < ibis.literal(lookup.lo, type="timestamp"), 0.0),
        (moment >= ibis.literal(lookup.hi, type="timestamp"), lookup.total_seconds),
        else_=ibis.null("float64"),
    )
    return joined.select(*[joined[column] for column in table.columns], **{name: offset})


def business_offsets(
    table: ir.Table, column: str, spec: CalendarSpec, start: datetime, end: datetime, name: str
) -> ir.Table:
    """`table` with an added float column `name` = B(`column`), the business offset in seconds.

    B(t) = `cum_seconds` of the last `business_intervals` row opening at or before t, plus the part of that
    interval before t (0 before the first interval); business seconds between a and b are B(b) - B(a)
    (negative when b is before a). For an always-open spec B(t) is the Unix epoch seconds of t and no join
    is made. Null where `column` is null. Every row of `table` is kept once; instants outside the padded
    [start, end] are clamped (see the module docstring)."""
    lookup = None if spec.always_open else _lookup(spec, start, end)
    return _with_offset(table, column, lookup, name)


def _data_range(
    events: ir.Table, stops: ir.Table, start_column: str, stop_column: str
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(earliest clock instant, latest clock instant, latest event_at) as naive UTC, in one small query."""
    clock = stops.aggregate(
        first=ibis.least(stops[start_column].min(), stops[stop_column].min()),
        last=ibis.greatest(stops[start_column].max(), stops[stop_column].max()),
    )
    latest = events.aggregate(latest=events.event_at.max())
    row = clock.cross_join(latest).to_pyarrow().to_pylist()[0]
    return row["first"], row["last"], row["latest"]


def pause_segments(events: ir.Table, pause_states: tuple[str, ...]) -> ir.Table:
    """Columns ticket_id, state, event_at, next_at: one row per event whose `state` is in `pause_states`,
    with the event_at of the ticket's next event (events ordered by event_at, then line; null after its
    last event). Such a row is a pause from event_at to next_at (see `clock_seconds`). Only the events of
    tickets that have a pause-state event go through the window. Compute it once (and materialise it) to
    share it between clocks: `clock_seconds(..., pauses=...)`, `clock_table`."""
    narrow = events.select("ticket_id", "event_at", "line", "state")
    paused = narrow.filter(narrow.state.isin(pause_states))
    mine = narrow.semi_join(paused.select("ticket_id"), "ticket_id")
    following = ibis.window(group_by="ticket_id", order_by=["event_at", "line"])
    ordered = mine.mutate(next_at=mine.event_at.lead().over(following))
    ordered = ordered.filter(ordered.state.isin(pause_states))
    return ordered.select("ticket_id", "state", "event_at", "next_at")


def clock_table(
    stops: ir.Table,
    spec: CalendarSpec,
    pauses: ir.Table | None,
    start_column: str,
    stop_column: str,
    *,
    low: datetime,
    high: datetime,
    now: datetime | None = None,
    elapsed: bool = True,
    pauses_joined: bool = False,
) -> ir.Table:
    """`stops` with every column kept plus `business_seconds` (and `elapsed_seconds` unless `elapsed` is
    false), as defined by `clock_seconds`, from precomputed pauses: a `pause_segments` table holding only
    this clock's pause states (None: never paused). `low` and `high` (naive UTC) bound every start, stop
    and `now` (naive UTC, the stop of a running clock; None leaves it running forever, so null).
    `pauses_joined`: each row of `pauses` already carries its ticket's `start_column` and `stop_column`
    (joined once for several clocks), so it is not joined to `stops` again; rows of tickets absent from
    `stops` are ignored."""
    lookup = None if spec.always_open else _lookup(spec, low.replace(tzinfo=UTC), high.replace(tzinfo=UTC))
    clock = stops.mutate(_clock_start=stops[start_column], _clock_stop=_stop_or_now(stops[stop_column], now))
    internal = ["_clock_start", "_clock_stop"]
    if pauses is not None:
        if pauses_joined:
            segments = pauses.select(
                _pause_ticket=pauses.ticket_id,
                _pause_start=pauses.event_at,
                _next_at=pauses.next_at,
                _clock_start=pauses[start_column],
                _clock_stop=_stop_or_now(pauses[stop_column], now),
            )
        else:
            ends = clock.select(
                _pause_ticket=clock.ticket_id, _clock_start=clock._clock_start, _clock_stop=clock._clock_stop
            )
            segments = pauses.select(
                _pause_ticket=pauses.ticket_id, _pause_start=pauses.event_at, _next_at=pauses.next_at
            ).join(ends, "_pause_ticket")
        paused = _paused(segments, lookup, elapsed)
        clock = clock.left_join(paused, clock.ticket_id == paused._pause_ticket).drop("_pause_ticket")
        internal += ["_business_paused", *(["_elapsed_paused"] if elapsed else [])]
    clock = _with_offset(clock, "_clock_start", lookup, "_b_start")
    clock = _with_offset(clock, "_clock_stop", lookup, "_b_stop")
    internal += ["_b_start", "_b_stop"]
    business = clock._b_stop - clock._b_start
    if pauses is not None:
        business = business - clock._business_paused.fill_null(0.0)
    measures = {"business_seconds": business.clip(lower=0)}
    if elapsed:
        calendar = _epoch_offset(clock._clock_stop) - _epoch_offset(clock._clock_start)
        if pauses is not None:
            calendar = calendar - clock._elapsed_paused.fill_null(0.0)
        measures["elapsed_seconds"] = calendar.clip(lower=0)
    kept = [name for name in clock.columns if name not in internal]
    return clock.select(*kept, **measures)


def _stop_or_now(stop: ir.Value, now: datetime | None) -> ir.Value:
    return stop if now is None else stop.fill_null(ibis.literal(now, type="timestamp"))


def _paused(segments: ir.Table, lookup: _Lookup | None, elapsed: bool) -> ir.Table:
    """Per ticket (`_pause_ticket`) with a pause overlapping its clock: the business (and calendar)
    seconds paused, each pause (`_pause_start` to `_next_at`, else to the stop) clipped to its ticket's
    [_clock_start, _clock_stop]. B is monotone, also in floating point (see `_lookup`), so
    B(min(pause end, stop)) - B(max(pause start, start)) is exactly min(B(pause end), B(stop)) -
    max(B(pause start), B(start)); clipping the instants first needs the lookups of the pauses only, not
    of the clock's start and stop again."""
    pause_end = segments._next_at.fill_null(segments._clock_stop)
    # Pauses wholly outside [start, stop] add nothing (B is monotone): skip their lookups.
    overlapping = (pause_end > segments._clock_start) & (segments._pause_start < segments._clock_stop)
    segments = segments.filter(overlapping).select(
        "_pause_ticket",
        _paused_from=ibis.greatest(segments._pause_start, segments._clock_start),
        _paused_to=ibis.least(pause_end, segments._clock_stop),
    )
    segments = _with_offset(segments, "_paused_from", lookup, "_b_from")
    segments = _with_offset(segments, "_paused_to", lookup, "_b_to")
    sums = {"_business_paused": (segments._b_to - segments._b_from).clip(lower=0).sum()}
    if elapsed:
        calendar = _epoch_offset(segments._paused_to) - _epoch_offset(segments._paused_from)
        sums["_elapsed_paused"] = calendar.clip(lower=0).sum()
    return segments.group_by("_pause_ticket").aggregate(**sums)


def clock_seconds(
    events: ir.Table,
    stops: ir.Table,
    spec: CalendarSpec,
    pause_states: tuple[str, ...],
    start_column: str,
    stop_column: str,
    *,
    now: datetime | None = None,
    pauses: ir.Table | None = None,
) -> ir.Table:
    """Per ticket, how long a service-standard clock ran: in business time and in calendar time, less pauses.

    `stops` has one row per `ticket_id` with the clock's start instant (`start_column`, e.g. opened_at) and
    stop instant (`stop_column`, e.g. resolved_at; null = still running, measured up to `now`, an aware
    datetime, by default the latest `event_at` in `events`). `events` has the canonical event columns
    `ticket_id`, `event_at`, `line`, `state`.

    Result, one row per row of `stops`: `ticket_id`;
    - `business_seconds` = B(stop) - B(start) minus the paused business time, where B is the business
      offset of `business_offsets`. A ticket is paused from each of its events whose `state` is in
      `pause_states` to its next event (events ordered by `event_at`, then `line`); a pause after its last
      event lasts until the stop. Each pause counts only its business part clipped to [start, stop]:
      max(0, min(B(pause end), B(stop)) - max(B(pause start), B(start))). Pauses are disjoint, so each
      moment is subtracted at most once; time before a ticket's first event is never paused.
    - `elapsed_seconds` = the same in calendar time (an always-open clock), with the same pauses.
    Both are >= 0: a stop before the start gives 0. Both are null when the start is null (or when the stop
    is null and there is no `now`: no events and none given). Events of tickets absent from `stops` are
    ignored. Building the expression runs one small aggregate query (the range of clock instants and the
    default `now`), so the calendar lookup covers every start and stop. `pauses`, when given, is
    `pause_segments(events, states)` computed beforehand for states including `pause_states` (only its
    rows in `pause_states` are used), to share that window between several clocks.
    """
    first, last, latest = _data_range(events, stops, start_column, stop_column)
    now_naive = _naive_utc(now) if now is not None else latest
    known = [moment for moment in (first, last, now_naive) if moment is not None]
    low, high = (min(known), max(known)) if known else (EPOCH, EPOCH)
    if not pause_states:
        segments = None
    elif pauses is None:
        segments = pause_segments(events, pause_states)
    else:
        segments = pauses.filter(pauses.state.isin(pause_states))
    clock = stops.select("ticket_id", start_column, stop_column)
    table = clock_table(clock, spec, segments, start_column, stop_column, low=low, high=high, now=now_naive)
    return table.select("ticket_id", "business_seconds", "elapsed_seconds")
