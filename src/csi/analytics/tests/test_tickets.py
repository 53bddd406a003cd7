"""Ticket facts, state durations, summaries and backlog on small event tables built by hand."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import ibis
import pyarrow as pa
import pytest

from csi.analytics import tickets
from csi.analytics.tickets import TicketRules
from csi.measures import schema

SCHEMA = pa.schema([*schema.EVENT_SCHEMA, pa.field("batch_id", pa.int64())])
RULES = TicketRules(resolved_states=("Resolved",), closed_states=("Closed",), new_states=("New",))
T0 = dt.datetime(2024, 3, 1)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def table(*rows: dict[str, Any]) -> ibis.Table:
    """Events with every column null unless given; `line` defaults to the row's position + 2."""
    filled = []
    for position, row in enumerate(rows):
        full = dict.fromkeys(SCHEMA.names)
        full.update(line=position + 2, batch_id=1)
        full.update(row)
        filled.append(full)
    return ibis.memtable(pa.Table.from_pylist(filled, schema=SCHEMA))


def event(ticket_id: str, hours: float, state: str | None, **fields: Any) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "event_at": at(hours), "state": state, **fields}


def facts_of(*rows: dict[str, Any], rules: TicketRules = RULES) -> dict[str, dict[str, Any]]:
    result = tickets.ticket_facts(table(*rows), rules).to_pyarrow().to_pylist()
    return {row["ticket_id"]: row for row in result}


def one(*rows: dict[str, Any], rules: TicketRules = RULES) -> dict[str, Any]:
    (only,) = facts_of(*rows, rules=rules).values()
    return only


# ticket_facts: identity, span, latest version


def test_one_row_per_ticket_with_counts_and_span() -> None:
    facts = facts_of(
        event("A", 0, "New"), event("B", 5, "New"), event("A", 2, "Active"), event("A", 30, "Active")
    )
    assert set(facts) == {"A", "B"}
    assert facts["A"]["events"] == 3 and facts["B"]["events"] == 1
    assert facts["A"]["first_event_at"] == at(0) and facts["A"]["last_event_at"] == at(30)
    assert facts["A"]["lifetime_seconds"] == 30 * 3600.0
    assert facts["B"]["lifetime_seconds"] == 0.0
    assert facts["A"]["batch_id"] == 1


def test_latest_version_is_highest_version_not_latest_time() -> None:
    fact = one(
        event("A", 0, "New", version=0, priority="3", sla_flag=True, customer="c0"),
        event("A", 9, "Active", version=1, priority="2", sla_flag=True, customer="c1"),
        event("A", 5, "Closed", version=2, priority="1", sla_flag=False, customer="c2"),
    )
    assert (fact["state"], fact["priority"], fact["sla_flag"], fact["customer"]) == (
        "Closed",
        "1",
        False,
        "c2",
    )


def test_version_ties_are_broken_by_time_then_line() -> None:
    by_time = one(
        event("A", 0, "Active", version=3, line=9, category="early"),
        event("A", 1, "Closed", version=3, line=2, category="late"),
    )
    assert by_time["category"] == "late"
    by_line = one(
        event("A", 1, "Active", version=3, line=7, category="line7"),
        event("A", 1, "Closed", version=3, line=8, category="line8"),
        event("A", 1, "New", version=3, line=6, category="line6"),
    )
    assert (by_line["category"], by_line["state"]) == ("line8", "Closed")


def test_without_versions_latest_event_wins_and_line_breaks_ties() -> None:
    fact = one(
        event("A", 3, "Active", line=2, impact="first"),
        event("A", 3, "Resolved", line=5, impact="last"),
        event("A", 1, "New", line=9, impact="early"),
    )
    assert (fact["impact"], fact["state"]) == ("last", "Resolved")


def test_a_versioned_row_beats_unversioned_later_rows() -> None:
    fact = one(event("A", 0, "Active", version=1, channel="v1"), event("A", 9, "New", channel="none"))
    assert fact["channel"] == "v1"


def test_opened_at_from_latest_version_else_first_event() -> None:
    facts = facts_of(
        event("A", 1, "New", version=0, opened_at=at(-5)),
        event("A", 2, "Active", version=1, opened_at=at(-2)),
        event("B", 4, "New", version=0, opened_at=at(-9)),
        event("B", 6, "Active", version=1),
    )
    assert facts["A"]["opened_at"] == at(-2)
    assert facts["B"]["opened_at"] == at(4)


# resolved_at / closed_at


def test_resolved_and_closed_at_from_latest_version_win() -> None:
    fact = one(
        event("A", 0, "New", version=0),
        event("A", 2, "Resolved", version=1, resolved_at=at(1.5)),
        event("A", 9, "Closed", version=2, resolved_at=at(1.75), closed_at=at(8)),
    )
    assert fact["resolved_at"] == at(1.75) and fact["closed_at"] == at(8)
    assert fact["resolution_seconds"] == 1.75 * 3600


def test_resolved_after_reopen_takes_the_last_resolution() -> None:
    fact = one(
        event("A", 0, "New"),
        event("A", 1, "Resolved"),
        event("A", 2, "Active"),
        event("A", 5, "Resolved"),
        event("A", 6, "Resolved"),
        event("A", 20, "Closed"),
    )
    assert fact["resolved_at"] == at(5)
    assert fact["closed_at"] == at(20)
    assert fact["reopens"] == 1
    assert fact["resolution_seconds"] == 5 * 3600.0


def test_closed_without_resolving_uses_the_close_time() -> None:
    assert one(event("A", 0, "New"), event("A", 3, "Closed"))["resolved_at"] == at(3)
    # Reopened, then closed without passing a resolved state again: resolution is the close, not the
    # resolution the reopen undid.
    reopened = one(
        event("A", 0, "New"), event("A", 1, "Resolved"), event("A", 2, "Active"), event("A", 4, "Closed")
    )
    assert reopened["resolved_at"] == at(4)


def test_unfinished_final_state_means_not_resolved() -> None:
    fact = one(event("A", 0, "New"), event("A", 1, "Resolved"), event("A", 2, "Active"))
    assert fact["resolved_at"] is None and fact["closed_at"] is None
    assert fact["resolution_seconds"] is None
    assert fact["first_contact_resolution"] is False


def test_closed_at_is_the_last_entry_into_closed() -> None:
    fact = one(
        event("A", 0, "New"),
        event("A", 1, "Closed"),
        event("A", 2, "Active"),
        event("A", 3, "Resolved"),
        event("A", 4, "Closed"),
        event("A", 5, "Closed"),
    )
    assert fact["closed_at"] == at(4)
    assert fact["resolved_at"] == at(3)
    assert fact["reopens"] == 1


def test_resolved_final_state_has_no_closed_at() -> None:
    fact = one(event("A", 0, "New"), event("A", 2, "Resolved"))
    assert fact["resolved_at"] == at(2) and fact["closed_at"] is None


def test_events_are_ordered_by_time_then_line() -> None:
    # Same instant: line decides that Active came after Resolved, so the ticket was reopened.
    fact = one(
        event("A", 0, "New", line=2), event("A", 1, "Active", line=4), event("A", 1, "Resolved", line=3)
    )
    assert fact["reopens"] == 1
    assert fact["resolved_at"] is None


def test_null_states_are_skipped_in_transitions() -> None:
    fact = one(event("A", 0, "Resolved"), event("A", 1, None), event("A", 2, "Resolved"))
    assert fact["reopens"] == 0
    assert fact["resolved_at"] == at(0)


# first response


def test_first_response_is_first_state_outside_new() -> None:
    fact = one(event("A", 0, "New"), event("A", 1, None), event("A", 2, "New"), event("A", 3, "Active"))
    assert fact["first_response_at"] == at(3)
    assert fact["response_seconds"] == 3 * 3600.0
    assert one(event("A", 0, "New"), event("A", 1, None))["first_response_at"] is None
    no_new = TicketRules(resolved_states=("Resolved",))
    assert one(event("A", 0, None), event("A", 1, "New"), rules=no_new)["first_response_at"] == at(1)


# reassignments, ping-pongs, reopens


def test_reassignments_and_ping_pongs_from_events() -> None:
    fact = one(
        event("A", 0, "New", assignment_group="G1"),
        event("A", 1, "Active", assignment_group="G2"),
        event("A", 2, "Active"),
        event("A", 3, "Active", assignment_group="G1"),
        event("A", 4, "Active", assignment_group="G1"),
        event("A", 5, "Active", assignment_group="G2"),
        event("A", 6, "Active", assignment_group="G3"),
    )
    # G1 -> G2 -> G1 (back) -> G2 (back) -> G3
    assert fact["reassignments"] == 4
    assert fact["ping_pongs"] == 2


def test_nulls_between_the_same_group_are_no_change() -> None:
    fact = one(event("A", 0, "New"), event("A", 1, "New", assignment_group="G1"), event("A", 2, "New"))
    assert (fact["reassignments"], fact["ping_pongs"]) == (0, 0)
    fact = one(
        event("A", 0, "New", assignment_group="G1"),
        event("A", 1, "New"),
        event("A", 2, "New", assignment_group="G1"),
    )
    assert (fact["reassignments"], fact["ping_pongs"]) == (0, 0)


def test_counters_of_the_latest_version_win() -> None:
    fact = one(
        event("A", 0, "New", version=0, assignment_group="G1", reassignment_count=0, reopen_count=0),
        event("A", 1, "Resolved", version=1, assignment_group="G2", reassignment_count=1, reopen_count=0),
        event("A", 2, "Active", version=2, assignment_group="G1", reassignment_count=7, reopen_count=3),
    )
    assert (fact["reassignments"], fact["reopens"]) == (7, 3)
    assert fact["ping_pongs"] == 1  # always from the events


def test_reopens_count_transitions_out_of_finished_states() -> None:
    fact = one(
        event("A", 0, "New"),
        event("A", 1, "Resolved"),
        event("A", 2, "Closed"),  # resolved -> closed is no reopen
        event("A", 3, "Active"),  # closed -> active is
        event("A", 4, "Resolved"),
        event("A", 5, "Awaiting"),  # resolved -> awaiting is
        event("A", 6, "Resolved"),
    )
    assert fact["reopens"] == 2


def test_first_contact_resolution() -> None:
    facts = facts_of(
        event("OK", 0, "New", assignment_group="G1"),
        event("OK", 1, "Resolved", assignment_group="G1"),
        event("MOVED", 0, "New", assignment_group="G1"),
        event("MOVED", 1, "Resolved", assignment_group="G2"),
        event("REOPENED", 0, "Resolved"),
        event("REOPENED", 1, "Active"),
        event("REOPENED", 2, "Resolved"),
        event("OPEN", 0, "Active"),
    )
    assert {key: fact["first_contact_resolution"] for key, fact in facts.items()} == {
        "OK": True,
        "MOVED": False,
        "REOPENED": False,
        "OPEN": False,
    }


# state durations


def test_state_durations_sum_time_to_next_event() -> None:
    events = table(
        event("A", 0, "New"),
        event("A", 1, "Active"),
        event("A", 3, "Awaiting"),
        event("A", 4.5, "Active"),
        event("A", 10, "Closed"),
        event("B", 0, "New"),
    )
    rows = tickets.state_durations(events, RULES).to_pyarrow().to_pylist()
    durations = {(row["ticket_id"], row["state"]): row["seconds"] for row in rows}
    assert durations == {
        ("A", "New"): 3600.0,
        ("A", "Active"): (2 + 5.5) * 3600,
        ("A", "Awaiting"): 1.5 * 3600,
    }  # the final state's open interval gives no sample (no 0-hour rows for A Closed, B New)
    facts = tickets.ticket_facts(events, RULES).to_pyarrow().to_pylist()
    lifetime = next(fact["lifetime_seconds"] for fact in facts if fact["ticket_id"] == "A")
    assert sum(seconds for (ticket, _), seconds in durations.items() if ticket == "A") == lifetime == 36000


def test_state_durations_until_counts_the_open_interval_of_unfinished_tickets_only() -> None:
    events = table(
        event("A", 0, "New"),
        event("A", 10, "Closed"),  # finished: its final state never counts
        event("B", 0, "New"),
        event("B", 2, "Active"),  # still open: Active from hour 2 to `until`
        event("C", 30, "New"),  # after `until`: nothing
    )
    rows = tickets.state_durations(events, RULES, until=at(24)).to_pyarrow().to_pylist()
    durations = {(row["ticket_id"], row["state"]): row["seconds"] for row in rows}
    assert durations == {
        ("A", "New"): 10 * 3600.0,
        ("B", "New"): 2 * 3600.0,
        ("B", "Active"): 22 * 3600.0,
    }


# ticket_summary


def resolved_ticket(ticket_id: str, opened: float, hours: float, **fields: Any) -> list[dict[str, Any]]:
    return [
        event(ticket_id, opened, "New", opened_at=at(opened), **fields),
        event(ticket_id, opened + hours, "Resolved", opened_at=at(opened), **fields),
    ]


def summary(events: ibis.Table, **kwargs: Any) -> list[dict[str, Any]]:
    facts = tickets.ticket_facts(events, RULES)
    return tickets.ticket_summary(facts, **kwargs).to_pyarrow().to_pylist()


def test_summary_medians_and_percentiles_are_exact_and_interpolated() -> None:
    hours = [1, 2, 3, 10]
    events = table(
        *[row for index, value in enumerate(hours) for row in resolved_ticket(f"T{index}", 0, value)]
    )
    (row,) = summary(events)
    assert row["key"] == "all" and row["tickets"] == 4 and row["events"] == 8 and row["resolved"] == 4
    assert row["median_resolution_hours"] == pytest.approx(statistics.median(hours), rel=1e-12)  # 2.5
    # numpy.percentile's default (linear): position 0.9 * 3 = 2.7 -> 3 + 0.7 * (10 - 3)
    assert row["p90_resolution_hours"] == pytest.approx(7.9, rel=1e-12)
    assert row["p95_resolution_hours"] == pytest.approx(8.95, rel=1e-12)
    assert row["median_lifetime_hours"] == pytest.approx(2.5, rel=1e-12)


def test_summary_rates_by_key() -> None:
    events = table(
        *resolved_ticket("A", 0, 1, priority="1", sla_flag=True),
        *resolved_ticket("B", 0, 2, priority="1", sla_flag=False),
        *resolved_ticket("C", 0, 3, priority="1"),
        event("D", 0, "New", priority="1", sla_flag=True, reopen_count=1, reassignment_count=0),
        event("E", 0, "New", priority="2", reassignment_count=2),
        *resolved_ticket("F", 0, 4, priority="2"),
    )
    rows = {row["key"]: row for row in summary(events, by="priority")}
    assert list(rows) == ["1", "2"]
    one_ = rows["1"]
    assert (one_["tickets"], one_["resolved"]) == (4, 3)
    assert one_["sla_flag_met_rate"] == pytest.approx(2 / 3)
    assert one_["reopened_rate"] == pytest.approx(1 / 4)
    assert one_["reassigned_rate"] == 0.0
    assert one_["first_contact_resolution_rate"] == pytest.approx(3 / 4)
    assert one_["median_resolution_hours"] == pytest.approx(2.0)
    two = rows["2"]
    assert two["sla_flag_met_rate"] is None
    assert two["reassigned_rate"] == pytest.approx(1 / 2)
    assert two["first_contact_resolution_rate"] == pytest.approx(1 / 2)
    assert two["median_resolution_hours"] == pytest.approx(4.0)


def test_summary_window_is_half_open_and_sets_arrivals() -> None:
    start, end = at(0), at(10 * 24)
    events = table(
        *resolved_ticket("AT_START", 0, 1),
        *resolved_ticket("INSIDE", 24, 1),
        *resolved_ticket("INSIDE2", 100, 1),
        *resolved_ticket("AT_END", 240, 1),
        *resolved_ticket("BEFORE", -1, 1),
    )
    (row,) = summary(events, start=start, end=end)
    assert row["tickets"] == 3
    assert row["arrivals_per_day"] == pytest.approx(3 / 10)
    (unbounded,) = summary(events)
    assert unbounded["tickets"] == 5
    assert unbounded["arrivals_per_day"] == pytest.approx(5 / (241 / 24))  # earliest to latest opening
    assert summary(events, start=at(1000)) == []


def test_summary_rejects_unknown_grouping() -> None:
    facts = tickets.ticket_facts(table(event("A", 0, "New")), RULES)
    with pytest.raises(ValueError, match="nope"):
        tickets.ticket_summary(facts, by="nope")


# backlog


def backlog_events() -> ibis.Table:
    return table(
        event("OPENED_AT_T", 24, "New", opened_at=at(24), priority="1"),
        event("CLOSED_AT_T", 0, "Closed", opened_at=at(0), closed_at=at(24), priority="1"),
        event("OPEN", 1, "Active", opened_at=at(1), priority="2"),
        event("CLOSED_LATER", 2, "Closed", opened_at=at(2), closed_at=at(24.5), priority="2"),
        event("OPENED_LATER", 25, "New", opened_at=at(25), priority="2"),
        event("BROKEN", 30, "Closed", opened_at=at(30), closed_at=at(10), priority="2"),
    )


def test_backlog_at_boundaries() -> None:
    facts = tickets.ticket_facts(backlog_events(), RULES)
    assert tickets.backlog_at(facts, at(24)).to_pyarrow().to_pylist() == [{"key": "all", "backlog": 3}]
    by_priority = tickets.backlog_at(facts, at(24), by="priority").to_pyarrow().to_pylist()
    assert by_priority == [{"key": "1", "backlog": 1}, {"key": "2", "backlog": 2}]
    assert tickets.backlog_at(facts, at(-1)).to_pyarrow().to_pylist() == []


def test_backlog_series_matches_backlog_at_each_midnight() -> None:
    facts = tickets.ticket_facts(backlog_events(), RULES)
    rows = tickets.backlog_series(facts, at(-30), at(72)).to_pyarrow().to_pylist()
    assert [row["at"] for row in rows] == [at(-24), at(0), at(24), at(48), at(72)]
    assert [row["backlog"] for row in rows] == [0, 1, 3, 3, 3]
    for row in rows:
        expected = tickets.backlog_at(facts, row["at"]).to_pyarrow().to_pylist()
        assert row["backlog"] == (expected[0]["backlog"] if expected else 0)


def test_backlog_series_counts_tickets_opened_before_the_start() -> None:
    facts = tickets.ticket_facts(backlog_events(), RULES)
    rows = tickets.backlog_series(facts, at(12), at(40)).to_pyarrow().to_pylist()
    assert rows == [{"at": at(24), "backlog": 3}]


def test_backlog_series_weekly_hourly_and_empty() -> None:
    facts = tickets.ticket_facts(backlog_events(), RULES)
    # 2024-03-01 is a Friday: the Monday midnights up to 2024-03-11 00:00 (inclusive) are the 4th and 11th.
    weekly = tickets.backlog_series(facts, at(0), at(24 * 10), every="week").to_pyarrow().to_pylist()
    assert weekly == [
        {"at": dt.datetime(2024, 3, 4), "backlog": 3},
        {"at": dt.datetime(2024, 3, 11), "backlog": 3},
    ]
    hourly = tickets.backlog_series(facts, at(0.5), at(2), every="hour").to_pyarrow().to_pylist()
    assert hourly == [{"at": at(1), "backlog": 2}, {"at": at(2), "backlog": 3}]
    assert tickets.backlog_series(facts, at(1), at(2)).to_pyarrow().to_pylist() == []
    with pytest.raises(ValueError, match="every"):
        tickets.backlog_series(facts, at(0), at(1), every="month")  # type: ignore[arg-type]


def test_instants_may_be_aware_dates_or_text() -> None:
    facts = tickets.ticket_facts(backlog_events(), RULES)
    paris = dt.timezone(dt.timedelta(hours=1))
    aware = dt.datetime(2024, 3, 2, 1, 0, tzinfo=paris)  # = 2024-03-02 00:00 UTC
    expected = [{"key": "all", "backlog": 3}]
    assert tickets.backlog_at(facts, aware).to_pyarrow().to_pylist() == expected
    assert tickets.backlog_at(facts, dt.date(2024, 3, 2)).to_pyarrow().to_pylist() == expected
    assert tickets.backlog_at(facts, "2024-03-02T00:00:00").to_pyarrow().to_pylist() == expected
