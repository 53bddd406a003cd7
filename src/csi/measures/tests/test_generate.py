"""The synthetic event log: its shape (header, order of events per ticket), its realism (skews, office
hours, reopenings, open tickets, the SLA flag) and its reproducibility. Pure file tests, no database."""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from csi.measures.generate import COLUMNS, generate_event_log

HEADER = (
    "ticket_id,event_at,state,priority,category,assignment_group,assignee,customer,configuration_item,"
    "channel,opened_at,resolved_at,closed_at,reassignment_count,reopen_count,made_sla,version"
)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TICKETS = 2000


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("generated") / "events.csv"
    return path, generate_event_log(path, TICKETS, seed=7)


@pytest.fixture(scope="module")
def rows(log: tuple[Path, dict[str, int]]) -> list[dict[str, str]]:
    with log[0].open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def tickets(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    by_ticket: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_ticket[row["ticket_id"]].append(row)
    return by_ticket


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_header_and_summary(log: tuple[Path, dict[str, int]], rows: list[dict[str, str]]) -> None:
    path, summary = log
    with path.open(encoding="utf-8") as file:
        assert file.readline() == HEADER + "\n"
    assert ",".join(COLUMNS) == HEADER
    assert summary == {"tickets": TICKETS, "events": len(rows), "bytes": path.stat().st_size}
    assert not path.with_name(path.name + ".partial").exists()


def test_fields_are_well_formed(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert re.fullmatch(r"INC\d{7}", row["ticket_id"])
        assert TIMESTAMP.fullmatch(row["event_at"]) and TIMESTAMP.fullmatch(row["opened_at"])
        for field in ("resolved_at", "closed_at"):
            assert row[field] == "" or TIMESTAMP.fullmatch(row[field])
        assert row["made_sla"] in {"true", "false"}
        assert 1 <= int(row["category"].removeprefix("Category ")) <= 60
        assert 1 <= int(row["assignment_group"].removeprefix("Group ")) <= 40
        assert row["customer"].startswith("Customer ") and row["configuration_item"].startswith("CI ")
        assert row["channel"] and row["state"] and row["priority"]


def test_events_per_ticket(rows: list[dict[str, str]], tickets: dict[str, list[dict[str, str]]]) -> None:
    assert len(tickets) == TICKETS
    assert 5.5 <= len(rows) / TICKETS <= 7.5
    assert sorted(tickets) == [f"INC{n:07d}" for n in range(1, TICKETS + 1)]


def test_priority_skew(tickets: dict[str, list[dict[str, str]]]) -> None:
    shares = Counter(events[0]["priority"] for events in tickets.values())
    share = {priority: count / TICKETS for priority, count in shares.items()}
    assert set(share) <= {"1 - Critical", "2 - High", "3 - Moderate", "4 - Low"}
    assert share.get("1 - Critical", 0) < 0.045
    assert 0.05 < share["2 - High"] < 0.12
    assert 0.34 < share["3 - Moderate"] < 0.46
    assert 0.44 < share["4 - Low"] < 0.56


def test_category_skew(tickets: dict[str, list[dict[str, str]]]) -> None:
    counts = Counter(events[0]["category"] for events in tickets.values())
    ranked = [count for _, count in counts.most_common()]
    assert counts.most_common(1)[0][0] == "Category 1"
    assert sum(ranked[:5]) / TICKETS > 0.4  # Zipf: a few categories carry most of the load
    assert len(counts) > 30  # ...and the long tail is there


def test_event_order_per_ticket(tickets: dict[str, list[dict[str, str]]]) -> None:
    for events in tickets.values():
        assert [int(event["version"]) for event in events] == list(range(len(events)))
        assert events[0]["state"] == "New" and events[0]["assignee"] == ""
        assert all(event["assignee"] for event in events[1:])
        times = [parse(event["event_at"]) for event in events]
        assert times == sorted(times)
        assert {event["opened_at"] for event in events} == {events[0]["event_at"]}
        for field in ("reassignment_count", "reopen_count"):
            counts = [int(event[field]) for event in events]
            assert counts == sorted(counts)
        for event in events:
            if event["state"] == "Resolved":
                assert event["resolved_at"] == event["event_at"]
            assert (event["closed_at"] != "") == (event["state"] == "Closed")
        assert all(event["state"] != "Closed" for event in events[:-1])


def test_lifecycle_states(rows: list[dict[str, str]], tickets: dict[str, list[dict[str, str]]]) -> None:
    states = Counter(row["state"] for row in rows)
    assert set(states) == {"New", "Active", "Awaiting User Info", "Awaiting Vendor", "Resolved", "Closed"}
    reopened = sum(1 for events in tickets.values() if int(events[-1]["reopen_count"]) > 0)
    assert 0.03 < reopened / TICKETS < 0.075
    still_open = sum(1 for events in tickets.values() if events[-1]["state"] not in {"Resolved", "Closed"})
    assert 0 < still_open < 0.2 * TICKETS


def test_reassignments_ping_pong(tickets: dict[str, list[dict[str, str]]]) -> None:
    back = 0
    for events in tickets.values():
        groups = [event["assignment_group"] for event in events]
        changes = [group for group, before in zip(groups[1:], groups, strict=False) if group != before]
        assert len(changes) == int(events[-1]["reassignment_count"])
        visited = [groups[0], *changes]
        back += len(visited) != len(set(visited))
    assert back > 20


def test_reopened_ticket_is_resolved_twice(tickets: dict[str, list[dict[str, str]]]) -> None:
    reopened = [
        events
        for events in tickets.values()
        if events[-1]["state"] == "Closed" and events[-1]["reopen_count"] == "1"
    ]
    assert reopened
    for events in reopened:
        states = [event["state"] for event in events]
        assert states[-4:] == ["Resolved", "Active", "Resolved", "Closed"]
        assert events[-3]["resolved_at"] == ""  # reopening clears resolved_at
        assert events[-1]["resolved_at"] == events[-2]["event_at"]


def test_arrivals_in_office_hours(tickets: dict[str, list[dict[str, str]]]) -> None:
    brussels = ZoneInfo("Europe/Brussels")
    opened = [parse(events[0]["opened_at"]).astimezone(brussels) for events in tickets.values()]
    office = sum(1 for at in opened if at.weekday() < 5 and 8 <= at.hour < 18)
    weekend = sum(1 for at in opened if at.weekday() >= 5)
    assert office / TICKETS > 0.7
    assert 0 < weekend / TICKETS < 0.15
    assert (max(opened) - min(opened)).days >= 27  # a small log still covers four weeks


def test_made_sla_follows_resolution_time(tickets: dict[str, list[dict[str, str]]]) -> None:
    hours: dict[str, list[float]] = {"true": [], "false": []}
    for events in tickets.values():
        last = events[-1]
        if last["priority"] == "4 - Low" and last["resolved_at"]:
            elapsed = parse(last["resolved_at"]) - parse(last["opened_at"])
            hours[last["made_sla"]].append(elapsed.total_seconds() / 3600)
    assert hours["true"] and hours["false"]
    assert statistics.median(hours["false"]) > 2 * statistics.median(hours["true"])
    assert 0.6 < len(hours["true"]) / (len(hours["true"]) + len(hours["false"])) < 0.97


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate_event_log(tmp_path / "a.csv", 300, seed=3)
    again = generate_event_log(tmp_path / "b.csv", 300, seed=3)
    other = generate_event_log(tmp_path / "c.csv", 300, seed=4)
    assert first == again
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    assert other["tickets"] == 300


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tickets"):
        generate_event_log(tmp_path / "x.csv", 0)
    with pytest.raises(ValueError, match="timezone"):
        generate_event_log(tmp_path / "x.csv", 10, start=datetime(2024, 1, 1))
    assert not (tmp_path / "x.csv").exists()
