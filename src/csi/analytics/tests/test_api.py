"""The analytics API over HTTP, on a small hand-written event log whose figures are computed by hand."""

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from csi.analytics import selectors, ticket_groups
from csi.analytics.attainment import PARETO_ATTRIBUTES
from csi.analytics.models import AttainmentDay
from csi.analytics.schemas import BACKLOG_GROUP, EVENT_GROUP, TICKET_GROUP, ParetoAttribute, Period
from csi.analytics.services import rollups_refresh
from csi.catalog.tests.conftest import owner, service, strategist, viewer  # noqa: F401 - shared fixtures
from csi.core.permissions import SystemActor
from csi.core.testing import assert_api_access, assert_error_shape
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile
from csi.measures.schema import ATTRIBUTES
from csi.standards import services as standards_services

pytestmark = pytest.mark.django_db
CLI = SystemActor("test")

# Resolution times (24 x 7): T1 2 h, T2 3.5 h (met, but past 75 % of the 4 h threshold: a near-breach),
# T3 6 h (breach), T4 never resolved, T5 1 h, T6 5 h (breach). T1 and T2 are closed on 13 January.
LOG = """\
ticket_id,event_at,state,priority,category
T1,2024-01-10T08:00:00Z,New,P1,Email
T1,2024-01-10T10:00:00Z,Resolved,P1,Email
T1,2024-01-13T08:00:00Z,Closed,P1,Email
T2,2024-01-11T08:00:00Z,New,P2,Email
T2,2024-01-11T11:30:00Z,Resolved,P2,Email
T2,2024-01-13T08:00:00Z,Closed,P2,Email
T3,2024-01-12T08:00:00Z,New,P1,Network
T3,2024-01-12T14:00:00Z,Resolved,P1,Network
T4,2024-01-15T08:00:00Z,New,P3,Email
T5,2024-02-01T09:00:00Z,New,P1,Email
T5,2024-02-01T10:00:00Z,Resolved,P1,Email
T6,2024-03-04T09:00:00Z,New,P2,Email
T6,2024-03-04T14:00:00Z,Resolved,P2,Email
"""


@pytest.fixture
def measured(strategist, owner, service, tmp_path: Path):  # noqa: F811
    """The log imported into source `desk`, every ticket mapped to `email`, whose standard is: resolved
    within 4 hours, 75 % of the time; rollups refreshed."""
    source = measures_services.source_create(
        actor=strategist, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    assert import_file(actor=strategist, source=source, path=path).status == "committed"
    measures_services.rule_create(
        actor=strategist,
        source=source,
        data={"service": service, "field": "category", "values": ["Email", "Network"]},
    )
    standards_services.standard_create(
        actor=owner,
        service=service,
        data={"key": "email-resolution", "name": "Resolved within 4 hours", "kind": "sla"},
        version={
            "metric": "resolution_time",
            "threshold": "4",
            "threshold_unit": "hours",
            "target_percent": "75",
            "window_kind": "calendar",
            "calendar_period": "month",
            "window_time_zone": "UTC",
        },
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    rollups_refresh()
    return source


def rows_of(response):
    assert response.status_code == 200, response.content
    return response.json()


def csv_rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_query_choices_match_the_analytics():
    keys = ticket_groups.group_keys()
    assert set(keys) == {
        *ATTRIBUTES,
        "state",
        "service",
        *(f"{h}:{a}" for h in ("last", "first", "ever") for a in (*ATTRIBUTES, "state")),
    }
    assert all(re.match(TICKET_GROUP, key) for key in keys)
    assert [k for k in keys if re.match(BACKLOG_GROUP, k)] == list(ticket_groups.group_keys(service=False))
    assert [a for a in (*ATTRIBUTES, "state") if re.match(EVENT_GROUP, a)] == [*ATTRIBUTES, "state"]
    for wrong in ("first:service", "ever:", "sometimes:priority", "priority:first", "line", "Priority"):
        assert not re.match(TICKET_GROUP, wrong), wrong
    assert get_args(Period) == selectors.PERIODS
    assert get_args(ParetoAttribute) == PARETO_ATTRIBUTES


def test_reads_need_sign_in(measured, viewer, api):  # noqa: F811
    for url in [
        "/api/v1/analytics/tickets?source=desk",
        "/api/v1/analytics/backlog?source=desk&at=2024-01-20",
        "/api/v1/analytics/attainment",
        "/api/v1/analytics/board",
        "/api/v1/analytics/pareto?standard=email-resolution",
        "/api/v1/services/email/performance",
    ]:
        assert_error_shape(api(None).get(url), 401)
        assert api(viewer).get(url)["Content-Type"] == "application/json; charset=utf-8", url
        if "/analytics/" in url:
            csv_rows(api(viewer).get(url + ("&" if "?" in url else "?") + "format=csv"))


def test_attainment_matches_hand_computed_figures(measured, viewer, api):  # noqa: F811
    client = api(viewer)
    months = rows_of(client.get("/api/v1/analytics/attainment", {"service": "email"}))
    assert [
        (
            r["period_start"],
            r["tickets"],
            r["met"],
            r["breached"],
            r["near_breached"],
            r["attainment_percent"],
            r["status"],
        )
        for r in months
    ] == [
        ("2024-01-01", 3, 2, 1, 1, 66.6667, "red"),
        ("2024-02-01", 1, 1, 0, 0, 100.0, "green"),
        ("2024-03-01", 1, 0, 1, 0, 0.0, "red"),
    ]
    assert {
        (r["standard"], r["service"], r["version"], r["metric"], r["target_percent"]) for r in months
    } == {("email-resolution", "email", 1, "resolution_time", 75.0)}
    days = rows_of(
        client.get("/api/v1/analytics/attainment", {"standard": "email-resolution", "period": "day"})
    )
    assert [(r["period_start"], r["met"], r["tickets"]) for r in days] == [
        ("2024-01-10", 1, 1),
        ("2024-01-11", 1, 1),
        ("2024-01-12", 0, 1),
        ("2024-02-01", 1, 1),
        ("2024-03-04", 0, 1),
    ]
    bounded = rows_of(client.get("/api/v1/analytics/attainment", {"from": "2024-01-11", "to": "2024-02-02"}))
    assert [(r["period_start"], r["tickets"], r["met"]) for r in bounded] == [
        ("2024-01-01", 2, 1),
        ("2024-02-01", 1, 1),
    ]
    quarter = rows_of(client.get("/api/v1/analytics/attainment", {"period": "quarter"}))
    assert [(r["period_start"], r["tickets"], r["met"], r["status"]) for r in quarter] == [
        ("2024-01-01", 5, 3, "red")
    ]
    table = csv_rows(client.get("/api/v1/analytics/attainment", {"format": "csv"}))
    assert [(r["period_start"], r["attainment_percent"], r["status"]) for r in table] == [
        ("2024-01-01", "66.6667", "red"),
        ("2024-02-01", "100.0", "green"),
        ("2024-03-01", "0.0", "red"),
    ]


def test_board_pareto_and_service_performance(measured, viewer, api):  # noqa: F811
    client = api(viewer)
    (entry,) = rows_of(client.get("/api/v1/analytics/board"))
    assert (entry["standard"], entry["service"], entry["kind"]) == ("email-resolution", "email", "sla")
    assert (entry["latest"]["period_start"], entry["latest"]["status"]) == ("2024-03-01", "red")
    assert entry["trend"]["periods"] == 3
    budget = entry["budget"]
    # March so far: one ticket, one breach; a quarter of the tickets may breach, so 4x the budget is spent.
    assert (budget["window_start"], budget["window_end"], budget["tickets"], budget["breached"]) == (
        "2024-03-01",
        "2024-03-04",
        1,
        1,
    )
    assert (budget["allowed_breaches"], budget["remaining"]) == (0.25, -3.0)
    assert budget["burn_rates"] == {"1d": 4.0, "7d": 4.0, "30d": 4.0}
    (flat,) = csv_rows(client.get("/api/v1/analytics/board", {"format": "csv"}))
    assert (flat["standard"], flat["status"], flat["budget_remaining"], flat["burn_rate_30d"]) == (
        "email-resolution",
        "red",
        "-3.0",
        "4.0",
    )

    pareto = rows_of(client.get("/api/v1/analytics/pareto", {"standard": "email-resolution"}))
    assert pareto == [
        {"value": "Email", "breaches": 1, "cumulative_percent": 50.0},
        {"value": "Network", "breaches": 1, "cumulative_percent": 100.0},
    ]
    by_priority = rows_of(
        client.get("/api/v1/analytics/pareto", {"standard": "email-resolution", "attribute": "priority"})
    )
    assert [(r["value"], r["breaches"]) for r in by_priority] == [("P1", 1), ("P2", 1)]

    performance = rows_of(client.get("/api/v1/services/email/performance"))
    assert performance["service"] == "email"
    days = {d["day"]: d for d in performance["days"]}
    assert len(days) == 22 + 29 + 4  # 10 January to 4 March 2024, a leap year
    assert days["2024-01-10"] == {"day": "2024-01-10", "opened": 1, "resolved": 1, "closed": 0, "backlog": 1}
    assert (days["2024-01-13"]["closed"], days["2024-01-13"]["backlog"]) == (2, 1)
    assert days["2024-03-04"]["backlog"] == 4
    assert performance["durations"] == [
        {"low_hours": 1.0, "high_hours": 2.0, "tickets": 1},
        {"low_hours": 2.0, "high_hours": 4.0, "tickets": 2},
        {"low_hours": 4.0, "high_hours": 8.0, "tickets": 2},
    ]
    assert [r["period_start"] for r in performance["attainment"]] == [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
    ]


def test_tickets_and_backlog(measured, viewer, api):  # noqa: F811
    client = api(viewer)
    (everything,) = rows_of(client.get("/api/v1/analytics/tickets", {"source": "desk"}))
    assert (everything["key"], everything["tickets"], everything["events"], everything["resolved"]) == (
        "all",
        6,
        13,
        5,
    )
    by_category = {
        r["key"]: r
        for r in rows_of(client.get("/api/v1/analytics/tickets", {"source": "desk", "by": "category"}))
    }
    assert (by_category["Email"]["tickets"], by_category["Email"]["resolved"]) == (5, 4)
    assert by_category["Email"]["median_resolution_hours"] == pytest.approx(2.75)  # of 1, 2, 3.5, 5
    assert by_category["Network"]["median_resolution_hours"] == pytest.approx(6.0)
    by_service = rows_of(client.get("/api/v1/analytics/tickets", {"source": "desk", "by": "service"}))
    assert [(r["key"], r["tickets"]) for r in by_service] == [("email", 6)]
    february = rows_of(
        client.get(
            "/api/v1/analytics/tickets",
            {"source": "desk", "from": "2024-02-01", "to": "2024-03-01T00:00:00+00:00"},
        )
    )
    assert [(r["key"], r["tickets"]) for r in february] == [("all", 1)]
    table = csv_rows(
        client.get("/api/v1/analytics/tickets", {"source": "desk", "by": "priority", "format": "csv"})
    )
    assert [(r["key"], r["tickets"]) for r in table] == [("P1", "3"), ("P2", "2"), ("P3", "1")]
    assert list(table[0])[:3] == ["key", "tickets", "events"]

    backlog = rows_of(
        client.get("/api/v1/analytics/backlog", {"source": "desk", "at": "2024-01-20", "by": "category"})
    )
    assert backlog == [
        {"key": "Email", "backlog": 1},
        {"key": "Network", "backlog": 1},
    ]  # T4 open, T3 not closed
    assert rows_of(
        client.get("/api/v1/analytics/backlog", {"source": "desk", "at": "2024-01-12T09:00:00+01:00"})
    ) == [
        {"key": "all", "backlog": 3}  # 08:00 UTC: T1, T2 resolved, not closed; T3 opened at that instant
    ]
    assert (
        csv_rows(
            client.get("/api/v1/analytics/backlog", {"source": "desk", "at": "2023-01-01", "format": "csv"})
        )
        == []
    )


def test_bad_parameters_answer_in_the_error_shape(measured, viewer, api):  # noqa: F811
    client = api(viewer)
    for url, params, status, field in [
        ("/api/v1/analytics/tickets", {}, 422, "source"),
        ("/api/v1/analytics/tickets", {"source": "desk", "by": "colour"}, 422, "by"),
        ("/api/v1/analytics/tickets", {"source": "desk", "from": "2024-13-01"}, 422, "from"),
        ("/api/v1/analytics/tickets", {"source": "desk", "from": "yesterday"}, 422, "from"),
        (
            "/api/v1/analytics/tickets",
            {"source": "desk", "from": "2024-02-01", "to": "2024-01-01"},
            422,
            "to",
        ),
        ("/api/v1/analytics/tickets", {"source": "desk", "format": "xml"}, 422, "format"),
        ("/api/v1/analytics/tickets", {"source": "ghost"}, 404, None),
        ("/api/v1/analytics/tickets", {"source": "Bad Key!"}, 422, "source"),
        ("/api/v1/analytics/backlog", {"source": "desk"}, 422, "at"),
        ("/api/v1/analytics/backlog", {"source": "desk", "at": "0"}, 422, "at"),
        ("/api/v1/analytics/backlog", {"source": "desk", "at": "2024-01-01", "by": "service"}, 422, "by"),
        ("/api/v1/analytics/attainment", {"period": "fortnight"}, 422, "period"),
        ("/api/v1/analytics/attainment", {"from": "2024-01-01T00:00"}, 422, "from"),
        ("/api/v1/analytics/attainment", {"from": "2024-02-01", "to": "2024-02-01"}, 422, "to"),
        ("/api/v1/analytics/attainment", {"service": "ghost"}, 404, None),
        ("/api/v1/analytics/attainment", {"standard": "ghost"}, 404, None),
        ("/api/v1/analytics/board", {"period": "decade"}, 422, "period"),
        ("/api/v1/analytics/pareto", {}, 422, "standard"),
        ("/api/v1/analytics/pareto", {"standard": "ghost"}, 404, None),
        (
            "/api/v1/analytics/pareto",
            {"standard": "email-resolution", "attribute": "state"},
            422,
            "attribute",
        ),
        ("/api/v1/services/ghost/performance", {}, 404, None),
        ("/api/v1/services/email/performance", {"period": "eon"}, 422, "period"),
    ]:
        error = assert_error_shape(client.get(url, params), status)
        if field:
            assert field in error["fields"], (url, params, error)
    samples = measures_services.source_create(
        actor=CLI, key="probes", name="Probes", profile=MappingProfile.objects.get(key="csi-metric-samples")
    )
    error = assert_error_shape(client.get("/api/v1/analytics/tickets", {"source": samples.key}), 422)
    assert "not tickets" in error["fields"]["source"][0]


def test_refresh_needs_the_import_permission_and_runs_in_the_background(
    measured,
    strategist,  # noqa: F811
    viewer,  # noqa: F811
    owner,  # noqa: F811
    token_for,
):
    """The request only queues the work (it can take minutes with much data); the worker does it."""
    from django_tasks_db.models import DBTaskResult

    AttainmentDay.objects.all().delete()
    DBTaskResult.objects.all().delete()
    queued = assert_api_access(
        "/api/v1/analytics/refresh",
        method="post",
        forbidden_token=token_for(viewer),
        permitted_token=token_for(strategist),
        ok=(202,),
    ).json()
    assert queued["last_refresh"]["events"] == 13 and "background" in queued["message"]
    task = DBTaskResult.objects.get(id=queued["task_id"])
    assert task.task_path == "csi.analytics.tasks.refresh_rollups" and task.status == "READY"
    assert AttainmentDay.objects.count() == 0  # nothing done in the request
    assert task.task.call() == 13  # what the worker runs
    assert AttainmentDay.objects.count() == 5
    assert_api_access(
        "/api/v1/analytics/refresh",
        method="post",
        forbidden_token=token_for(owner),
        permitted_token=token_for(strategist),
        ok=(202,),
    )


def test_an_uploaded_event_log_reads_back_through_the_analytics(strategist, viewer, api):  # noqa: F811
    client = api(strategist)
    created = client.post(
        "/api/v1/sources",
        {"key": "upload", "name": "Uploaded", "profile": "csi-event-log", "time_zone": "Europe/Brussels"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    empty = rows_of(api(viewer).get("/api/v1/analytics/tickets", {"source": "upload"}))
    assert empty == []
    # Naive times are in the source's time zone: 09:00 in Brussels in January is 08:00 UTC.
    content = LOG.replace("2024-01-10T08:00:00Z", "2024-01-10 09:00:00").encode()
    response = client.post(
        "/api/v1/sources/upload/imports", {"file": SimpleUploadedFile("log.csv", content), "max_rejects": "0"}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["events"], response.json()["tickets"]) == (13, 6)
    (everything,) = rows_of(api(viewer).get("/api/v1/analytics/tickets", {"source": "upload"}))
    assert (everything["tickets"], everything["events"], everything["resolved"]) == (6, 13, 5)
    by_priority = {
        r["key"]: r["median_resolution_hours"]
        for r in rows_of(api(viewer).get("/api/v1/analytics/tickets", {"source": "upload", "by": "priority"}))
    }
    assert by_priority == {"P1": pytest.approx(2.0), "P2": pytest.approx(4.25), "P3": None}  # P1: 2, 6, 1


def test_time_in_each_state_over_http(measured, api, viewer):  # noqa: F811
    rows = rows_of(api(viewer).get("/api/v1/analytics/states", {"source": "desk"}))
    assert rows and {"state", "tickets", "total_hours", "median_hours", "p90_hours"} <= set(rows[0])
    assert sum(r["tickets"] for r in rows) >= 1
    assert [r["total_hours"] for r in rows] == sorted((r["total_hours"] for r in rows), reverse=True)
    assert_error_shape(api(viewer).get("/api/v1/analytics/states", {"source": "nope"}), 404)
    assert_error_shape(api().get("/api/v1/analytics/states", {"source": "desk"}), 401)
