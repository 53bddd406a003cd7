"""Which value of a ticket's history counts (`priority`, `first:priority`, `ever:assignment_group`),
events by state, means and time in state, through the API over HTTP, the `csi` command and the ticket
page, on a help-desk export read by a profile with value maps and a derived field. Every expected figure
comes from `helpdesk`, which reads the same text with the csv module."""

from __future__ import annotations

import json
import re
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from csi.analytics.tests import helpdesk
from csi.catalog.tests.conftest import viewer  # noqa: F401 - shared fixture
from csi.core.permissions import SystemActor
from csi.core.testing import assert_error_shape
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile

SYSTEM = SystemActor("test")


def _import(tmp_path: Path) -> None:
    measures_services.profile_save(actor=SYSTEM, text=helpdesk.PROFILE)
    source = measures_services.source_create(
        actor=SYSTEM, key="hd", name="Help desk", profile=MappingProfile.objects.get(key="helpdesk")
    )
    path = tmp_path / "export.csv"
    path.write_text(helpdesk.EXPORT, encoding="utf-8")
    result = import_file(actor=SYSTEM, source=source, path=path)
    assert result.status == "committed", result.message


@pytest.fixture
def desk(db: Any, tmp_path: Path) -> None:
    _import(tmp_path)


def expected_tickets(history: str, column: str) -> dict[str | None, tuple[int, float | None, float | None]]:
    """Per key: tickets, mean and median resolution hours (over its resolved tickets)."""
    hours = helpdesk.resolution_hours()
    result = {}
    for key, members in helpdesk.tickets_per_key(history, column).items():
        resolved = [hours[t] for t in members if t in hours]
        result[key] = (
            len(members),
            statistics.fmean(resolved) if resolved else None,
            statistics.median(resolved) if resolved else None,
        )
    return result


def figures(rows: list[dict[str, Any]]) -> dict[str | None, tuple[int, float | None, float | None]]:
    return {
        row["key"]: (
            row["tickets"],
            None if row["mean_resolution_hours"] is None else pytest.approx(row["mean_resolution_hours"]),
            None if row["median_resolution_hours"] is None else pytest.approx(row["median_resolution_hours"]),
        )
        for row in rows
    }


CASES = [
    ("first:priority", "first", "priority"),
    ("priority", "first", "priority"),  # the profile's default for priority is `first`
    ("last:priority", "last", "priority"),
    ("ever:assignment_group", "ever", "assignment_group"),
    ("assignment_group", "last", "assignment_group"),
    ("first:assignment_group", "first", "assignment_group"),
    ("ever:state", "ever", "state"),
    ("category", "last", "category"),  # derived from impact and urgency
    ("ever:channel", "ever", "channel"),  # Fax is unmapped: null
]


@pytest.mark.parametrize(("by", "history", "column"), CASES)
def test_api_groups_by_the_history_asked(desk, viewer, api, by, history, column):  # noqa: F811
    response = api(viewer).get("/api/v1/analytics/tickets", {"source": "hd", "by": by})
    assert response.status_code == 200, response.content
    assert figures(response.json()) == expected_tickets(history, column)


def test_api_first_and_ever_by_hand(desk, viewer, api):  # noqa: F811
    client = api(viewer)
    first = client.get("/api/v1/analytics/tickets", {"source": "hd", "by": "first:priority"}).json()
    # INC1 first had "3 - Moderate" (unmapped, kept), INC2 P2 (its first row has none), INC3 P1, INC4 P2
    assert {r["key"]: r["tickets"] for r in first} == {"3 - Moderate": 1, "P1": 1, "P2": 2}
    ever = client.get("/api/v1/analytics/tickets", {"source": "hd", "by": "ever:assignment_group"}).json()
    counts = {r["key"]: r["tickets"] for r in ever}
    assert counts == {"Desk": 3, "L2": 2, "L3": 1, helpdesk.HOSTILE: 1}
    assert sum(counts.values()) == 7 > 4  # the groups overlap
    (total,) = client.get("/api/v1/analytics/tickets", {"source": "hd"}).json()
    hours = list(helpdesk.resolution_hours().values())
    assert total["mean_resolution_hours"] == pytest.approx(statistics.fmean(hours))  # (4 + 2.5 + 24) / 3
    assert total["median_resolution_hours"] == pytest.approx(statistics.median(hours))


def test_api_events_by_state_and_time_in_state(desk, viewer, api):  # noqa: F811
    client = api(viewer)
    rows = client.get("/api/v1/analytics/events", {"source": "hd", "by": "state"}).json()
    expected: dict[str, tuple[int, set[str]]] = {}
    for ticket, events in helpdesk.events().items():
        for event in events:
            count, who = expected.get(event["state"], (0, set()))
            expected[event["state"]] = (count + 1, who | {ticket})
    assert {r["key"]: (r["events"], r["tickets"]) for r in rows} == {
        k: (n, len(who)) for k, (n, who) in expected.items()
    }
    bounded = client.get(
        "/api/v1/analytics/events",
        {"source": "hd", "by": "channel", "from": "2024-03-02", "to": "2024-03-04"},
    ).json()
    assert {r["key"]: (r["events"], r["tickets"]) for r in bounded} == {"email": (2, 1), "(none)": (3, 1)}

    states = client.get("/api/v1/analytics/states", {"source": "hd"}).json()
    samples = helpdesk.state_hours()
    assert {r["state"] for r in states} == set(samples) == {"New", "Active"}  # Resolved: final, no sample
    for row in states:
        assert row["tickets"] == len(samples[row["state"]])
        assert row["median_hours"] == pytest.approx(statistics.median(samples[row["state"]]))
        assert row["mean_hours"] == pytest.approx(statistics.fmean(samples[row["state"]]))
    # INC3 is still Active: with `until` its open interval counts up to that instant (12:00, 2 h more)
    until = client.get("/api/v1/analytics/states", {"source": "hd", "until": "2024-03-03T12:00:00Z"}).json()
    active = next(r for r in until if r["state"] == "Active")
    assert active["total_hours"] == pytest.approx(sum(samples["Active"]) + 2)


@pytest.mark.parametrize("by", ["sometimes:priority", "first:service", "ever:", "priority:first", "line"])
def test_api_refuses_an_unknown_group_key(desk, viewer, api, by):  # noqa: F811
    assert_error_shape(api(viewer).get("/api/v1/analytics/tickets", {"source": "hd", "by": by}), 422)


def test_api_documents_the_group_keys(api):
    schema = Client().get("/api/v1/openapi.json").json()
    parameters = schema["paths"]["/api/v1/analytics/tickets"]["get"]["parameters"]
    (by,) = [p for p in parameters if p["name"] == "by"]
    text = json.dumps(by)
    assert "ever:" in text and "first" in text and "overlap" in text


def test_cli_groups_counts_events_and_times_states(cli, tmp_path):
    profile = tmp_path / "helpdesk.yaml"
    profile.write_text(helpdesk.PROFILE)
    export = tmp_path / "export.csv"
    export.write_text(helpdesk.EXPORT)
    cli("measures", "profile", "add", str(profile), check=True)
    cli("measures", "import", str(export), "--source", "hd", "--profile", "helpdesk", check=True)
    ever = cli(
        "analytics", "tickets", "--source", "hd", "--by", "ever:assignment_group", "--json", check=True
    )
    assert figures(json.loads(ever.stdout)) == expected_tickets("ever", "assignment_group")
    first = cli("analytics", "tickets", "--source", "hd", "--by", "first:priority", "--json", check=True)
    assert figures(json.loads(first.stdout)) == expected_tickets("first", "priority")
    table = cli("analytics", "tickets", "--source", "hd", "--by", "ever:assignment_group", check=True)
    assert "mean_resolution_hours" in table.stdout.splitlines()[0]
    events = cli("analytics", "events", "--source", "hd", "--by", "state", "--json", check=True)
    assert {r["key"]: r["events"] for r in json.loads(events.stdout)} == {
        "New": 4,
        "Active": 3,
        "Resolved": 3,
    }
    states = cli("analytics", "states", "--source", "hd", "--json", check=True)
    assert {r["state"] for r in json.loads(states.stdout)} == {"New", "Active"}
    bad = cli("analytics", "tickets", "--source", "hd", "--by", "ever:nothing")
    assert bad.returncode != 0 and "first:<attribute>" in bad.stderr


def test_page_offers_every_history_and_shows_the_figures(desk, viewer, make_user):  # noqa: F811
    url = "/analytics/sources/hd/tickets/"
    assert Client().get(url).status_code == 302  # sign in first
    client = Client()
    client.force_login(make_user(username="nobody"))  # reading measures needs only a sign-in
    assert client.get(url).status_code == 200
    assert client.get("/analytics/sources/nothing/tickets/").status_code == 404
    client = Client()
    client.force_login(viewer)
    page = client.get(url, {"by": "ever:assignment_group"})
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Priority (first)", "Priority (latest)", "Assignment group (ever)", "Service"):
        assert label in html
    assert 'value="priority" selected' not in html and 'value="priority"' in html  # default: first
    assert "the groups overlap" in html
    assert "&lt;script&gt;alert(&#x27;g&#x27;)&lt;/script&gt;" in html and helpdesk.HOSTILE not in html
    assert "gives no sample" in html  # how the final state counts
    # the events table: New 4 events of 4 tickets, Active 3 of 2, Resolved 3 of 3
    cells = re.findall(
        r'<th scope="row">(\w+)</th><td class="number">(\d+)</td><td class="number">(\d+)</td>', html
    )
    assert set(cells) == {("New", "4", "4"), ("Active", "3", "2"), ("Resolved", "3", "3")}
    # time in state: one row per state with samples, none for Resolved (always a final state here)
    states = re.findall(
        r'<th scope="row">(\w+)</th><td class="number">(\d+)</td>(?:<td class="number">[^<]*</td>){4}', html
    )
    samples = helpdesk.state_hours()
    assert {(state, int(n)) for state, n in states} == {(s, len(v)) for s, v in samples.items()}
    by_first = client.get(url, {"by": "priority"}).content.decode()  # bare: the profile's `first`
    assert "3 - Moderate" in by_first
    source_page = client.get("/measures/sources/hd/").content.decode()
    assert f'href="{url}"' in source_page  # the source's page links to its figures
    bad = client.get(url, {"by": "ever:nothing"})
    assert bad.status_code == 400 and "first:&lt;attribute&gt;" in bad.content.decode()
    latest = client.get(url, {"by": "last:priority"})  # any key the API takes, offered or not
    assert latest.status_code == 200
    assert re.search(
        r'scope="row">P1</th>\s*<td class="number">2</td>', latest.content.decode()
    )  # INC1, INC3


def test_api_backlog_by_every_group_a_ticket_had(desk, viewer, api):  # noqa: F811
    at = datetime(2024, 3, 3, 12, 0)
    response = api(viewer).get(
        "/api/v1/analytics/backlog",
        {"source": "hd", "at": "2024-03-03T12:00:00Z", "by": "ever:assignment_group"},
    )
    assert response.status_code == 200, response.content
    # open at `at`: opened (first event) at or before it; no ticket of the export is ever closed
    open_now = {t for t, rows in helpdesk.events().items() if rows[0]["at"] <= at}
    expected: dict[str | None, int] = {}
    for ticket, keys in helpdesk.keys_of("ever", "assignment_group").items():
        if ticket in open_now:
            for key in keys:
                expected[key] = expected.get(key, 0) + 1
    assert {r["key"]: r["backlog"] for r in response.json()} == expected
    assert_error_shape(
        api(viewer).get("/api/v1/analytics/backlog", {"source": "hd", "at": "2024-03-03", "by": "service"}),
        422,
    )
