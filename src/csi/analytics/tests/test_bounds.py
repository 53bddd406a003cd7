"""Bounds on the ad hoc analytics: windows (sane years, at most CSI_ANALYTICS_MAX_DAYS), groups (at most
CSI_ANALYTICS_MAX_GROUPS) and time (stopped after CSI_ANALYTICS_TIME_LIMIT_SECONDS), each refused with a
message that says how to narrow the question; over HTTP and from the CLI."""

import pytest
from django.core.management import CommandError, call_command

from csi.analytics.tests.test_api import LOG
from csi.catalog.tests.conftest import strategist, viewer  # noqa: F401 - shared fixtures
from csi.core.testing import assert_error_shape
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile

pytestmark = pytest.mark.django_db
TICKETS = "/api/v1/analytics/tickets"


@pytest.fixture
def measured(strategist, tmp_path):  # noqa: F811
    """Source `desk` holding test_api's hand-written log: 6 tickets, priorities P1-P3 (no rollups)."""
    source = measures_services.source_create(
        actor=strategist, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    assert import_file(actor=strategist, source=source, path=path).status == "committed"
    return source


@pytest.mark.parametrize(
    ("url", "params", "field", "says"),
    [
        (TICKETS, {"source": "desk", "from": "0001-01-01"}, "from", "between the years 1970 and 2100"),
        (TICKETS, {"source": "desk", "to": "9999-12-31T00:00:00+00:00"}, "to", "between the years 1970"),
        (TICKETS, {"source": "desk", "from": "2000-01-01", "to": "2099-01-01"}, "to", "at most 1,830 days"),
        (TICKETS, {"source": "desk", "from": "2024-02-01", "to": "2024-01-01"}, "to", "must be after"),
        ("/api/v1/analytics/attainment", {"from": "1971-01-01", "to": "2099-01-01"}, "to", "1,830 days"),
        ("/api/v1/analytics/backlog", {"source": "desk", "at": "0001-01-01"}, "at", "between the years"),
    ],
)
def test_windows_outside_the_bounds_are_a_clear_422(measured, viewer, api, url, params, field, says):  # noqa: F811
    error = assert_error_shape(api(viewer).get(url, params), 422, "validation_error")
    assert says in error["fields"][field][0]


def test_a_window_of_five_years_answers(measured, viewer, api):  # noqa: F811
    response = api(viewer).get(TICKETS, {"source": "desk", "from": "2020-01-01", "to": "2024-12-31"})
    assert response.status_code == 200 and response.json()[0]["tickets"] == 6


def test_cli_windows_are_bounded(measured):
    with pytest.raises(CommandError, match="between the years 1970 and 2100"):
        call_command("analytics", "tickets", "--source", "desk", "--from", "0001-01-01")


def test_too_many_groups_are_refused_saying_how_to_narrow(measured, viewer, api, settings):  # noqa: F811
    settings.CSI_ANALYTICS_MAX_GROUPS = 2
    client = api(viewer)
    error = assert_error_shape(client.get(TICKETS, {"source": "desk", "by": "priority"}), 422)
    message = error["fields"]["by"][0]
    assert "3 groups; the most is 2" in message and "shorter period (from/to)" in message
    assert "fewer values (by)" in message
    assert [r["key"] for r in client.get(TICKETS, {"source": "desk", "by": "category"}).json()] == [
        "Email",
        "Network",
    ]
    # A window with fewer groups in it answers.
    january = client.get(
        TICKETS, {"source": "desk", "by": "priority", "from": "2024-02-01", "to": "2024-03-05"}
    )
    assert january.status_code == 200 and len(january.json()) == 2
    backlog = {"source": "desk", "at": "2024-01-11T09:00:00Z", "by": "priority"}
    settings.CSI_ANALYTICS_MAX_GROUPS = 1
    assert_error_shape(client.get("/api/v1/analytics/backlog", backlog), 422)
    with pytest.raises(CommandError, match="the most is 1"):
        call_command("analytics", "tickets", "--source", "desk", "--by", "priority")


def test_a_question_that_runs_too_long_is_stopped_and_refused(measured, viewer, api, settings, monkeypatch):  # noqa: F811
    """The time limit interrupts DuckDB itself: a query that would run for hours is stopped."""
    settings.CSI_ANALYTICS_TIME_LIMIT_SECONDS = 0.2

    def endless(facts, **kwargs):
        """6 tickets crossed with themselves 18 times: 6**18 rows to count."""
        one = facts.select(c0=facts.ticket_id)
        product = one
        for i in range(1, 18):
            product = product.cross_join(facts.select(**{f"c{i}": facts.ticket_id}))
        return product.aggregate(n=product.count())

    monkeypatch.setattr("csi.analytics.tickets.ticket_summary", endless)
    error = assert_error_shape(api(viewer).get(TICKETS, {"source": "desk"}), 422)
    message = error["fields"]["__all__"][0]
    assert "takes longer than 0.2 s" in message and "Narrow it" in message
    with pytest.raises(CommandError, match=r"takes longer than 0\.2 s"):
        call_command("analytics", "tickets", "--source", "desk")
