"""Two public event logs nobody on the team prepared import from a mapping profile alone, through the CLI
(BPI Challenge 2013 incidents) and the API (Helpdesk), and every figure the product shows of them equals
an independent computation with the csv module (`public_logs`; the data's origin, licence and slicing
command are in tests/data/*/SOURCE.txt)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from csi.catalog.tests.conftest import strategist  # noqa: F401 - shared fixtures
from csi.measures.tests import public_logs
from csi.measures.tests.public_logs import BPIC2013, HELPDESK, Log

J = "application/json"
# The figures compared one by one: (name, kind) -- counts exactly, hours and rates to 1e-9 relative.
COUNTS = ("tickets", "events", "resolved")
FLOATS = (
    "median_resolution_hours",
    "p90_resolution_hours",
    "p95_resolution_hours",
    "median_lifetime_hours",
    "reopened_rate",
    "reassigned_rate",
    "first_contact_resolution_rate",
    "arrivals_per_day",
)


def assert_figures(rows: list[dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    assert [r["key"] for r in rows] == sorted(expected)
    for row in rows:
        want = expected[row["key"]]
        for name in COUNTS:
            assert row[name] == want[name], (row["key"], name)
        for name in FLOATS:
            assert row[name] == pytest.approx(want[name], rel=1e-9), (row["key"], name)
        assert row["sla_flag_met_rate"] is None


def assert_state_times(rows: list[dict[str, Any]], log: Log) -> int:
    """Time in state per state that is no ticket's final state (there the figure does not depend on how
    the final, still open interval counts); returns how many states were compared."""
    all_tickets = public_logs.tickets(log)
    spent = public_logs.state_hours(all_tickets)
    by_state = {r["state"]: r for r in rows}
    compared = 0
    for state, per_ticket in spent.items():
        if state in public_logs.final_states(all_tickets):
            continue
        hours = list(per_ticket.values())
        row = by_state[state]
        assert row["tickets"] == len(hours), state
        assert row["total_hours"] == pytest.approx(sum(hours), rel=1e-9), state
        assert row["median_hours"] == pytest.approx(public_logs.quantile(hours, 0.5), rel=1e-9), state
        assert row["p90_hours"] == pytest.approx(public_logs.quantile(hours, 0.9), rel=1e-9), state
        compared += 1
    return compared


def test_the_slices_keep_whole_cases_and_stay_small():
    for log in (BPIC2013, HELPDESK):
        assert log.path.stat().st_size < 220_000
        folder = log.path.parent
        assert (folder / "LICENSE").read_text().startswith("Attribution 4.0 International")
        assert "DOI" in (folder / "SOURCE.txt").read_text()
        # Whole cases: each case's records are contiguous in the file (cut from whole XES traces).
        order: list[str] = []
        for _, row in public_logs.records(log):
            if not order or order[-1] != row[log.ticket]:
                order.append(row[log.ticket])
        assert len(order) == len(set(order))


def test_bpic2013_incidents_import_from_the_profile_alone_through_the_cli(cli):
    log = BPIC2013
    assert (
        "Created profile bpic2013-incidents."
        in cli("measures", "profile", "add", str(log.profile_path), check=True).stdout
    )
    result = json.loads(
        cli(
            "measures",
            "import",
            str(log.path),
            "--source",
            "volvo",
            "--profile",
            log.profile_key,
            "--json",
            check=True,
        ).stdout
    )
    all_tickets = public_logs.tickets(log)
    lines = public_logs.records(log)
    assert (
        result["status"],
        result["rows_read"],
        result["events"],
        result["tickets"],
        result["rejected"],
    ) == (
        "committed",
        len(lines),
        sum(len(t.events) for t in all_tickets.values()),
        len(all_tickets),
        0,
    )
    assert (result["rows_read"], result["tickets"]) == (1868, 100)

    overall = json.loads(cli("analytics", "tickets", "--source", "volvo", "--json", check=True).stdout)
    assert_figures(overall, public_logs.summary(all_tickets, lambda t: ["all"]))
    per_impact = json.loads(
        cli("analytics", "tickets", "--source", "volvo", "--by", "impact", "--json", check=True).stdout
    )
    expected = public_logs.summary(all_tickets, lambda t: [t.latest("impact")])
    assert_figures(per_impact, expected)
    assert sorted(expected) == ["High", "Low", "Medium"]
    # Reassignments between support teams are the rule in this log, and some incidents come back.
    assert 0 < expected["Medium"]["reassigned_rate"] < 1
    assert sum(t.reopens for t in all_tickets.values()) > 0
    per_group = json.loads(
        cli(
            "analytics", "tickets", "--source", "volvo", "--by", "assignment_group", "--json", check=True
        ).stdout
    )
    assert_figures(per_group, public_logs.summary(all_tickets, lambda t: [t.latest("org:group")]))

    states = json.loads(cli("analytics", "states", "--source", "volvo", "--json", check=True).stdout)
    assert assert_state_times(states, log) >= 6


@pytest.mark.django_db
def test_helpdesk_log_imports_from_the_profile_alone_through_the_api(strategist, api):  # noqa: F811
    log = HELPDESK
    client = api(strategist)
    created = client.post("/api/v1/profiles", {"yaml": log.profile_path.read_text()}, content_type=J)
    assert created.status_code == 201, created.content
    source = client.post(
        "/api/v1/sources",
        {"key": "helpdesk", "name": "Helpdesk", "profile": log.profile_key, "time_zone": "Europe/Rome"},
        content_type=J,
    )
    assert source.status_code == 201, source.content
    upload = client.post(
        "/api/v1/sources/helpdesk/imports", {"file": SimpleUploadedFile(log.file, log.path.read_bytes())}
    )
    assert upload.status_code == 201, upload.content
    outcome = upload.json()
    all_tickets = public_logs.tickets(log)
    events = sum(len(t.events) for t in all_tickets.values())
    assert (outcome["status"], outcome["rows_read"], outcome["events"], outcome["tickets"]) == (
        "committed",
        1376,
        events,
        300,
    )
    # The log holds 9 records twice (same case, activity, resource and instant): each is one event.
    assert (outcome["repeated"], events) == (9, 1367)

    overall = client.get("/api/v1/analytics/tickets", {"source": "helpdesk"})
    assert overall.status_code == 200, overall.content
    expected = public_logs.summary(all_tickets, lambda t: ["all"])
    assert_figures(overall.json(), expected)
    # Tickets resolved, taken in charge again and resolved again count as reopened.
    assert expected["all"]["reopened_rate"] > 0 and expected["all"]["reassigned_rate"] == 0
    per_resource = client.get("/api/v1/analytics/tickets", {"source": "helpdesk", "by": "assignee"})
    assert_figures(
        per_resource.json(), public_logs.summary(all_tickets, lambda t: [t.latest("org:resource")])
    )

    states = client.get("/api/v1/analytics/states", {"source": "helpdesk"})
    assert states.status_code == 200, states.content
    assert assert_state_times(states.json(), log) >= 4
