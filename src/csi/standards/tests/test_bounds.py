"""Bounds on the dates that drive work in the standards: business time between two instants, how far
ahead a version may take effect; and withdrawing a version before it takes effect (API, page, CLI)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from csi.core.models import AuditEvent
from csi.core.testing import assert_error_shape
from csi.standards.business_time import ALWAYS_OPEN, CalendarSpec, business_seconds
from csi.standards.models import ServiceStandard, StandardVersion
from csi.standards.tests.test_api import OFFICE, STANDARD

pytestmark = pytest.mark.django_db
J = "application/json"
URL = "/api/v1/calendars/office/business-time"


@pytest.fixture
def office(strategist, api):
    assert api(strategist).post("/api/v1/calendars", OFFICE, content_type=J).status_code == 201


@pytest.mark.parametrize(
    ("start", "end", "field", "says"),
    [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "start", "between the years 1970 and 2100"),
        ("2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "end", "between the years 1970 and 2100"),
        ("1980-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "end", "at most 3,660 days apart"),
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "end", "must be after"),
    ],
)
def test_business_time_outside_the_bounds_is_a_clear_422(office, viewer, api, start, end, field, says):
    error = assert_error_shape(api(viewer).get(URL, {"start": start, "end": end}), 422, "validation_error")
    assert says in error["fields"][field][0]


def test_business_time_within_the_bounds_answers(office, viewer, api):
    answer = api(viewer).get(URL, {"start": "2016-01-01T00:00:00Z", "end": "2025-12-31T00:00:00Z"})
    assert answer.status_code == 200 and answer.json()["business_seconds"] > 0


def test_business_time_module_refuses_instead_of_overflowing():
    office = CalendarSpec(time_zone="Europe/Paris", periods={0: [(datetime.min.time(), datetime.min.time())]})
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
    for spec in (office, ALWAYS_OPEN):
        with pytest.raises(ValueError, match="between the years 2 and 9998"):
            business_seconds(spec, first, last)
    with pytest.raises(ValueError, match="at most 3,660 days"):
        business_seconds(office, datetime(1000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC))


# --- how far ahead a version may take effect --------------------------------------------------------------


def test_a_version_in_the_year_9999_is_refused(owner, service, office, api):
    client = api(owner)
    far = dict(STANDARD, effective_at="9999-01-01T00:00:00Z")
    error = assert_error_shape(client.post("/api/v1/standards", far, content_type=J), 422)
    assert "effective_at" in error["fields"]
    assert not ServiceStandard.objects.exists()
    assert client.post("/api/v1/standards", STANDARD, content_type=J).status_code == 201
    beyond = (timezone.now() + timedelta(days=5 * 366 + 2)).isoformat()
    for when, says in [("9999-01-01T00:00:00Z", "between the years"), (beyond, "at most 1,830 days")]:
        error = assert_error_shape(
            client.post(
                "/api/v1/standards/email-p1-response/versions",
                {"threshold": "0.25", "effective_at": when},
                content_type=J,
            ),
            422,
        )
        assert says in error["fields"]["effective_at"][0]
    assert StandardVersion.objects.count() == 1
    within = (timezone.now() + timedelta(days=365)).isoformat()
    revised = client.post(
        "/api/v1/standards/email-p1-response/versions",
        {"threshold": "0.25", "effective_at": within},
        content_type=J,
    )
    assert revised.status_code == 201


def test_the_revise_page_refuses_the_far_future(owner, service, office, api):
    api(owner).post("/api/v1/standards", STANDARD, content_type=J)
    browser = Client()
    browser.force_login(owner)
    page = browser.get("/standards/email-p1-response/revise/")
    assert page.status_code == 200
    form = {
        key: value
        for key, value in page.context["version"].initial.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data = {f"v-{k}": v for k, v in form.items()}
    data.update({"v-threshold": "0.25", "r-effective_at": "9999-01-01 00:00", "r-note": "typo"})
    response = browser.post("/standards/email-p1-response/revise/", data)
    assert response.status_code == 422
    assert "between the years 1970 and 2100" in response.content.decode()
    assert StandardVersion.objects.count() == 1


# --- withdrawing a future version -------------------------------------------------------------------------


@pytest.fixture
def future(owner, service, office, api):
    """email-p1-response: version 1 in force since 2026-01-01, version 2 from 30 days ahead."""
    client = api(owner)
    assert client.post("/api/v1/standards", STANDARD, content_type=J).status_code == 201
    when = (timezone.now() + timedelta(days=30)).isoformat()
    revised = client.post(
        "/api/v1/standards/email-p1-response/versions",
        {"threshold": "0.25", "effective_at": when, "note": "Tighter next month"},
        content_type=J,
    )
    assert revised.status_code == 201
    return ServiceStandard.objects.get(key="email-p1-response")


def _in_force(standard):
    """The versions attainment judges periods by, in effective order (what analytics.engine's
    versions_in_force reads: every stored version; a withdrawn one is gone). Read here directly, as the
    standards app may not import analytics (DESIGN.md's layer order)."""
    return [(v.number, str(v.threshold)) for v in standard.versions.order_by("effective_at", "number")]


def test_withdraw_a_future_version_over_the_api(future, owner, viewer, api):
    in_force = StandardVersion.objects.get(standard=future, number=1)
    snapshot = {f.name: getattr(in_force, f.name) for f in StandardVersion._meta.fields}
    url = "/api/v1/standards/email-p1-response/versions"
    assert_error_shape(api(viewer).delete(f"{url}/2"), 403)
    assert_error_shape(api(owner).delete(f"{url}/9"), 404)
    error = assert_error_shape(api(owner).delete(f"{url}/1"), 409)
    assert "in force since 2026-01-01" in error["message"]
    assert api(owner).delete(f"{url}/2").status_code == 204
    assert [v["number"] for v in api(viewer).get(url).json()] == [1]
    in_force.refresh_from_db()
    assert {f.name: getattr(in_force, f.name) for f in StandardVersion._meta.fields} == snapshot
    assert _in_force(future) == [(1, "0.5000")]  # what attainment judges by
    event = AuditEvent.objects.get(verb="withdraw")
    assert event.actor_label == owner.username and event.before["number"] == 2


def test_withdraw_button_on_the_standard_page(future, owner, viewer):
    editor, reader = Client(), Client()
    editor.force_login(owner)
    reader.force_login(viewer)
    page = editor.get("/standards/email-p1-response/").content.decode()
    assert "Withdraw version 2" in page and "Withdraw version 1" not in page
    assert "Withdraw version" not in reader.get("/standards/email-p1-response/").content.decode()
    assert reader.post("/standards/email-p1-response/versions/2/withdraw/").status_code == 403
    response = editor.post("/standards/email-p1-response/versions/2/withdraw/", follow=True)
    assert "Version 2 was withdrawn" in response.content.decode()
    assert _in_force(future) == [(1, "0.5000")]
    response = editor.post("/standards/email-p1-response/versions/1/withdraw/", follow=True)
    assert "only a version not yet in force can be withdrawn" in response.content.decode()
    assert StandardVersion.objects.filter(standard=future).count() == 1


def test_withdraw_from_the_cli(future, capsys):
    with pytest.raises(CommandError, match="only a version not yet in force"):
        call_command("standards", "withdraw", "email-p1-response", "1")
    with pytest.raises(CommandError, match="no standard 'ghost'"):
        call_command("standards", "withdraw", "ghost", "2")
    call_command("standards", "withdraw", "email-p1-response", "2")
    assert "Withdrew version 2" in capsys.readouterr().out
    assert _in_force(future) == [(1, "0.5000")]
    assert AuditEvent.objects.filter(verb="withdraw", actor_label="cli").count() == 1
