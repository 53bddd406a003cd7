import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csi.catalog.models import Service
from csi.catalog.tests.factories import ProcessFactory, ServiceFactory, StakeholderFactory
from csi.core.models import AuditEvent
from csi.core.testing import assert_api_access, assert_error_shape

pytestmark = pytest.mark.django_db
J = "application/json"


def test_read_endpoints_need_sign_in_only(viewer, service, api):
    client = api(viewer)
    for url in [
        "/api/v1/services",
        "/api/v1/services/email",
        "/api/v1/services/email/dependencies",
        "/api/v1/services/email/packages",
        "/api/v1/services/email/stakeholders",
        "/api/v1/services/email/delivery-model",
        "/api/v1/stakeholders",
        "/api/v1/processes",
        "/api/v1/objectives",
        "/api/v1/skills",
    ]:
        assert client.get(url).status_code == 200, url
        assert_error_shape(api(None).get(url), 401)


def test_write_matrix(viewer, owner, strategist, service, token_for):
    viewer_token, owner_token, strategist_token = token_for(viewer), token_for(owner), token_for(strategist)
    assert_api_access(
        "/api/v1/services",
        method="post",
        data={"key": "vpn", "name": "VPN"},
        forbidden_token=owner_token,
        permitted_token=strategist_token,
        ok=(201,),
    )
    assert_api_access(
        "/api/v1/services/email",
        method="patch",
        data={"description": "Mail"},
        forbidden_token=viewer_token,
        permitted_token=owner_token,
    )
    assert_api_access(
        "/api/v1/services/email/packages",
        method="post",
        data={"name": "Gold"},
        forbidden_token=viewer_token,
        permitted_token=owner_token,
        ok=(201,),
    )
    assert_api_access(
        "/api/v1/services/email/go-live",
        method="post",
        forbidden_token=viewer_token,
        permitted_token=owner_token,
    )
    assert_api_access(
        "/api/v1/stakeholders",
        method="post",
        data={"name": "Sales", "kind": "internal_team"},
        forbidden_token=viewer_token,
        permitted_token=owner_token,
        ok=(201,),
    )
    assert_api_access(
        "/api/v1/processes",
        method="post",
        data={"key": "incident", "name": "Incident management"},
        forbidden_token=owner_token,
        permitted_token=strategist_token,
        ok=(201,),
    )
    assert_api_access(
        "/api/v1/objectives",
        method="post",
        data={"name": "Cut costs", "period_start_date": "2027-01-01", "period_end_date": "2027-12-31"},
        forbidden_token=owner_token,
        permitted_token=strategist_token,
        ok=(201,),
    )
    assert_api_access(
        "/api/v1/services/vpn",
        method="delete",
        forbidden_token=owner_token,
        permitted_token=strategist_token,
        ok=(204,),
    )


def test_service_crud_and_filters(strategist, owner, api):
    client = api(strategist)
    created = client.post(
        "/api/v1/services",
        {"key": "hr-portal", "name": "HR portal", "owner": owner.username, "category": "HR", "tier": 2},
        content_type=J,
    )
    assert created.status_code == 201 and created.json()["owner"]["username"] == owner.username
    ServiceFactory(key="crm", name="CRM", category="Sales", tier=1)
    assert client.get("/api/v1/services", {"category": "HR"}).json()["count"] == 1
    assert client.get("/api/v1/services", {"owner": owner.username}).json()["items"][0]["key"] == "hr-portal"
    assert [s["key"] for s in client.get("/api/v1/services", {"ordering": "tier"}).json()["items"]] == [
        "crm",
        "hr-portal",
    ]
    assert client.get("/api/v1/services", {"search": "portal"}).json()["count"] == 1
    patched = client.patch("/api/v1/services/hr-portal", {"owner": None, "tier": 1}, content_type=J)
    assert patched.json()["owner"] is None and patched.json()["tier"] == 1
    assert client.post("/api/v1/services/hr-portal/go-live").json()["lifecycle_status"] == "live"
    assert_error_shape(client.post("/api/v1/services/hr-portal/go-live"), 409, "conflict")
    assert_error_shape(client.delete("/api/v1/services/hr-portal"), 409)


def test_bad_input_is_refused_and_changes_nothing(strategist, service, api):
    client = api(strategist)
    before = (Service.objects.count(), AuditEvent.objects.count())
    assert_error_shape(client.post("/api/v1/services", {"key": "Has Caps", "name": "x"}, content_type=J), 422)
    assert_error_shape(
        client.post("/api/v1/services", {"key": "x", "name": "x", "owner": "ghost"}, content_type=J), 422
    )
    assert_error_shape(client.post("/api/v1/services", {"key": "email", "name": "dup"}, content_type=J), 409)
    error = assert_error_shape(
        client.post("/api/v1/services", {"key": "x", "name": "x", "charging_model": "fixed"}, content_type=J),
        422,
    )
    assert "price" in error["fields"]
    assert_error_shape(
        client.post(
            "/api/v1/services", {"key": "x", "name": "x", "lifecycle_status": "live"}, content_type=J
        ),
        422,
    )
    assert_error_shape(client.patch("/api/v1/services/email", {"tier": "1"}, content_type=J), 422)
    assert_error_shape(client.get("/api/v1/services/NOPE"), 422)
    assert_error_shape(client.get("/api/v1/services/nope"), 404)
    assert_error_shape(
        client.post(
            "/api/v1/services/email/risks", {"title": "x", "likelihood": 9, "impact": 1}, content_type=J
        ),
        422,
    )
    assert (Service.objects.count(), AuditEvent.objects.count()) == before


def test_dependencies_over_the_api(strategist, api):
    for key in ["web", "db", "storage"]:
        ServiceFactory(key=key)
    client = api(strategist)
    assert (
        client.post("/api/v1/services/web/dependencies", {"depends_on": "db"}, content_type=J).status_code
        == 201
    )
    assert (
        client.post("/api/v1/services/db/dependencies", {"depends_on": "storage"}, content_type=J).status_code
        == 201
    )
    error = assert_error_shape(
        client.post("/api/v1/services/storage/dependencies", {"depends_on": "web"}, content_type=J), 409
    )
    assert "cycle" in error["message"]
    assert_error_shape(
        client.post("/api/v1/services/web/dependencies", {"depends_on": "ghost"}, content_type=J), 422
    )
    graph = client.get("/api/v1/services/db/dependencies").json()
    assert graph["upstream"] == [{"key": "storage", "name": graph["upstream"][0]["name"], "depth": 1}]
    assert [n["key"] for n in graph["downstream"]] == ["web"]
    assert sorted(map(tuple, graph["edges"])) == [("db", "storage"), ("web", "db")]
    assert [n["key"] for n in client.get("/api/v1/services/web/dependencies").json()["upstream"]] == [
        "db",
        "storage",
    ]
    assert client.delete("/api/v1/services/web/dependencies/db").status_code == 204
    assert client.get("/api/v1/services/db/dependencies").json()["downstream"] == []


def test_parts_and_delivery_model(owner, service, api):
    client = api(owner)
    package = client.post(
        "/api/v1/services/email/packages", {"name": "Gold", "rank": 1}, content_type=J
    ).json()
    assert (
        client.patch(
            f"/api/v1/services/email/packages/{package['id']}", {"description": "24x7"}, content_type=J
        ).json()["description"]
        == "24x7"
    )
    nulled = client.patch(
        f"/api/v1/services/email/packages/{package['id']}", {"description": None}, content_type=J
    )
    assert "cannot be null" in str(assert_error_shape(nulled, 422)["fields"]["description"])
    other = ServiceFactory(key="other", owner=owner)
    assert_error_shape(
        client.patch(f"/api/v1/services/other/packages/{package['id']}", {"rank": 2}, content_type=J), 404
    )
    assert other.packages.count() == 0
    assert (
        client.post(
            "/api/v1/services/email/timelines",
            {"request_type": "New mailbox", "lead_time_hours": "8"},
            content_type=J,
        ).status_code
        == 201
    )
    role = client.post("/api/v1/services/email/roles", {"name": "Mail admin"}, content_type=J).json()
    activity = client.post(
        "/api/v1/services/email/activities", {"name": "Create mailbox"}, content_type=J
    ).json()
    model = client.put(
        "/api/v1/services/email/raci",
        {"activity_id": activity["id"], "role_id": role["id"], "letter": "A"},
        content_type=J,
    ).json()
    assert model["raci"][0]["cells"] == ["A"]
    model = client.put(
        "/api/v1/services/email/role-skills",
        {"role_id": role["id"], "skill": "Exchange", "level": 4},
        content_type=J,
    ).json()
    assert model["roles"][0]["skills"] == [{"skill": "Exchange", "level": 4}]
    ProcessFactory(key="request-fulfilment")
    assert (
        client.post(
            "/api/v1/services/email/processes", {"process": "request-fulfilment"}, content_type=J
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/services/email/tools", {"name": "Exchange Online", "kind": "platform"}, content_type=J
        ).status_code
        == 201
    )
    model = client.get("/api/v1/services/email/delivery-model").json()
    assert [p["process"]["key"] for p in model["processes"]] == ["request-fulfilment"]
    assert [t["name"] for t in model["tools"]] == ["Exchange Online"]


def test_stakeholder_links(owner, service, api):
    client = api(owner)
    stakeholder = StakeholderFactory(name="Finance")
    link = client.post(
        "/api/v1/services/email/stakeholders",
        {"stakeholder_id": stakeholder.pk, "relation": "customer", "interest": 2, "influence": 5},
        content_type=J,
    )
    assert link.status_code == 201 and link.json()["quadrant"] == "keep satisfied"
    assert_error_shape(
        client.post(
            "/api/v1/services/email/stakeholders",
            {"stakeholder_id": 999999, "relation": "user"},
            content_type=J,
        ),
        422,
    )
    assert client.get("/api/v1/services/email/stakeholders").json()[0]["stakeholder"]["name"] == "Finance"


def test_service_list_query_budget(viewer, api):
    for i in range(30):
        ServiceFactory(key=f"svc-{i}")
    client = api(viewer)
    client.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/services", {"page_size": 25}).json()["count"] == 30
    assert len(queries) <= 5, [q["sql"] for q in queries]


def test_process_delete(owner, strategist, token_for):
    from csi.catalog.models import Process

    ProcessFactory(key="old-process")
    assert_api_access(
        "/api/v1/processes/old-process",
        method="delete",
        forbidden_token=token_for(owner),
        permitted_token=token_for(strategist),
        ok=(204,),
    )
    assert not Process.objects.filter(key="old-process").exists()
