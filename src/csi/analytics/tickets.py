"""Ticket analytics over the measurement store's events, written once as Ibis expressions.

The input is an Ibis table of events with the canonical columns (`csi.measures.schema.EVENT_COLUMNS`)
plus an integer `batch_id`: the visible events of `csi.measures.store.ticket_events`, where a ticket's
history is the union of the events of its source's batches, each event once. Nothing
here executes a query: every function returns an Ibis expression, run by DuckDB by default and meant to
run unchanged on PySpark (plain Ibis operations only: windows, aggregates, joins, no raw SQL).

Conventions used throughout:
- a ticket's events are ordered by (event_at, batch_id, line), and (ticket_id, batch_id, line) identifies
  an event (`line` is the record's line in its batch's file);
- its *latest version* is the row with the highest `version` (rows without a version rank below every
  row that has one), ties broken by the latest `event_at`, then the latest batch, then the highest `line`;
- durations are calendar time in seconds (float, microsecond-exact), differences of naive UTC instants;
- a *transition* is a change between consecutive events that carry a state (events whose state is null
  are skipped), and a *move* is a change between consecutive events that carry an assignment group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from csi.analytics.ticket_groups import HISTORY_ATTRIBUTES, keyed
from csi.measures import schema

Instant = dt.datetime | dt.date | str
Every = Literal["hour", "day", "week"]

_ORDER = ("event_at", "batch_id", "line")
_STEPS: dict[str, tuple[str, dt.timedelta]] = {
    "hour": ("h", dt.timedelta(hours=1)),
    "day": ("D", dt.timedelta(days=1)),
    "week": ("W", dt.timedelta(weeks=1)),
}


@dataclass(frozen=True)
class TicketRules:
    """What a source tool's states mean: resolved, closed, and "new" (nobody has responded yet)."""

    resolved_states: tuple[str, ...] = ()
    closed_states: tuple[str, ...] = ()
    new_states: tuple[str, ...] = ()

    @property
    def finished_states(self) -> tuple[str, ...]:
        return self.resolved_states + self.closed_states


def _isin(value: ir.Value, options: tuple[str, ...]) -> ir.BooleanValue:
    """`value in options` as a never-null boolean (null is in nothing)."""
    if not options:
        return ibis.literal(False)
    return value.isin(options).fill_null(False)


def _seconds(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    micros = later.delta(earlier, unit="microsecond")
    return micros.cast("float64") / 1_000_000


def _naive_utc(value: Instant) -> dt.datetime:
    """A naive UTC datetime from a datetime (aware ones are converted), a date (its midnight) or ISO text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _instant(value: Instant) -> ir.TimestampScalar:
    return ibis.literal(_naive_utc(value), type="timestamp")


def _event_window() -> ibis.expr.builders.LegacyWindowBuilder:
    return ibis.window(group_by="ticket_id", order_by=list(_ORDER))


# The latest version's columns in the ticket facts, and the event columns they come from.
_LATEST_FIELDS = {
    **{name: name for name in schema.ATTRIBUTES},
    "state": "state",
    "sla_flag": "sla_flag",
    "latest_opened_at": "opened_at",
    "latest_resolved_at": "resolved_at",
    "latest_closed_at": "closed_at",
    "latest_reassignments": "reassignment_count",
    "latest_reopens": "reopen_count",
}


def _latest_row(events: ir.Table) -> ir.StructValue:
    """Per ticket (an aggregate): the (batch_id, line) of its latest version's row, the row with the
    greatest (has a version, version, event_at, batch_id, line) -- a plain arg-max, no window."""
    key = ibis.struct(
        {
            "versioned": events.version.notnull(),
            "version": events.version.fill_null(0),
            "event_at": events.event_at,
            "batch_id": events.batch_id,
            "line": events.line,
        }
    )
    return ibis.struct({"batch_id": events.batch_id, "line": events.line}).argmax(key)


def _with_latest(per_ticket: ir.Table, events: ir.Table) -> ir.Table:
    """`per_ticket` (one row per ticket with a `_latest` struct from `_latest_row`) joined to its latest
    version's row of `events` (a row is identified by ticket_id, batch_id, line), which adds batch_id and
    the columns of `_LATEST_FIELDS`. Fetching the one row afterwards keeps the wide attribute columns out
    of the window and the aggregate."""
    keyed = per_ticket.mutate(_latest_batch=per_ticket._latest.batch_id, _latest_line=per_ticket._latest.line)
    rows = events.select(
        _row_ticket=events.ticket_id,
        batch_id=events.batch_id,
        _row_line=events.line,
        **{name: events[column] for name, column in _LATEST_FIELDS.items()},
    )
    joined = keyed.join(
        rows,
        [
            keyed.ticket_id == rows._row_ticket,
            keyed._latest_batch == rows.batch_id,
            keyed._latest_line == rows._row_line,
        ],
    )
    return joined.drop("_latest", "_latest_batch", "_latest_line", "_row_ticket", "_row_line")


def _with_previous(events: ir.Table, *, first_group: bool = True) -> ir.Table:
    """events plus `_previous_state`, on a row with a state the state of the ticket's previous event that
    has one (null on its first), `_previous_group`, likewise for assignment_group, and (if `first_group`)
    `_first_group`, the ticket's first assignment_group (null if none). Rows without the value sort
    after those with it, so a plain lag skips them and the first row has it; both windows share the
    partition."""
    stated_first = ibis.window(
        group_by="ticket_id", order_by=[events.state.isnull(), events.event_at, events.batch_id, events.line]
    )
    grouped_first = ibis.window(
        group_by="ticket_id",
        order_by=[events.assignment_group.isnull(), events.event_at, events.batch_id, events.line],
    )
    columns = {
        "_previous_state": events.state.lag().over(stated_first),
        "_previous_group": events.assignment_group.lag().over(grouped_first),
    }
    if first_group:
        columns["_first_group"] = events.assignment_group.first().over(grouped_first)
    return events.mutate(**columns)


def _state_values(marked: ir.Table, rules: TicketRules) -> dict[str, ir.Value]:
    """Aggregates (per ticket, over `_with_previous` rows) from its state transitions: when it last
    entered a finished (resolved or closed) state from an unfinished one, when it last entered a closed
    state from a non-closed one, how many times it left a finished state for an unfinished one, and its
    first event outside the new states (events without a state are skipped)."""
    stated = marked.state.notnull()
    finished = _isin(marked.state, rules.finished_states)
    was_finished = _isin(marked._previous_state, rules.finished_states)
    closed = _isin(marked.state, rules.closed_states)
    was_closed = _isin(marked._previous_state, rules.closed_states)
    return {
        "finished_entered_at": marked.event_at.max(where=finished & ~was_finished),
        "closed_entered_at": marked.event_at.max(where=closed & ~was_closed),
        "reopen_transitions": (stated & was_finished & ~finished).sum(),
        "first_response_at": marked.event_at.min(where=stated & ~_isin(marked.state, rules.new_states)),
    }


def _moved(marked: ir.Table) -> ir.BooleanValue:
    """On a `_with_previous` row: its assignment group differs from the previous one's (never null)."""
    return (marked.assignment_group != marked._previous_group).fill_null(False)


def _moves(marked: ir.Table) -> ir.Table:
    """Per ticket with a change of assignment group between consecutive events that have one (over
    `_with_previous` rows): `group_changes`, how many, and `ping_pongs`, how many of those go back to a
    group the ticket already had. Every group but the first one (`_first_group`) first appears through
    a change, and a change into a group not seen before is that group's first appearance; so the changes
    that are not ping-pongs are one per distinct group entered by a change, less one if the first group
    is among them. Only the changes are grouped, so the distinct count stays small."""
    changed = marked.filter(_moved(marked))
    changes = changed.count()
    entered = changed.assignment_group.nunique()
    back_to_first = (changed.assignment_group == changed._first_group).fill_null(False).any()
    return changed.group_by("ticket_id").aggregate(
        group_changes=changes,
        ping_pongs=changes - entered + back_to_first.cast("int64"),
    )


def _latest_versions(events: ir.Table) -> ir.Table:
    """One row per ticket: its latest version's attributes, state, flags, timestamps and counters."""
    return _with_latest(events.group_by("ticket_id").aggregate(_latest=_latest_row(events)), events)


def _state_marks(events: ir.Table, rules: TicketRules) -> ir.Table:
    """Per ticket: finished_entered_at, closed_entered_at, reopen_transitions, first_response_at (see
    `_state_values`)."""
    marked = _with_previous(events)
    return marked.group_by("ticket_id").aggregate(**_state_values(marked, rules))


def _group_moves(events: ir.Table) -> ir.Table:
    """Per ticket with a change of group: group_changes and ping_pongs (see `_moves`)."""
    return _moves(_with_previous(events))


def ticket_facts(events: ir.Table, rules: TicketRules, *, ping_pongs: bool = True) -> ir.Table:
    """One row per ticket_id. Guarantees, events ordered by (event_at, line):

    - `events`, `first_event_at`, `last_event_at`: count, earliest and latest event_at;
    - `batch_id`, every attribute of `schema.ATTRIBUTES`, `state`, `sla_flag`: from the latest version;
    - `opened_at`: the latest version's opened_at, else first_event_at;
    - `resolved_at`: the latest version's resolved_at; else, when the final state is resolved or closed,
      the event_at of the last transition from an unfinished state into a resolved-or-closed state
      (a ticket reopened and resolved again gets the later time; one reopened and closed without passing
      a resolved state again gets the close time); else null;
    - `closed_at`: the latest version's closed_at; else, when the final state is closed, the event_at of
      the last transition from a non-closed state into a closed one; else null;
    - `first_response_at`: the first event_at whose state is not null and not a new state, else null;
    - `reassignments`: the latest version's reassignment_count, else the number of changes of
      assignment_group between consecutive events (events without a group skipped);
    - `ping_pongs`: how many of those changes go back to a group the ticket had before (left out when
      `ping_pongs` is false: counting them costs a distinct count no report needs);
    - `reopens`: the latest version's reopen_count, else the number of transitions from a resolved or
      closed state to a state that is neither;
    - `resolution_seconds` = resolved_at - opened_at (null when not resolved), `response_seconds` =
      first_response_at - opened_at, `lifetime_seconds` = last_event_at - first_event_at;
    - `first_contact_resolution`: resolved_at is set and reassignments == 0 and reopens == 0.
    """
    # One window pass over the few columns it needs (both lags share the partition), one aggregate,
    # then one equi-join fetches the latest version's row.
    narrow = events.select(
        "ticket_id", "batch_id", "event_at", "line", "version", "state", "assignment_group"
    )
    marked = _with_previous(narrow, first_group=ping_pongs)
    moves: dict[str, ir.Value] = {}
    if not ping_pongs:
        moves["group_changes"] = _moved(marked).sum()
    per_ticket = marked.group_by("ticket_id").aggregate(
        events=marked.count(),
        first_event_at=marked.event_at.min(),
        last_event_at=marked.event_at.max(),
        _latest=_latest_row(marked),
        **_state_values(marked, rules),
        **moves,
    )
    joined = _with_latest(per_ticket, events)
    counted: dict[str, ir.Value] = {}
    if ping_pongs:
        joined = joined.left_join(_moves(marked), "ticket_id").drop("ticket_id_right")
        counted["ping_pongs"] = joined.ping_pongs.fill_null(0)
    finished_now = _isin(joined.state, rules.finished_states)
    closed_now = _isin(joined.state, rules.closed_states)
    facts = joined.select(
        "ticket_id",
        "batch_id",
        "events",
        "first_event_at",
        "last_event_at",
        *schema.ATTRIBUTES,
        "state",
        "sla_flag",
        opened_at=ibis.coalesce(joined.latest_opened_at, joined.first_event_at),
        resolved_at=ibis.coalesce(
            joined.latest_resolved_at, ibis.cases((finished_now, joined.finished_entered_at), else_=None)
        ),
        closed_at=ibis.coalesce(
            joined.latest_closed_at, ibis.cases((closed_now, joined.closed_entered_at), else_=None)
        ),
        first_response_at=joined.first_response_at,
        reassignments=ibis.coalesce(joined.latest_reassignments, joined.group_changes, 0),
        **counted,
        reopens=ibis.coalesce(joined.latest_reopens, joined.reopen_transitions, 0),
    )
    return facts.mutate(
        resolution_seconds=_seconds(facts.resolved_at, facts.opened_at),
        response_seconds=_seconds(facts.first_response_at, facts.opened_at),
        lifetime_seconds=_seconds(facts.last_event_at, facts.first_event_at),
        first_contact_resolution=(
            facts.resolved_at.notnull() & (facts.reassignments == 0) & (facts.reopens == 0)
        ),
    )


def state_durations(events: ir.Table, rules: TicketRules, *, until: Instant | None = None) -> ir.Table:
    """Columns ticket_id, state, seconds: per ticket and state, the calendar time from each event in that
    state to the ticket's next event, summed; a null state is its own group. A ticket and state with no
    such interval has no row.

    The final state's open interval (from a ticket's last event on) has no end, so by default it gives no
    sample at all (counting it as 0 hours would pull every median down); then a ticket's seconds add up
    to its lifetime_seconds. With `until`, the last event of a ticket whose last event's state is not
    finished (resolved or closed, per `rules`) counts the time from that event to `until` (nothing when
    the event is at or after `until`): the time a still-open ticket has spent in its state so far."""
    nxt = events.event_at.lead().over(_event_window())
    timed = events.mutate(_next_at=nxt)
    open_end: ir.Value = ibis.null("timestamp")
    if until is not None:
        instant = _instant(until)
        still_open = ~_isin(timed.state, rules.finished_states) & (timed.event_at < instant)
        open_end = ibis.cases((still_open, instant), else_=ibis.null("timestamp"))
    ended = timed.mutate(_end_at=ibis.coalesce(timed._next_at, open_end))
    counted = ended.filter(ended._end_at.notnull())
    return (
        counted.group_by(["ticket_id", "state"])
        .aggregate(seconds=_seconds(counted._end_at, counted.event_at).sum())
        .order_by(["ticket_id", "state"])
    )


def _keyed_summary(
    facts: ir.Table, by: str | None, events: ir.Table | None, default_history: str
) -> ir.Table:
    return keyed(facts, by, events, default_history)


def event_summary(
    events: ir.Table, by: str = "state", start: Instant | None = None, end: Instant | None = None
) -> ir.Table:
    """Columns key, events, tickets, sorted by key: per value of the event column `by` (a ticket
    attribute or state; a null value is a null key), over the events whose event_at lies in
    [start, end) (either bound optional): how many events carry that value and how many tickets have at
    least one such event. A ticket counts in every value it has an event of."""
    if by not in HISTORY_ATTRIBUTES:
        raise ValueError(f"cannot count events by {by!r}: use one of {', '.join(HISTORY_ATTRIBUTES)}")
    selected = events
    if start is not None:
        selected = selected.filter(selected.event_at >= _instant(start))
    if end is not None:
        selected = selected.filter(selected.event_at < _instant(end))
    grouped = selected.mutate(key=selected[by].cast("string"))
    return (
        grouped.group_by("key")
        .aggregate(events=grouped.count(), tickets=grouped.ticket_id.nunique())
        .order_by("key")
    )


def _share(condition: ir.BooleanValue) -> ir.FloatingScalar:
    return condition.fill_null(False).cast("float64").mean()


def opened_between(facts: ir.Table, start: Instant | None = None, end: Instant | None = None) -> ir.Table:
    """The tickets opened in [start, end) (either bound optional)."""
    selected = facts
    if start is not None:
        selected = selected.filter(selected.opened_at >= _instant(start))
    if end is not None:
        selected = selected.filter(selected.opened_at < _instant(end))
    return selected


def ticket_summary(
    facts: ir.Table,
    by: str | None = None,
    start: Instant | None = None,
    end: Instant | None = None,
    *,
    events: ir.Table | None = None,
    default_history: str = "last",
) -> ir.Table:
    """One row per key (see `keyed`: the `by` value as text, or "all"; `first:`/`ever:` keys need
    `events`) over the tickets opened in [start, end) (either bound optional), sorted by key; keys
    without tickets are absent. With an `ever:` key a ticket counts once in each group whose value it
    ever had, so the groups' tickets add up to more than the total. Columns:
    key, tickets, events (summed), resolved (tickets with resolved_at); mean (statistics.fmean) and
    median/p90/p95 of resolution_seconds and mean and median of lifetime_seconds, in hours, quantiles
    exact with linear interpolation (statistics.median, numpy.percentile's default), over tickets where
    the value is not null (null when there is none);
    sla_flag_met_rate (share true among tickets whose sla_flag is not null, null if none);
    reopened_rate, reassigned_rate, first_contact_resolution_rate (shares of all the key's tickets with
    reopens > 0, reassignments > 0, first_contact_resolution); arrivals_per_day = tickets / days from
    start (else the earliest opened_at selected) to end (else the latest opened_at selected), the same
    span for every key, null when it is not positive. Rates are fractions 0..1."""
    keyed = _keyed_summary(opened_between(facts, start, end), by, events, default_history)
    # Quantiles of a float column compile to exact quantile_cont on DuckDB and percentile on Spark.
    resolution_hours = keyed.resolution_seconds.cast("float64") / 3600
    lifetime_hours = keyed.lifetime_seconds.cast("float64") / 3600
    stats = keyed.group_by("key").aggregate(
        tickets=keyed.count(),
        events=keyed.events.sum(),
        resolved=keyed.resolved_at.count(),
        mean_resolution_hours=resolution_hours.mean(),
        median_resolution_hours=resolution_hours.median(),
        p90_resolution_hours=resolution_hours.quantile(0.9),
        p95_resolution_hours=resolution_hours.quantile(0.95),
        mean_lifetime_hours=lifetime_hours.mean(),
        median_lifetime_hours=lifetime_hours.median(),
        sla_flag_met_rate=keyed.sla_flag.cast("float64").mean(),
        reopened_rate=_share(keyed.reopens > 0),
        reassigned_rate=_share(keyed.reassignments > 0),
        first_contact_resolution_rate=_share(keyed.first_contact_resolution),
        _first_opened_at=keyed.opened_at.min(),
        _last_opened_at=keyed.opened_at.max(),
    )
    # The span over every key, from the (few) grouped rows: no second pass over the facts.
    everything = ibis.window()
    low = _instant(start) if start is not None else stats._first_opened_at.min().over(everything)
    high = _instant(end) if end is not None else stats._last_opened_at.max().over(everything)
    days = _seconds(high, low) / 86_400
    columns = [name for name in stats.columns if not name.startswith("_")]
    return stats.select(
        *columns,
        arrivals_per_day=ibis.cases((days > 0, stats.tickets.cast("float64") / days), else_=None),
    ).order_by("key")


def backlog_at(
    facts: ir.Table,
    at: Instant,
    by: str | None = None,
    *,
    events: ir.Table | None = None,
    default_history: str = "last",
) -> ir.Table:
    """Columns key, backlog, sorted by key: per key (as in ticket_summary), the tickets open at the
    instant `at`: opened_at <= at and (closed_at is null or closed_at > at). A ticket opened exactly at
    `at` counts; one closed exactly at `at` does not. Keys with no open ticket are absent."""
    instant = _instant(at)
    open_now = facts.filter(
        (facts.opened_at <= instant) & (facts.closed_at.isnull() | (facts.closed_at > instant))
    )
    keyed = _keyed_summary(open_now, by, events, default_history)
    return keyed.group_by("key").aggregate(backlog=keyed.count()).order_by("key")


def _boundaries(start: Instant, end: Instant, every: Every) -> list[dt.datetime]:
    """Every boundary b with start <= b <= end: UTC midnights ("day"), Monday midnights ("week"),
    whole hours ("hour")."""
    if every not in _STEPS:
        raise ValueError(f"every must be one of {', '.join(_STEPS)}, not {every!r}")
    step = _STEPS[every][1]
    low, high = _naive_utc(start), _naive_utc(end)
    first = low.replace(minute=0, second=0, microsecond=0)
    if every != "hour":
        first = first.replace(hour=0)
    if every == "week":
        first -= dt.timedelta(days=first.weekday())
    while first < low:
        first += step
    out = []
    while first <= high:
        out.append(first)
        first += step
    return out


def backlog_series(facts: ir.Table, start: Instant, end: Instant, every: Every = "day") -> ir.Table:
    """Columns at, backlog, sorted by at: one row per boundary (UTC midnight for "day", Monday
    midnight for "week", whole hour for "hour") from start to end inclusive, with backlog_at(facts, at)
    for that instant (0 when nothing is open). Computed in one pass: each ticket adds +1 at the first
    boundary >= opened_at and -1 at the first boundary >= closed_at (tickets closed at or before their
    opening never count), and the backlog is the running sum of those steps."""
    instants = _boundaries(start, end, every)
    series = ibis.memtable(pa.table({"at": pa.array(instants, type=pa.timestamp("us"))}))
    if not instants:
        return series.mutate(backlog=ibis.literal(0, type="int64"))
    unit, step = _STEPS[every]
    first = ibis.literal(instants[0], type="timestamp")

    def boundary_from(value: ir.TimestampValue) -> ir.TimestampValue:
        floor = value.truncate(unit)
        ceiling = ibis.cases((floor == value, floor), else_=floor + step)
        return ibis.greatest(ceiling, first)

    counted = facts.filter(facts.closed_at.isnull() | (facts.closed_at > facts.opened_at))
    opened = counted.select(_at=boundary_from(counted.opened_at), _step=ibis.literal(1, type="int64"))
    closing = counted.filter(counted.closed_at.notnull())
    closed = closing.select(_at=boundary_from(closing.closed_at), _step=ibis.literal(-1, type="int64"))
    steps = opened.union(closed).group_by("_at").aggregate(_change=ibis._._step.sum())
    joined = series.left_join(steps, series.at == steps._at)
    change = joined._change.fill_null(0)
    running = change.sum().over(ibis.cumulative_window(order_by=joined.at))
    return joined.select("at", backlog=running.cast("int64")).order_by("at")
