"""Synthetic ticket event logs: realistic, reproducible, and as big as a benchmark or a demo needs.

The file looks like a ServiceNow incident export of versions (the shape of the UCI event log): one row
per change of a ticket, every row repeating the ticket's attributes as of that change, with `version`
counting up from 0. Tickets arrive mostly in office hours on weekdays (Brussels local time), move
New -> Active -> (reassignments, work-note updates, waits for the user or a vendor) -> Resolved ->
Closed; about 5 % are reopened once; tickets opened shortly before the end of the log are still open.

Everything is vectorised with NumPy over chunks of tickets (no Python loop per ticket or per event),
including the CSV text: each field is a row of a small table of pre-encoded, NUL-padded values, rows
are assembled side by side and the padding is squeezed out. A second thread formats and writes one
chunk while the next is generated, so memory stays bounded by two chunks whatever the size of the log.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

COLUMNS = (
    "ticket_id",
    "event_at",
    "state",
    "priority",
    "category",
    "assignment_group",
    "assignee",
    "customer",
    "configuration_item",
    "channel",
    "opened_at",
    "resolved_at",
    "closed_at",
    "reassignment_count",
    "reopen_count",
    "made_sla",
    "version",
)

PRIORITIES = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")
PRIORITY_SHARES = (0.02, 0.08, 0.40, 0.50)
STATES = ("New", "Active", "Awaiting User Info", "Awaiting Vendor", "Resolved", "Closed")
CHANNELS = ("Phone", "Email", "Self-service", "Chat", "Monitoring", "Walk-in")
CHANNEL_SHARES = (0.30, 0.25, 0.25, 0.10, 0.07, 0.03)
CATEGORY_COUNT = 60
GROUP_COUNT = 40
PEOPLE_PER_GROUP = 8
CUSTOMER_COUNT = 5000
ITEMS_PER_CATEGORY = 25
# Volume: a large service desk's million tickets a year; small logs still cover four weeks so that
# weekdays, weekends and ageing show.
TICKETS_PER_YEAR = 1_000_000
MIN_DAYS = 28.0
# Tickets generated per chunk: bounds memory (about 150 MB of temporaries and text per chunk).
CHUNK_TICKETS = 50_000

# Per priority: median minutes to first assignment, median hours of active work to resolution and
# its spread (log-normal sigma), and the resolution target in hours that `made_sla` is measured on.
RESPONSE_MEDIAN_MINUTES = np.array([5.0, 15.0, 45.0, 90.0])
WORK_MEDIAN_HOURS = np.array([1.5, 3.5, 20.0, 40.0])
WORK_SIGMA = np.array([0.8, 0.9, 1.0, 1.0])
TARGET_HOURS = np.array([4.0, 8.0, 72.0, 120.0])

# Arrival intensity by local hour of day (weekday, weekend day); office hours 08-18 dominate.
WEEKDAY_PROFILE = np.array(
    [0.05, 0.04, 0.04, 0.04, 0.04, 0.05, 0.10, 0.30, 0.90, 1.00, 1.00, 1.00,
     0.70, 0.95, 0.95, 0.95, 0.90, 0.70, 0.35, 0.20, 0.15, 0.12, 0.08, 0.06]
)  # fmt: skip
WEEKEND_PROFILE = np.array(
    [0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.06, 0.08, 0.10, 0.10, 0.10,
     0.10, 0.10, 0.10, 0.10, 0.08, 0.08, 0.08, 0.08, 0.06, 0.06, 0.06, 0.06]
)  # fmt: skip
MONTH_FACTOR = np.array([1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 0.85, 0.8, 1.05, 1.05, 1.0, 0.85])

# Event kinds, in the order a ticket can go through them; KIND_STATE gives each kind's state (index
# into STATES).
NEW, ASSIGN, REASSIGN, UPDATE, AWAIT_USER, AWAIT_VENDOR, RESUME, RESOLVE, REOPEN, RERESOLVE, CLOSE = range(11)
KIND_STATE = np.array([0, 1, 1, 1, 2, 3, 1, 4, 1, 4, 5], dtype=np.int8)
# Kinds after which the SLA clock runs (the ticket is New or Active); it stops while waiting or resolved.
CLOCK_RUNS_AFTER = np.array([1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0], dtype=bool)
MAX_REASSIGNMENTS = 4
MAX_WAITS = 2
MAX_UPDATES = 12
# New, Active, the middle events, Resolved, Active, Resolved, Closed: the highest version possible.
MAX_VERSION = 2 + MAX_REASSIGNMENTS + 2 * MAX_WAITS + MAX_UPDATES + 4 - 1


def generate_event_log(
    path: Path,
    tickets: int,
    seed: int = 1,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    *,
    days: float | None = None,
) -> dict[str, int]:
    """Write a synthetic ticket event log of `tickets` tickets to `path` as UTF-8 CSV with a header.

    Columns are `COLUMNS`; timestamps are ISO-8601 UTC with a trailing Z. Tickets open between
    `start` and `start + days` (default: a year per million tickets, at least 28 days), and the log is
    extracted at `start + days`: later events do not exist yet, so recent tickets are still open.
    The same arguments always give the same bytes. The file is written under a temporary name and
    renamed into place, so `path` never holds a half-written log. Returns the numbers of tickets and
    events (rows) and the size of the file in bytes.
    """
    if tickets < 1:
        raise ValueError("tickets must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    span_days = float(days) if days is not None else max(MIN_DAYS, 365.0 * tickets / TICKETS_PER_YEAR)
    if span_days <= 0:
        raise ValueError("days must be positive")
    start_s = int(start.timestamp())
    end_s = start_s + int(span_days * 86400)

    setup = np.random.default_rng([seed, 0])
    arrivals = _ArrivalCurve(setup, start_s, end_s)
    home_group = setup.permutation(CATEGORY_COUNT) % GROUP_COUNT
    text = _CsvText(start_s, end_s, tickets)
    events = 0

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out, ThreadPoolExecutor(max_workers=1) as writer:
            out.write((",".join(COLUMNS) + "\n").encode())
            pending: Future[None] | None = None
            for chunk, first in enumerate(range(0, tickets, CHUNK_TICKETS)):
                rng = np.random.default_rng([seed, 1, chunk])
                count = min(CHUNK_TICKETS, tickets - first)
                rows = _chunk_events(
                    rng, first, arrivals.opened_at(rng, first, count, tickets), end_s, home_group
                )
                events += len(rows["version"])
                if pending is not None:
                    pending.result()  # at most one chunk waits to be written: memory stays bounded
                pending = writer.submit(text.write, out, rows)
            if pending is not None:
                pending.result()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return {"tickets": tickets, "events": events, "bytes": path.stat().st_size}


class _ArrivalCurve:
    """When tickets open: an hourly intensity (local office hours, weekdays, seasons, day-to-day noise)
    whose inverse distribution function places ticket i at quantile (i + jitter) / n. Opening times
    therefore rise with the ticket number, and any chunk can be placed without the others."""

    def __init__(self, rng: np.random.Generator, start_s: int, end_s: int) -> None:
        hours = max(1, -(-(end_s - start_s) // 3600))
        self.hour_start = start_s + 3600 * np.arange(hours, dtype=np.int64)
        self.hour_length = np.minimum(3600, end_s - self.hour_start).astype(np.float64)
        local = self.hour_start + _brussels_offset(self.hour_start)
        local_day = local // 86400
        hour_of_day = (local // 3600) % 24
        weekend = (local_day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        month = np.asarray(local.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12)
        day_noise = rng.lognormal(0.0, 0.2, int(local_day[-1] - local_day[0]) + 1)
        weight = np.where(weekend, WEEKEND_PROFILE[hour_of_day], WEEKDAY_PROFILE[hour_of_day])
        weight = weight * MONTH_FACTOR[month] * day_noise[local_day - local_day[0]]
        self.weight = weight * self.hour_length / 3600
        self.cumulative = np.cumsum(self.weight)

    def opened_at(self, rng: np.random.Generator, first: int, count: int, total: int) -> np.ndarray:
        quantile = (first + np.arange(count) + rng.random(count)) / total * self.cumulative[-1]
        hour = np.minimum(np.searchsorted(self.cumulative, quantile, side="right"), len(self.weight) - 1)
        before = self.cumulative[hour] - self.weight[hour]
        within = np.clip((quantile - before) / np.maximum(self.weight[hour], 1e-12), 0.0, 1.0)
        opened: np.ndarray = self.hour_start[hour] + np.floor(within * (self.hour_length[hour] - 1)).astype(
            np.int64
        )
        return np.maximum.accumulate(opened)


def _brussels_offset(utc_s: np.ndarray) -> np.ndarray:
    """Seconds to add to UTC for Brussels time: +1 h, +2 h from the last Sunday of March 01:00 UTC to
    the last Sunday of October 01:00 UTC (the EU rule), without a time zone database."""
    years = utc_s.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    offset = np.full(utc_s.shape, 3600, dtype=np.int64)
    for year in np.unique(years):  # one iteration per calendar year in the log
        begins, ends = (_last_sunday_1am_utc(int(year), month) for month in (3, 10))
        offset[(years == year) & (utc_s >= begins) & (utc_s < ends)] = 7200
    return offset


def _last_sunday_1am_utc(year: int, month: int) -> int:
    last_day = np.datetime64(f"{year}-{month + 1:02d}-01") - np.timedelta64(1, "D")
    days = int(last_day.astype(np.int64))
    days -= (days + 4) % 7  # back to that week's Sunday (1970-01-01 was a Thursday)
    return days * 86400 + 3600


def _skewed(rng: np.random.Generator, size: int, n: int, exponent: float) -> np.ndarray:
    """Indexes 0..n-1 with Zipf-like weights 1 / (k + 1) ** exponent."""
    cumulative = np.cumsum(1.0 / np.arange(1, n + 1) ** exponent)
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right").clip(0, n - 1)


def _choice(rng: np.random.Generator, size: int, shares: tuple[float, ...]) -> np.ndarray:
    cumulative = np.cumsum(shares)
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right").clip(
        0, len(shares) - 1
    )


def _within(ticket: np.ndarray, first_row: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of `values` within each ticket (rows grouped by ticket, in order)."""
    running = np.cumsum(values)
    return running - (running[first_row] - values[first_row])[ticket]


def _chunk_events(
    rng: np.random.Generator, first: int, opened: np.ndarray, end_s: int, home_group: np.ndarray
) -> dict[str, np.ndarray]:
    """The rows of tickets first+1 .. first+len(opened), as codes per column (-1: empty field)."""
    count = len(opened)
    t = _tickets(rng, count, home_group)
    ticket, first_row, position, kind = _event_kinds(rng, t)
    middle = t["reassignments"] + 2 * t["waits"] + t["updates"]
    reopened = t["reopened"]

    # Time before each event, chosen by what the ticket was doing since the previous one.
    priority = t["priority"]
    row_priority = priority[ticket]
    previous = np.concatenate(([NEW], kind[:-1]))
    rows = len(kind)
    work = np.exp(
        np.log(WORK_MEDIAN_HOURS[priority] * 3600) + WORK_SIGMA[priority] * rng.standard_normal(count)
    )
    work = work * 1.3 ** t["reassignments"]
    share = rng.exponential(1.0, rows) * ((kind <= RESOLVE) & CLOCK_RUNS_AFTER[previous] & (position > 1))
    share_total = np.bincount(ticket, weights=share, minlength=count)
    gap = share / np.maximum(share_total, 1e-9)[ticket] * work[ticket]
    response = RESPONSE_MEDIAN_MINUTES[row_priority] * 60 * rng.lognormal(0.0, 1.0, rows)
    gap = np.where(kind == ASSIGN, response, gap)
    gap = np.where(previous == AWAIT_USER, rng.lognormal(np.log(18 * 3600), 1.0, rows), gap)
    gap = np.where(previous == AWAIT_VENDOR, rng.lognormal(np.log(48 * 3600), 0.8, rows), gap)
    gap = np.where(kind == REOPEN, rng.lognormal(np.log(30 * 3600), 0.8, rows), gap)
    gap = np.where(kind == RERESOLVE, rng.lognormal(np.log(4 * 3600), 1.0, rows), gap)
    # Most resolved tickets close automatically five days later; some users confirm sooner.
    user_closes = np.minimum(rng.lognormal(np.log(6 * 3600), 1.2, rows), 5 * 86400)
    auto_closes = 5 * 86400 + rng.random(rows) * 3600
    gap = np.where(kind == CLOSE, np.where(rng.random(rows) < 0.3, user_closes, auto_closes), gap)
    gap = np.where(position == 0, 0.0, gap).astype(np.int64)
    event_s = opened[ticket] + _within(ticket, first_row, gap)

    # Counters and the SLA flag as of each row; the clock runs while the ticket is New or Active.
    reassignment_count = _within(ticket, first_row, (kind == REASSIGN).astype(np.int64))
    reopen_count = _within(ticket, first_row, (kind == REOPEN).astype(np.int64))
    clock = _within(ticket, first_row, np.where(CLOCK_RUNS_AFTER[previous] & (position > 0), gap, 0))
    target = TARGET_HOURS[priority] * 3600 * rng.lognormal(0.0, 0.1, count)
    made_sla = clock <= target[ticket]

    # resolved_at from the Resolved event on, cleared by a reopening; closed_at on the Closed event.
    after_middle = position - (2 + middle)[ticket]
    resolve_row = first_row + 2 + middle
    first_resolved = event_s[resolve_row]
    final_resolved = event_s[np.where(reopened, resolve_row + 2, resolve_row)]
    resolved_s = np.where(after_middle >= 2, final_resolved[ticket], first_resolved[ticket])
    unresolved = (after_middle < 0) | (reopened[ticket] & (after_middle == 1))

    # The extract is taken at end_s: later events have not happened yet.
    keep = event_s <= end_s
    handovers = np.minimum(reassignment_count, MAX_REASSIGNMENTS)
    columns = {
        "ticket": first + 1 + ticket,
        "event_at": event_s,
        "state": KIND_STATE[kind],
        "priority": row_priority,
        "category": t["category"][ticket],
        "assignment_group": t["groups"][ticket, handovers],
        "assignee": np.where(kind == NEW, -1, t["people"][ticket, handovers]),
        "customer": t["customer"][ticket],
        "configuration_item": t["item"][ticket],
        "channel": t["channel"][ticket],
        "opened_at": opened[ticket],
        "resolved_at": np.where(unresolved, -1, resolved_s),
        "closed_at": np.where(kind == CLOSE, event_s, -1),
        "reassignment_count": reassignment_count,
        "reopen_count": reopen_count,
        "made_sla": made_sla.astype(np.int8),
        "version": position,
    }
    return {name: values[keep] for name, values in columns.items()}


def _tickets(rng: np.random.Generator, count: int, home_group: np.ndarray) -> dict[str, np.ndarray]:
    """Each ticket as created, and how its life will go (counts of each kind of event)."""
    category = _skewed(rng, count, CATEGORY_COUNT, 1.1)
    home = home_group[category]
    first_group = np.where(rng.random(count) < 0.75, home, _skewed(rng, count, GROUP_COUNT, 0.8))
    # Group and assignee after the j-th reassignment; some tickets ping-pong back to the group before.
    groups = np.empty((count, MAX_REASSIGNMENTS + 1), dtype=np.int64)
    people = np.empty_like(groups)
    groups[:, 0] = first_group
    people[:, 0] = first_group * PEOPLE_PER_GROUP + _skewed(rng, count, PEOPLE_PER_GROUP, 0.7)
    for j in range(1, MAX_REASSIGNMENTS + 1):  # a fixed handful of steps, each vectorised over tickets
        current = groups[:, j - 1]
        onward = np.where(
            (rng.random(count) < 0.5) & (home != current), home, rng.integers(0, GROUP_COUNT, count)
        )
        onward = np.where(
            onward == current, (current + rng.integers(1, GROUP_COUNT, count)) % GROUP_COUNT, onward
        )
        person = onward * PEOPLE_PER_GROUP + _skewed(rng, count, PEOPLE_PER_GROUP, 0.7)
        if j >= 2:
            back = rng.random(count) < 0.4
            onward = np.where(back, groups[:, j - 2], onward)
            person = np.where(back, people[:, j - 2], person)
        groups[:, j] = onward
        people[:, j] = person
    return {
        "priority": _choice(rng, count, PRIORITY_SHARES),
        "category": category,
        "groups": groups,
        "people": people,
        "customer": np.floor(CUSTOMER_COUNT * rng.random(count) ** 2.5).astype(np.int64),
        "item": category * ITEMS_PER_CATEGORY
        + np.floor(ITEMS_PER_CATEGORY * rng.random(count) ** 2).astype(np.int64),
        "channel": _choice(rng, count, CHANNEL_SHARES),
        "reassignments": _choice(rng, count, (0.55, 0.27, 0.10, 0.05, 0.03)),
        "waits": _choice(rng, count, (0.70, 0.24, 0.06)),
        "updates": np.minimum(rng.poisson(1.1, count), MAX_UPDATES),
        "reopened": rng.random(count) < 0.05,
    }


def _event_kinds(
    rng: np.random.Generator, t: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each ticket's events in order: New, Active, the middle (reassignments, work-note updates and
    waits, shuffled; a wait is two events), Resolved, [Active, Resolved when reopened], Closed.
    Returns each event's ticket, each ticket's first row, each event's position and kind."""
    reassignments, waits, updates, reopened = t["reassignments"], t["waits"], t["updates"], t["reopened"]
    tickets = np.arange(len(reassignments))
    units = reassignments + waits + updates
    unit_ticket = np.repeat(tickets, units)
    unit_rank = np.arange(len(unit_ticket)) - (np.cumsum(units) - units)[unit_ticket]
    unit_kind = np.where(
        unit_rank < reassignments[unit_ticket],
        REASSIGN,
        np.where(unit_rank < (reassignments + waits)[unit_ticket], AWAIT_USER, UPDATE),
    )
    unit_kind = np.where(
        (unit_kind == AWAIT_USER) & (rng.random(len(unit_kind)) < 0.3), AWAIT_VENDOR, unit_kind
    )
    unit_kind = unit_kind[np.lexsort((rng.random(len(unit_kind)), unit_ticket))]
    is_wait = (unit_kind == AWAIT_USER) | (unit_kind == AWAIT_VENDOR)
    middle_kind = np.repeat(unit_kind, np.where(is_wait, 2, 1))
    middle_kind[np.cumsum(np.where(is_wait, 2, 1))[is_wait] - 1] = RESUME
    middle = reassignments + 2 * waits + updates

    sizes = 2 + middle + 2 + 2 * reopened
    ticket = np.repeat(tickets, sizes)
    first_row = np.cumsum(sizes) - sizes
    position = np.arange(len(ticket)) - first_row[ticket]
    after_middle = position - (2 + middle)[ticket]
    kind = np.full(len(ticket), CLOSE, dtype=np.int64)
    kind[position == 0] = NEW
    kind[position == 1] = ASSIGN
    kind[(position >= 2) & (after_middle < 0)] = middle_kind
    kind[after_middle == 0] = RESOLVE
    kind[reopened[ticket] & (after_middle == 1)] = REOPEN
    kind[reopened[ticket] & (after_middle == 2)] = RERESOLVE
    return ticket, first_row, position, kind


class _Piece(NamedTuple):
    """A piece of a CSV line: a table of NUL-padded entries and which row the columns pick. Several
    columns with few values share one table, numbered row-major (code = a * len(b) + b); a timestamp
    is two pieces, its date and its time of day."""

    table: np.ndarray
    columns: tuple[str, ...]
    sizes: tuple[int, ...] = ()  # value counts of columns[1:]
    part: str = ""  # "day" or "time" for a timestamp


class _CsvText:
    """Turns a chunk's codes into CSV bytes: each line is its pieces' entries side by side in a record
    array (each entry already ends with its comma, the last with a newline); dropping the NUL padding
    leaves the CSV text. -1 (an empty field) picks a table's last entry."""

    def __init__(self, start_s: int, end_s: int, tickets: int) -> None:
        self.first_day = start_s // 86400
        self.id_width = max(7, len(str(tickets)))
        days = np.datetime_as_string(np.arange(self.first_day, end_s // 86400 + 1).astype("datetime64[D]"))
        clock = np.datetime_as_string(np.arange(86400).astype("datetime64[s]"))
        day = _table([*(value + "T" for value in days), ""])
        time = _table([*(value[11:] + "Z," for value in clock), ","])
        people = GROUP_COUNT * PEOPLE_PER_GROUP
        items = CATEGORY_COUNT * ITEMS_PER_CATEGORY
        versions = MAX_VERSION + 1
        self.pieces = [
            _Piece(day, ("event_at",), part="day"),
            _Piece(time, ("event_at",), part="time"),
            _Piece(
                _table([f"{state},{priority}," for state in STATES for priority in PRIORITIES]),
                ("state", "priority"),
                (len(PRIORITIES),),
            ),
            _Piece(
                _table(
                    [f"Category {c},Group {g}," for c in _names(CATEGORY_COUNT) for g in _names(GROUP_COUNT)]
                ),
                ("category", "assignment_group"),
                (GROUP_COUNT,),
            ),
            _Piece(_table([*(f"Person {n}," for n in _names(people)), ","]), ("assignee",)),
            _Piece(_table([f"Customer {n}," for n in _names(CUSTOMER_COUNT)]), ("customer",)),
            _Piece(
                _table([f"CI {n},{channel}," for n in _names(items) for channel in CHANNELS]),
                ("configuration_item", "channel"),
                (len(CHANNELS),),
            ),
        ]
        for name in ("opened_at", "resolved_at", "closed_at"):
            self.pieces += [_Piece(day, (name,), part="day"), _Piece(time, (name,), part="time")]
        tail = [
            f"{reassigned},{reopened},{made},{version}\n"
            for reassigned in range(MAX_REASSIGNMENTS + 1)
            for reopened in range(2)
            for made in ("false", "true")
            for version in range(versions)
        ]
        self.pieces.append(
            _Piece(
                _table(tail),
                ("reassignment_count", "reopen_count", "made_sla", "version"),
                (2, 2, versions),
            )
        )
        widths = [4 + self.id_width] + [piece.table.itemsize for piece in self.pieces]
        self.line = np.dtype(
            {"names": [f"p{n}" for n in range(len(widths))], "formats": [f"V{w}" for w in widths]}
        )
        self.lines = np.zeros(0, dtype=self.line)
        self.nonzero = np.zeros(0, dtype=bool)

    def codes(self, piece: _Piece, rows: dict[str, np.ndarray]) -> np.ndarray:
        code = rows[piece.columns[0]]
        if piece.part:
            entry = code // 86400 - self.first_day if piece.part == "day" else code % 86400
            return np.where(code < 0, -1, entry)
        for column, size in zip(piece.columns[1:], piece.sizes, strict=True):
            code = code * size + rows[column]
        return code

    def write(self, out: BinaryIO, rows: dict[str, np.ndarray]) -> None:
        count = len(rows["version"])
        if len(self.lines) < count:  # reused between chunks: fresh memory costs page faults
            self.lines = np.zeros(count + count // 4, dtype=self.line)
            self.nonzero = np.zeros(len(self.lines) * self.line.itemsize, dtype=bool)
        lines = self.lines[:count]
        tickets = rows["ticket"][-1] - rows["ticket"][0] + 1
        number = rows["ticket"][0] + np.arange(tickets)
        ticket_id = np.empty((tickets, 4 + self.id_width), dtype=np.uint8)
        ticket_id[:, :3] = np.frombuffer(b"INC", dtype=np.uint8)
        ticket_id[:, 3:-1] = number[:, None] // 10 ** np.arange(self.id_width - 1, -1, -1) % 10 + ord("0")
        ticket_id[:, -1] = ord(",")
        lines["p0"] = ticket_id.view(self.line["p0"])[:, 0][rows["ticket"] - rows["ticket"][0]]
        for n, piece in enumerate(self.pieces, start=1):
            lines[f"p{n}"] = piece.table[self.codes(piece, rows)]
        text = lines.view(np.uint8)
        nonzero = self.nonzero[: len(text)]
        np.not_equal(text, 0, out=nonzero)
        out.write(text[nonzero].data)


def _names(count: int) -> range:
    return range(1, count + 1)


def _table(values: Sequence[str]) -> np.ndarray:
    """ASCII values as a 1-D array of fixed-size, NUL-padded entries (one line piece each)."""
    encoded = np.array(values, dtype=np.bytes_)
    return encoded.view(np.dtype((np.void, encoded.itemsize)))
