import pytest

from csi.catalog.tests.factories import ServiceFactory
from csi.core.testing import assert_api_access, assert_error_shape
from csi.standards.models import ServiceStandard, StandardVersion

pytestmark = pytest.mark.django_db
J = "application/json"
OFFICE = {
    "key": "office",
    "name": "Office hours",
    "time_zone": "Europe/Paris",
    "periods": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
}
STANDARD = {
    "service": "email",
    "key": "email-p1-response",
    "name": "P1 answered within 30 minutes",
    "kind": "sla",
    "metric": "response_time",
    "threshold": "0.5",
    "threshold_unit": "hours",
    "target_percent": "95",
    "window_kind": "calendar",
    "calendar_period": "month",
    "calendar": "office",
    "scope": {"priority": ["1 - Critical"]},
    "pause_states": ["Awaiting User Info"],
    "effective_at": "2026-01-01T00:00:00Z",
}


def test_calendar_api_and_business_time(strategist, owner, viewer, api, token_for):
    assert_api_access(
        "/api/v1/calendars",
        method="post",
        data=OFFICE,
        forbidden_token=token_for(owner),
        permitted_token=token_for(strategist),
        ok=(201,),
    )
    client = api(viewer)
    calendar = client.get("/api/v1/calendars/office").json()
    assert len(calendar["periods"]) == 5 and calendar["holidays"] == [
        {"date": "2026-12-25", "name": "Christmas"}
    ]
    answer = client.get(
        "/api/v1/calendars/office/business-time",
        {"start": "2026-12-24T16:00:00+01:00", "end": "2026-12-28T10:00:00+01:00"},
    ).json()
    assert answer["business_seconds"] == 7200
    assert_error_shape(
        client.get(
            "/api/v1/calendars/office/business-time",
            {"start": "2026-12-24T16:00:00", "end": "2026-12-28T10:00:00+01:00"},
        ),
        422,
    )
    bad = dict(OFFICE, key="bad", time_zone="Mars/Base")
    assert_error_shape(api(strategist).post("/api/v1/calendars", bad, content_type=J), 422)
    bad = dict(OFFICE, key="bad2", periods=[{"weekday": 0, "start": "17:00", "end": "09:00"}])
    error = assert_error_shape(api(strategist).post("/api/v1/calendars", bad, content_type=J), 422)
    assert "periods.0" in error["fields"]


def test_standard_lifecycle_over_the_api(strategist, owner, viewer, service, api, token_for):
    api(strategist).post("/api/v1/calendars", OFFICE, content_type=J)
    assert_api_access(
        "/api/v1/standards",
        method="post",
        data=STANDARD,
        forbidden_token=token_for(viewer),
        permitted_token=token_for(owner),
        ok=(201,),
    )
    client = api(owner)
    standard = client.get("/api/v1/standards/email-p1-response").json()
    assert standard["current"]["number"] == 1 and standard["current"]["calendar"] == "office"
    revised = client.post(
        "/api/v1/standards/email-p1-response/versions",
        {"threshold": "0.25", "note": "Tighter", "effective_at": "2026-07-01T00:00:00Z"},
        content_type=J,
    )
    assert revised.status_code == 201 and revised.json()["number"] == 2
    versions = client.get("/api/v1/standards/email-p1-response/versions").json()
    assert [(v["number"], v["threshold"]) for v in versions] == [(2, "0.2500"), (1, "0.5000")]
    assert_error_shape(
        client.post("/api/v1/standards/email-p1-response/versions", {"threshold": "0.25"}, content_type=J),
        409,
    )
    assert_error_shape(
        client.post(
            "/api/v1/standards/email-p1-response/versions",
            {"threshold": "1", "effective_at": "2026-02-01T00:00:00Z"},
            content_type=J,
        ),
        422,
    )
    listed = api(viewer).get("/api/v1/standards", {"service": "email"}).json()
    assert listed["count"] == 1 and listed["items"][0]["current"]["threshold"] == "0.2500"
    assert api(viewer).get("/api/v1/standards", {"metric": "availability"}).json()["count"] == 0


def test_standard_bad_input_stores_nothing(owner, service, api):
    client = api(owner)
    ServiceFactory(key="other")
    for change, field in [
        ({"service": "ghost"}, "service"),
        ({"calendar": "ghost"}, "calendar"),
        ({"package": "Platinum"}, "package"),
        ({"metric": "custom"}, "custom_metric"),
        ({"window_kind": "rolling", "calendar_period": None}, "window_days"),
        ({"service": "other"}, None),
    ]:
        response = client.post("/api/v1/standards", {**STANDARD, "calendar": None, **change}, content_type=J)
        if field is None:
            assert_error_shape(response, 403)
        else:
            assert field in assert_error_shape(response, 422)["fields"], (change, response.json())
    assert (ServiceStandard.objects.count(), StandardVersion.objects.count()) == (0, 0)


def test_a_revision_with_a_null_for_a_field_that_cannot_be_null_is_a_422(owner, service, api):
    """Found by schemathesis: {"custom_metric": null} reached the database (a 500)."""
    client = api(owner)
    created = client.post("/api/v1/standards", {**STANDARD, "calendar": None}, content_type=J)
    assert created.status_code == 201, created.content
    key = STANDARD["key"]
    for field in ("custom_metric", "comparator", "threshold_unit"):
        response = client.post(f"/api/v1/standards/{key}/versions", {field: None}, content_type=J)
        assert field in assert_error_shape(response, 422)["fields"], response.json()
    assert StandardVersion.objects.count() == 1


def test_service_hours(strategist, owner, viewer, service, api, token_for):
    api(strategist).post("/api/v1/calendars", OFFICE, content_type=J)
    assert api(viewer).get("/api/v1/services/email/hours").json() == {"calendar": None}
    assert_api_access(
        "/api/v1/services/email/hours",
        method="put",
        data={"calendar": "office"},
        forbidden_token=token_for(viewer),
        permitted_token=token_for(owner),
    )
    assert api(viewer).get("/api/v1/services/email/hours").json() == {"calendar": "office"}
    assert_error_shape(
        api(owner).put("/api/v1/services/email/hours", {"calendar": "ghost"}, content_type=J), 422
    )
    assert api(owner).put("/api/v1/services/email/hours", {"calendar": None}, content_type=J).json() == {
        "calendar": None
    }
    from csi.core.models import AuditEvent

    assert (
        AuditEvent.objects.filter(
            object_type="standards.servicehours", scope=f"catalog.service:{service.pk}"
        ).count()
        == 2
    )
