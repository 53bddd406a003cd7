"""Group keys over a ticket's history (last / first / ever), events by state, and means, on small event
tables built by hand; every expected figure is recomputed here in plain Python from the same rows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import pytest

from csi.analytics import ticket_groups, tickets
from csi.analytics.tests.test_tickets import RULES, at, event, table

ROWS = [
    # A: priority 3 then 1; groups L1 -> L2 -> L1 -> L3; resolved after 10 h
    event("A", 0, "New", opened_at=at(0), priority="3", assignment_group="L1", version=0),
    event("A", 1, "Active", opened_at=at(0), priority=None, assignment_group="L2", version=1),
    event("A", 2, "Active", opened_at=at(0), priority="1", assignment_group="L1", version=2),
    event("A", 10, "Resolved", opened_at=at(0), priority="1", assignment_group="L3", version=3),
    # B: no priority at first, then 2; one group; resolved after 4 h
    event("B", 5, "New", opened_at=at(5), priority=None, assignment_group="L1", version=0),
    event("B", 9, "Resolved", opened_at=at(5), priority="2", assignment_group="L1", version=1),
    # C: never a priority, never a group, still open
    event("C", 3, "New", opened_at=at(3)),
    # D: priority 2 throughout, L2 then L3; resolved after 1 h (same instant as its second event)
    event("D", 20, "New", opened_at=at(20), priority="2", assignment_group="L2", version=0),
    event("D", 21, "Resolved", opened_at=at(20), priority="2", assignment_group="L3", version=1),
]


def expected_values(history: str, column: str) -> dict[str, set[str | None]]:
    """Per ticket, the set of keys it counts under, from the rows in their (event_at, line) order."""
    per_ticket: dict[str, list[tuple[Any, int, Any, Any]]] = defaultdict(list)
    for line, row in enumerate(ROWS, start=2):
        per_ticket[row["ticket_id"]].append((row["event_at"], line, row.get(column), row.get("version")))
    result: dict[str, set[str | None]] = {}
    for ticket, rows in per_ticket.items():
        rows.sort(key=lambda r: (r[0], r[1]))
        present = [r[2] for r in rows if r[2] is not None]
        if history == "first":
            result[ticket] = {present[0] if present else None}
        elif history == "ever":
            result[ticket] = set(present) or {None}
        else:  # last: the highest version's row
            latest = max(rows, key=lambda r: (r[3] is not None, r[3] or 0, r[0], r[1]))
            result[ticket] = {latest[2]}
    return result


def counts(values: dict[str, set[str | None]]) -> dict[str | None, int]:
    tally: dict[str | None, int] = defaultdict(int)
    for keys in values.values():
        for key in keys:
            tally[key] += 1
    return dict(tally)


def summary_rows(by: str | None, **kwargs: Any) -> dict[str | None, dict[str, Any]]:
    events = table(*ROWS)
    facts = tickets.ticket_facts(events, RULES)
    rows = tickets.ticket_summary(facts, by=by, events=events, **kwargs).to_pyarrow().to_pylist()
    return {row["key"]: row for row in rows}


@pytest.mark.parametrize("history", ["last", "first", "ever"])
@pytest.mark.parametrize("column", ["priority", "assignment_group", "state"])
def test_each_history_counts_the_tickets_an_independent_count_finds(history: str, column: str) -> None:
    rows = summary_rows(f"{history}:{column}")
    assert {key: row["tickets"] for key, row in rows.items()} == counts(expected_values(history, column))


def test_first_and_ever_values_by_hand() -> None:
    first = summary_rows("first:priority")
    assert {k: r["tickets"] for k, r in first.items()} == {"3": 1, "2": 2, None: 1}  # A, B+D, C
    ever = summary_rows("ever:assignment_group")
    # A was in L1, L2, L3; B in L1; D in L2, L3; C in none: overlapping groups, 6 > 4 tickets
    assert {k: r["tickets"] for k, r in ever.items()} == {"L1": 2, "L2": 2, "L3": 2, None: 1}
    assert ever["L3"]["median_resolution_hours"] == statistics.median([10, 1])
    latest = summary_rows("priority")
    assert {k: r["tickets"] for k, r in latest.items()} == {"1": 1, "2": 2, None: 1}


def test_the_default_history_applies_to_a_bare_attribute_only() -> None:
    assert summary_rows("priority", default_history="first") == summary_rows("first:priority")
    assert summary_rows("last:priority", default_history="first") == summary_rows("last:priority")


def test_mean_beside_the_median() -> None:
    (row,) = summary_rows(None).values()
    resolution = [10, 4, 1]  # A, B, D (C unresolved)
    lifetimes = [10, 4, 0, 1]
    assert row["mean_resolution_hours"] == pytest.approx(statistics.fmean(resolution), rel=1e-12)
    assert row["median_resolution_hours"] == pytest.approx(statistics.median(resolution), rel=1e-12)
    assert row["mean_lifetime_hours"] == pytest.approx(statistics.fmean(lifetimes), rel=1e-12)


def test_backlog_groups_by_history_too() -> None:
    events = table(*ROWS)
    facts = tickets.ticket_facts(events, RULES)
    rows = tickets.backlog_at(facts, at(6), by="ever:assignment_group", events=events).to_pyarrow()
    # open at hour 6: A (opened 0, resolved 10), B (opened 5), C (opened 3)
    assert {r["key"]: r["backlog"] for r in rows.to_pylist()} == {"L1": 2, "L2": 1, "L3": 1, None: 1}


def test_events_by_state_counts_events_and_tickets() -> None:
    rows = tickets.event_summary(table(*ROWS), by="state", start=at(1), end=at(21)).to_pyarrow().to_pylist()
    chosen = [r for r in ROWS if at(1) <= r["event_at"] < at(21)]
    expected: dict[str, tuple[int, set[str]]] = defaultdict(lambda: (0, set()))
    for r in chosen:
        n, who = expected[r["state"]]
        expected[r["state"]] = (n + 1, who | {r["ticket_id"]})
    assert {r["key"]: (r["events"], r["tickets"]) for r in rows} == {
        k: (n, len(who)) for k, (n, who) in expected.items()
    }


@pytest.mark.parametrize(
    "by", ["sometimes:priority", "first:nothing", "first:service", "ever:", "", "priority:first"]
)
def test_a_bad_group_key_is_refused_naming_the_keys(by: str) -> None:
    with pytest.raises(ValueError, match="first:<attribute>"):
        ticket_groups.parse_group(by)


def test_every_documented_key_parses() -> None:
    keys = ticket_groups.group_keys()
    assert "ever:assignment_group" in keys and "first:priority" in keys and "service" in keys
    for key in keys:
        ticket_groups.parse_group(key)
