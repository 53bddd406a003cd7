import pytest
from django.test import Client

from csi.core.testing import assert_page_access
from csi.standards import services
from csi.standards.models import Calendar, ServiceStandard
from csi.standards.tests.test_services import RESOLUTION

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


VERSION_POST = {
    "v-metric": "resolution_time",
    "v-comparator": "lte",
    "v-threshold": "8",
    "v-threshold_unit": "hours",
    "v-target_percent": "95",
    "v-window_kind": "calendar",
    "v-calendar_period": "month",
    "v-window_time_zone": "Europe/Paris",
    "v-warning_percent": "75",
    "v-scope_priority": "2 - High, 3 - Moderate",
    "v-pause_states_text": "Awaiting User Info",
}


def test_pages_permission_matrix(viewer, owner, strategist, service):
    for url in ["/standards/", "/standards/calendars/"]:
        assert signed_in(viewer).get(url).status_code == 200
        assert Client().get(url).status_code == 302
    assert_page_access(f"/standards/new/{service.key}/", forbidden=viewer, permitted=owner)
    assert_page_access("/standards/calendars/new/", forbidden=owner, permitted=strategist)


def test_add_and_revise_a_standard_in_the_browser_forms(owner, service):
    client = signed_in(owner)
    response = client.post(
        f"/standards/new/{service.key}/",
        {"meta-key": "email-p2", "meta-name": "P2 in 8 h", "meta-kind": "sla", **VERSION_POST},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    standard = ServiceStandard.objects.get(key="email-p2")
    version = standard.current
    assert version.scope == {"priority": ["2 - High", "3 - Moderate"]} and version.pause_states == [
        "Awaiting User Info"
    ]
    page = client.get(f"/catalog/services/{service.key}/").content.decode()
    assert "P2 in 8 h" in page and "resolution time at most (≤) 8 hours: 95%, per month" in page
    response = client.post(
        f"/standards/{standard.key}/revise/", {**VERSION_POST, "v-threshold": "6", "r-note": "Faster"}
    )
    assert response.status_code == 302
    assert standard.versions.count() == 2 and standard.current.threshold == 6
    response = client.post(f"/standards/{standard.key}/revise/", {**VERSION_POST, "v-threshold": "6"})
    assert response.status_code == 422 and "Nothing changed" in response.content.decode()
    detail = client.get(f"/standards/{standard.key}/").content.decode()
    assert "Faster" in detail and "Current version (2)" in detail


def test_standard_form_errors_store_nothing(owner, service):
    client = signed_in(owner)
    response = client.post(
        f"/standards/new/{service.key}/",
        {
            "meta-key": "Bad Key",
            "meta-name": "",
            "meta-kind": "sla",
            **VERSION_POST,
            "v-window_kind": "rolling",
        },
    )
    assert response.status_code == 422
    assert not ServiceStandard.objects.exists()


def test_calendar_text_editor(strategist, viewer):
    client = signed_in(strategist)
    response = client.post(
        "/standards/calendars/new/",
        {
            "key": "office",
            "name": "Office",
            "time_zone": "Europe/Paris",
            "periods_text": "mon-fri 09:00-12:00\nmon-fri 13:00-17:00\nsat 10:00-14:00",
            "holidays_text": "2026-12-25 Christmas\n2027-01-01 New Year",
        },
    )
    assert response.status_code == 302
    calendar = Calendar.objects.get(key="office")
    assert calendar.periods.count() == 11 and calendar.holidays.count() == 2
    response = client.post(
        "/standards/calendars/office/",
        {"name": "Office", "time_zone": "Europe/Paris", "periods_text": "mon-fri 9-5", "holidays_text": ""},
    )
    assert response.status_code == 422 and "Line 1" in response.content.decode()
    response = client.post(
        "/standards/calendars/office/",
        {
            "name": "Office",
            "time_zone": "Europe/Paris",
            "periods_text": "fri-mon 09:00-17:00",
            "holidays_text": "",
        },
    )
    assert response.status_code == 422 and "runs backwards" in response.content.decode()
    assert Calendar.objects.get(key="office").periods.count() == 11
    assert (
        signed_in(viewer).post("/standards/calendars/office/", {"name": "X", "time_zone": "UTC"}).status_code
        == 403
    )


def test_standards_list_filters(owner, viewer, service):
    services.standard_create(
        actor=owner, service=service, data={"key": "s1", "name": "Resolution"}, version=RESOLUTION
    )
    services.standard_create(
        actor=owner,
        service=service,
        data={"key": "s2", "name": "Availability", "kind": "slo"},
        version={**RESOLUTION, "metric": "availability", "threshold": "99.9", "threshold_unit": "percent"},
    )
    client = signed_in(viewer)
    html = client.get("/standards/", {"metric": "availability"}).content.decode()
    assert 'href="/standards/s2/"' in html and 'href="/standards/s1/"' not in html
    html = client.get("/standards/", {"kind": "sla"}).content.decode()
    assert 'href="/standards/s1/"' in html and 'href="/standards/s2/"' not in html


def test_import_page_preview_then_import(strategist, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    slo = (
        b"apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: api-latency}\nspec: {service: api, indicatorRef: lat,"
        b" budgetingMethod: Occurrences, timeWindow: [{duration: 4w, isRolling: true}], objectives: [{op: lte, value: 300, target: 0.95}]}\n"
    )
    assert signed_in(owner).get("/standards/import/").status_code == 403
    client = signed_in(strategist)
    preview = client.post("/standards/import/", {"files": [SimpleUploadedFile("slo.yaml", slo)]})
    html = preview.content.decode()
    assert preview.status_code == 200 and "Preview: nothing is stored yet" in html and "api-latency" in html
    assert not ServiceStandard.objects.exists()
    confirm = client.post(
        "/standards/import/", {"confirm": "1", "name": ["slo.yaml"], "content": [slo.decode()]}
    )
    assert "Imported" in confirm.content.decode()
    assert ServiceStandard.objects.get().key == "api-latency"
    bad = client.post("/standards/import/", {"files": [SimpleUploadedFile("bad.yaml", b"kind: SLO\n")]})
    assert bad.status_code == 422 and "bad.yaml, document 1" in bad.content.decode()


def test_catalog_import_page_takes_csv(strategist):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from csi.catalog.models import Service

    client = signed_in(strategist)
    preview = client.post(
        "/catalog/import/", {"files": [SimpleUploadedFile("services.csv", b"key,name\nvpn,VPN\n")]}
    )
    assert "vpn" in preview.content.decode() and not Service.objects.exists()
    client.post(
        "/catalog/import/", {"confirm": "1", "name": ["services.csv"], "content": ["key,name\nvpn,VPN\n"]}
    )
    assert Service.objects.get().name == "VPN"


def test_service_hours_from_the_service_page(owner, viewer, strategist, service):
    services.calendar_create(
        actor=strategist, data={"key": "office", "name": "Office", "time_zone": "Europe/Paris"}
    )
    assert (
        signed_in(viewer).post(f"/standards/hours/{service.key}/", {"calendar": "office"}).status_code == 403
    )
    client = signed_in(owner)
    assert client.post(f"/standards/hours/{service.key}/", {"calendar": "office"}).status_code == 302
    page = client.get(f"/catalog/services/{service.key}/").content.decode()
    assert "<strong>Service hours:</strong> <a" in page and ">Office</a>" in page
    client.post(f"/standards/hours/{service.key}/", {"calendar": ""})
    assert (
        "around the clock (no calendar set)"
        in client.get(f"/catalog/services/{service.key}/").content.decode()
    )


def test_home_asks_owners_for_missing_standards(owner, strategist, service):
    from csi.catalog import services as catalog_services
    from csi.catalog.tests.factories import ServiceFactory

    catalog_services.service_transition(actor=owner, service=service, verb="go_live")
    ServiceFactory(key="orphan", owner=None)
    html = signed_in(owner).get("/").content.decode()
    assert f"{service.name} has no service standards" in html
    services.standard_create(
        actor=owner, service=service, data={"key": "s1", "name": "S1"}, version=RESOLUTION
    )
    assert "has no service standards" not in signed_in(owner).get("/").content.decode()
    assert "1 service without an owner" in signed_in(strategist).get("/").content.decode()
