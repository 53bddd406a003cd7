"""The public event logs in tests/data (BPI Challenge 2013 incidents, Helpdesk) and the figures expected
of them, computed here with the csv module and the standard library only, never with the code under test.

The rules applied (docs/measures.md states them for the product):
- a file's records that repeat an earlier record exactly are one event (the Helpdesk log holds 9);
- a ticket's events are ordered by (event_at in UTC, line of the file);
- opened_at = the first event's instant (neither log has an opened column);
- resolved_at: when the final state is resolved or closed, the instant of the last event that moved the
  ticket from an unfinished state (or from no event at all) into a resolved-or-closed one; else none;
- reopens = moves from a resolved-or-closed state to any other; reassignments = changes of assignment
  group between consecutive events (the logs have no counters of their own);
- first-contact resolution = resolved, never reassigned, never reopened;
- medians and percentiles interpolate linearly (numpy.percentile's default), over the tickets that have
  the value;
- time in state: each event's state holds from its instant to the ticket's next event; the final event
  opens an interval that has not ended, which is not a sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Log:
    """A public log: its file, profile, and which of its columns are the canonical fields."""

    folder: str
    file: str
    profile_key: str
    ticket: str
    instant: str
    state: str
    mapped: tuple[str, ...]  # the columns the profile maps (records equal on these are one event)
    resolved: frozenset[str]
    closed: frozenset[str]
    attributes: dict[str, str] = field(default_factory=dict)  # canonical attribute -> column

    @property
    def path(self) -> Path:
        return DATA / self.folder / self.file

    @property
    def profile_path(self) -> Path:
        return DATA / self.folder / "profile.yaml"

    @property
    def finished(self) -> frozenset[str]:
        return self.resolved | self.closed


BPIC2013 = Log(
    folder="bpic2013-incidents",
    file="incidents.csv",
    profile_key="bpic2013-incidents",
    ticket="case:concept:name",
    instant="time:timestamp",
    state="lifecycle:transition",
    mapped=(
        "case:concept:name",
        "time:timestamp",
        "lifecycle:transition",
        "organization involved",
        "org:role",
        "org:group",
        "org:resource",
        "impact",
        "product",
    ),
    resolved=frozenset({"Resolved", "In Call"}),
    closed=frozenset({"Closed", "Cancelled"}),
    attributes={"impact": "impact", "assignment_group": "org:group", "assignee": "org:resource"},
)
HELPDESK = Log(
    folder="helpdesk",
    file="helpdesk.csv",
    profile_key="helpdesk-event-log",
    ticket="case:concept:name",
    instant="time:timestamp",
    state="concept:name",
    mapped=("case:concept:name", "time:timestamp", "concept:name", "org:resource"),
    resolved=frozenset({"Resolve ticket"}),
    closed=frozenset({"Closed"}),
    attributes={"assignee": "org:resource"},
)


def utc(text: str) -> dt.datetime:
    """An ISO 8601 instant with its offset as a naive UTC datetime."""
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class Event:
    line: int
    at: dt.datetime
    state: str
    row: dict[str, str]


@dataclass
class Ticket:
    ticket_id: str
    events: list[Event]  # ordered by (at, line)
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopens: int
    reassignments: int

    @property
    def opened_at(self) -> dt.datetime:
        return self.events[0].at

    @property
    def resolution_hours(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).total_seconds() / 3600

    @property
    def lifetime_hours(self) -> float:
        return (self.events[-1].at - self.events[0].at).total_seconds() / 3600

    @property
    def first_contact_resolution(self) -> bool:
        return self.resolved_at is not None and self.reassignments == 0 and self.reopens == 0

    def latest(self, column: str) -> str:
        return self.events[-1].row[column]

    def first(self, column: str) -> str | None:
        return next((e.row[column] for e in self.events if e.row[column]), None)

    def ever(self, column: str) -> set[str]:
        return {e.row[column] for e in self.events if e.row[column]}


def records(log: Log, path: Path | None = None) -> list[tuple[int, dict[str, str]]]:
    """(line, record) for each record of the log's file (or of `path`, a file in the same layout),
    header = line 1 (no field spans lines here)."""
    with (path or log.path).open(newline="", encoding="utf-8") as handle:
        return list(enumerate(csv.DictReader(handle), start=2))


def _entered(events: list[Event], states: frozenset[str], from_states: frozenset[str]) -> dt.datetime | None:
    """The instant of the last event in `states` whose previous event is not in `from_states`."""
    entered, previous = None, None
    for event in events:
        if event.state in states and previous not in from_states:
            entered = event.at
        previous = event.state
    return entered


def tickets(log: Log, *paths: Path) -> dict[str, Ticket]:
    """Every ticket of the log with its facts, by ticket id; with `paths`, of the union of those files
    (each event once)."""
    seen: set[tuple[str, ...]] = set()
    grouped: dict[str, list[Event]] = defaultdict(list)
    for line, row in itertools.chain.from_iterable(records(log, path) for path in paths or (None,)):
        identity = tuple(row[c] for c in log.mapped)
        if identity in seen:
            continue
        seen.add(identity)
        grouped[row[log.ticket]].append(Event(line, utc(row[log.instant]), row[log.state], row))
    out = {}
    group_column = log.attributes.get("assignment_group")
    for ticket_id, events in grouped.items():
        events.sort(key=lambda e: (e.at, e.line))
        final = events[-1].state
        resolved_at = _entered(events, log.finished, log.finished) if final in log.finished else None
        closed_at = _entered(events, log.closed, log.closed) if final in log.closed else None
        reopens = sum(
            1
            for a, b in itertools.pairwise(events)
            if a.state in log.finished and b.state not in log.finished
        )
        groups = [e.row[group_column] for e in events if group_column and e.row[group_column]]
        reassignments = sum(1 for a, b in itertools.pairwise(groups) if a != b)
        out[ticket_id] = Ticket(ticket_id, events, resolved_at, closed_at, reopens, reassignments)
    return out


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy.percentile's default), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def summary(
    all_tickets: dict[str, Ticket], key_of: Callable[[Ticket], Iterable[str]]
) -> dict[str, dict[str, Any]]:
    """The ticket summary per key: key_of(ticket) gives the keys a ticket counts in (one for a plain
    attribute, several for "ever")."""
    members: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in all_tickets.values():
        for key in key_of(ticket):
            members[key].append(ticket)
    opened = [t.opened_at for t in all_tickets.values()]
    days = (max(opened) - min(opened)).total_seconds() / 86_400
    out = {}
    for key, group in members.items():
        resolution = [h for t in group if (h := t.resolution_hours) is not None]
        lifetime = [t.lifetime_hours for t in group]
        out[key] = {
            "key": key,
            "tickets": len(group),
            "events": sum(len(t.events) for t in group),
            "resolved": len(resolution),
            "median_resolution_hours": statistics.median(resolution) if resolution else None,
            "mean_resolution_hours": statistics.fmean(resolution) if resolution else None,
            "p90_resolution_hours": quantile(resolution, 0.9),
            "p95_resolution_hours": quantile(resolution, 0.95),
            "median_lifetime_hours": statistics.median(lifetime),
            "sla_flag_met_rate": None,
            "reopened_rate": _share([t.reopens > 0 for t in group]),
            "reassigned_rate": _share([t.reassignments > 0 for t in group]),
            "first_contact_resolution_rate": _share([t.first_contact_resolution for t in group]),
            "arrivals_per_day": len(group) / days,
        }
    return out


def state_hours(all_tickets: dict[str, Ticket]) -> dict[str, dict[str, float]]:
    """Per state, per ticket: the hours spent in it, over the intervals that ended (an event's state
    until the ticket's next event)."""
    spent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ticket in all_tickets.values():
        for event, following in itertools.pairwise(ticket.events):
            spent[event.state][ticket.ticket_id] += (following.at - event.at).total_seconds() / 3600
    return spent


def final_states(all_tickets: dict[str, Ticket]) -> set[str]:
    return {t.events[-1].state for t in all_tickets.values()}


def events_per_state(all_tickets: dict[str, Ticket]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for ticket in all_tickets.values():
        for event in ticket.events:
            counts[event.state] += 1
    return dict(counts)
