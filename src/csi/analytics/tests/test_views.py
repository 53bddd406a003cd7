"""The analytics pages: the attainment board, a service's performance page and the Performance section of
the catalog's service page, on figures computed from a small hand-written ticket export."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from csi.analytics import services as analytics_services
from csi.analytics.home import analytics_actions
from csi.analytics.views import service_section_context
from csi.catalog.models import Service
from csi.catalog.tests.factories import ServiceFactory
from csi.core.permissions import SystemActor
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile
from csi.standards import services as standards_services
from csi.standards.models import ServiceStandard

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("test")
HOSTILE = "<script>alert(1)</script>"
# Resolution within 8 hours, target 80 %, near-breach from 6 hours (warning at 75 % of the threshold).
# January: T1 1 h, T2 2 h: 2 of 2 met (green). February: T3 1 h, T4 7 h (near-breach), T5 12 h
# (breached, hostile category), T6 2 h: 3 of 4 met, 75.0 % (red). T7 is still open; T8 is not mapped.
EXPORT = f"""ticket_id,event_at,state,priority,category
T1,2024-01-02T09:00:00Z,New,P2,Email
T1,2024-01-02T10:00:00Z,Resolved,P2,Email
T1,2024-01-03T10:00:00Z,Closed,P2,Email
T2,2024-01-10T09:00:00Z,New,P2,Email
T2,2024-01-10T11:00:00Z,Resolved,P2,Email
T2,2024-01-11T11:00:00Z,Closed,P2,Email
T3,2024-02-05T09:00:00Z,New,P2,Email
T3,2024-02-05T10:00:00Z,Resolved,P2,Email
T4,2024-02-06T09:00:00Z,New,P2,Email
T4,2024-02-06T10:00:00Z,Active,P2,Email
T4,2024-02-06T16:00:00Z,Resolved,P2,Email
T5,2024-02-07T09:00:00Z,New,P2,{HOSTILE}
T5,2024-02-07T21:00:00Z,Resolved,P2,{HOSTILE}
T6,2024-02-08T09:00:00Z,New,P2,Email
T6,2024-02-08T11:00:00Z,Resolved,P2,Email
T7,2024-02-20T09:00:00Z,New,P2,Email
T8,2024-02-09T09:00:00Z,New,P9,Other
T8,2024-02-12T09:00:00Z,Resolved,P9,Other
"""
RESOLUTION = {
    "metric": "resolution_time",
    "threshold": "8",
    "threshold_unit": "hours",
    "target_percent": "80",
    "window_kind": "calendar",
    "calendar_period": "month",
    "window_time_zone": "UTC",
}


def measured_service(service_owner: Any, folder: Path, *, key: str = "email", name: str = "Email") -> Service:
    """A service with a resolution-time standard, tickets imported and mapped to it, rollups computed.
    Also used by the browser tests."""
    measured = ServiceFactory(key=key, name=name, owner=service_owner)
    standards_services.standard_create(
        actor=SYSTEM,
        service=measured,
        data={"key": f"{key}-resolution", "name": "Incidents resolved in 8 hours", "kind": "sla"},
        version=RESOLUTION,
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    source = measures_services.source_create(
        actor=SYSTEM,
        key=f"{key}-desk",
        name="Service desk",
        profile=MappingProfile.objects.get(key="csi-event-log"),
    )
    path = folder / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    result = import_file(actor=SYSTEM, source=source, path=path)
    assert result.status == "committed", result.message
    measures_services.rule_create(
        actor=SYSTEM, source=source, data={"service": measured, "field": "priority", "values": ["P2"]}
    )
    analytics_services.rollups_refresh()
    return measured


@pytest.fixture
def owner(make_user: Any) -> Any:
    return make_user(roles=["service-owner"], username="owner")


@pytest.fixture
def viewer(make_user: Any) -> Any:
    return make_user(roles=["viewer"], username="viewer")


@pytest.fixture
def service(owner: Any) -> Service:
    return ServiceFactory(key="unmeasured", name="Unmeasured", owner=owner)


@pytest.fixture
def measured(owner: Any, tmp_path: Path) -> Service:
    return measured_service(owner, tmp_path)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chart_specs(html: str) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs of the page's charts, by script element id."""
    return {
        match.group(1): json.loads(match.group(2))
        for match in re.finditer(
            r'<script id="([\w-]+-spec)" type="application/json">(.*?)</script>', html, re.DOTALL
        )
    }


def test_pages_need_sign_in_and_everybody_signed_in_reads_them(viewer, service):
    for url in ["/analytics/board/", f"/analytics/services/{service.key}/"]:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
        assert signed_in(viewer).get(url).status_code == 200, url


def test_unknown_service_is_not_found(viewer):
    assert signed_in(viewer).get("/analytics/services/no-such-service/").status_code == 404


def test_board_without_data_says_how_to_get_it(viewer):
    html = signed_in(viewer).get("/analytics/board/").content.decode()
    assert "No measured data yet" in html
    assert "import a ticket export" in html
    assert "map its tickets to services" in html
    assert 'href="/measures/"' in html


def test_board_shows_latest_attainment_with_status_word(viewer, measured):
    response = signed_in(viewer).get("/analytics/board/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Incidents resolved in 8 hours" in html
    assert "2024-02" in html and "75.0" in html and "3 of 4" in html
    assert re.search(r'class="status status-red"[^>]*><span aria-hidden="true">✕</span> Red</span>', html)
    assert 'href="/analytics/services/email/?period=month"' in html
    assert "Too few months" in html  # two periods give no trend
    assert "Figures computed" in html


def test_board_period_selector(viewer, measured):
    client = signed_in(viewer)
    quarterly = client.get("/analytics/board/", {"period": "quarter"}).content.decode()
    # The quarter holds all six tickets: 5 met of 6 is 83.3 %, above the target of 80 but not without
    # the near-breach (4 of 6): amber.
    assert "2024 Q1" in quarterly and "83.3" in quarterly and "> Amber</span>" in quarterly
    weekly = client.get("/analytics/board/", {"period": "week"}).content.decode()
    assert "2024-W06" in weekly
    fallback = client.get("/analytics/board/", {"period": "century"}).content.decode()
    assert "2024-02" in fallback


def test_service_page_shows_charts_figures_and_escapes_values(viewer, measured):
    response = signed_in(viewer).get("/analytics/services/email/", {"attribute": "category"})
    html = response.content.decode()
    assert response.status_code == 200
    specs = chart_specs(html)
    assert set(specs) == {"attainment-1-spec", "durations-spec", "backlog-spec", "pareto-spec"}
    for spec_id in specs:
        assert f'data-chart="{spec_id}"' in html
    bars = specs["attainment-1-spec"]["layer"][0]["data"]["values"]
    assert [(bar["period"], bar["attainment_percent"], bar["status"]) for bar in bars] == [
        ("2024-01", 100.0, "Met target"),
        ("2024-02", 75.0, "Within 5 points"),
    ]
    assert specs["attainment-1-spec"]["layer"][1]["data"]["values"][0]["at"] == 80.0
    # The threshold rule of the resolution standard (8 h) on the distribution of 6 resolved tickets.
    durations = specs["durations-spec"]
    assert durations["layer"][1]["data"]["values"][0]["at"] == 8.0
    assert sum(bucket["tickets"] for bucket in durations["layer"][0]["data"]["values"]) == 6
    backlog = specs["backlog-spec"]["layer"][0]["data"]["values"]
    assert backlog[-1] == {"at": "2024-02-20", "backlog": 5}  # T3..T7 were never closed
    pareto = specs["pareto-spec"]["data"]["values"]
    assert [(row["value"], row["breaches"]) for row in pareto] == [(HOSTILE, 1)]
    # The hostile category is data everywhere: escaped in the tables, \u003C-escaped in the JSON.
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in html
    # The figures table and the status word.
    assert re.search(r"<td>2024-02</td><td[^>]*>4</td><td[^>]*>3</td><td[^>]*>1</td><td[^>]*>1</td>", html)
    assert "> Red</span>" in html
    assert "Figures computed" in html


def test_pareto_by_another_attribute_through_htmx(viewer, measured):
    response = signed_in(viewer).get(
        "/analytics/services/email/",
        {"standard": "email-resolution", "attribute": "priority"},
        headers={"HX-Request": "true", "HX-Target": "pareto"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="pareto"')
    assert "<h1" not in html
    assert [row["value"] for row in chart_specs(html)["pareto-spec"]["data"]["values"]] == ["P2"]
    assert 'id="period-keep" hx-swap-oob="true"' in html and 'value="priority"' in html
    # A value that is not an attribute falls back to the default.
    fallback = signed_in(viewer).get("/analytics/services/email/", {"attribute": "password"})
    assert chart_specs(fallback.content.decode())["pareto-spec"]["data"]["values"][0]["value"] == HOSTILE


def test_service_without_data_explains_what_is_missing(viewer, service):
    html = signed_in(viewer).get(f"/analytics/services/{service.key}/").content.decode()
    assert "No standard of this service has measured data yet" in html
    assert "Give the service its standards first" in html
    assert "data-chart" not in html


def test_service_page_query_budget(viewer, measured, django_assert_max_num_queries):
    client = signed_in(viewer)
    client.get("/analytics/services/email/")  # warm up (content types)
    # Session, user, roles, the navigation's permission check and the unread notifications (6); the service, its standards and
    # their versions (3); attainment (3), breaches, durations, days, last refresh (4).
    with django_assert_max_num_queries(16) as one:
        client.get("/analytics/services/email/")
    # More standards must not mean more queries.
    for threshold in ("1", "4", "24"):
        standards_services.standard_create(
            actor=SYSTEM,
            service=measured,
            data={
                "key": f"email-resolution-{threshold}h",
                "name": f"Resolved in {threshold} h",
                "kind": "slo",
            },
            version={**RESOLUTION, "threshold": threshold},
            effective_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
    analytics_services.rollups_refresh()
    with django_assert_max_num_queries(len(one)):
        response = client.get("/analytics/services/email/")
    assert response.status_code == 200
    assert len(chart_specs(response.content.decode())) == 4 + 3


def test_catalog_service_page_has_the_performance_section(viewer, measured, django_assert_max_num_queries):
    html = signed_in(viewer).get("/catalog/services/email/").content.decode()
    section = html[html.index('<section id="performance"') :]
    section = section[: section.index("</section>")]
    assert "Performance" in section
    assert "2024-02" in section and "75.0" in section and "> Red</span>" in section
    assert 'href="/analytics/services/email/"' in section
    assert html.index('id="standards"') < html.index('id="performance"')

    class Request:
        user = viewer

    with django_assert_max_num_queries(3):
        context = service_section_context(Request(), measured)  # type: ignore[arg-type]
    assert [row["latest"]["status"]["word"] for row in context["rows"]] == ["Red"]


def test_owner_is_told_about_red_standards(owner, viewer, measured):
    items = list(analytics_actions(owner))
    assert [item.title for item in items] == ["Email: 1 standard is red in February 2024"]
    assert items[0].url == "/analytics/services/email/?period=month" and items[0].urgency == "high"
    assert list(analytics_actions(viewer)) == []
    assert "Email: 1 standard is red" in signed_in(owner).get("/").content.decode()


def test_standard_without_data_is_listed_on_the_service_page(viewer, measured):
    ServiceStandard.objects.filter(key="email-resolution").update(name="Renamed")
    standards_services.standard_create(
        actor=SYSTEM,
        service=measured,
        data={"key": "email-later", "name": "Applies from 2030", "kind": "sla"},
        version=RESOLUTION,
        effective_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    analytics_services.rollups_refresh()
    html = signed_in(viewer).get("/analytics/services/email/").content.decode()
    assert "Without measured data: Applies from 2030." in html
    assert "Renamed" in html


def test_long_backlog_is_shown_per_week(service):
    from datetime import date, timedelta

    from csi.analytics.views import _backlog_chart

    rows = [
        {"day": date(2024, 1, 1) + timedelta(days=n), "opened": 2, "resolved": 1, "closed": 1, "backlog": n}
        for n in range(200)
    ]
    chart = _backlog_chart(rows, service)
    assert chart["table"]["columns"][0] == "Week to" and "end of each week" in chart["description"]
    assert chart["table"]["rows"][0] == ["2024-01-07", 14, 7, 7, 6]  # Monday 1 to Sunday 7 January
    assert len(chart["table"]["rows"]) == 29
    assert chart["spec"]["layer"][0]["data"]["values"][-1] == {"at": "2024-07-18", "backlog": 199}
