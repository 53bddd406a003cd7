from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.core.services import audit_record, snapshot

pytestmark = pytest.mark.django_db


def test_audit_record_names_object_actor_and_values(administrator):
    event = audit_record(
        actor=administrator, verb="update", obj=administrator, before={"a": 1}, after={"a": 2, "b": 3}
    )
    assert event.object_type == "accounts.user" and event.object_id == str(administrator.pk)
    assert event.actor == administrator and event.actor_label == administrator.username
    assert event.changes == [("a", 1, 2), ("b", None, 3)]


def test_system_actor_is_named_without_user():
    event = audit_record(actor=SystemActor("cli"), verb="run", object_type="core.job", object_id="x")
    assert event.actor is None and event.actor_label == "cli"


def test_audit_record_needs_an_object():
    with pytest.raises(ValueError, match="obj or object_type"):
        audit_record(actor=None, verb="x")


def test_snapshot_is_json_safe(administrator):
    data = snapshot(administrator, ["username", "date_joined", "is_active"])
    assert data["username"] == administrator.username and isinstance(data["date_joined"], str)


def _events(administrator, make_user):
    other = make_user(roles=["viewer"])
    old = audit_record(actor=other, verb="create", object_type="catalog.service", object_id="1")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    audit_record(actor=administrator, verb="update", object_type="accounts.user", object_id="2")
    return other


def test_audit_api_filters(administrator, make_user, api):
    other = _events(administrator, make_user)
    client = api(administrator)
    assert client.get("/api/v1/audit-events", {"actor_id": other.pk}).json()["count"] == 1
    assert client.get("/api/v1/audit-events", {"object_type": "catalog.service"}).json()["count"] == 1
    today = timezone.localdate()
    recent = client.get(
        "/api/v1/audit-events", {"since_date": (today - timedelta(days=1)).isoformat()}
    ).json()
    recent_types = {e["object_type"] for e in recent["items"]}
    assert "accounts.user" in recent_types and "catalog.service" not in recent_types
    old = client.get("/api/v1/audit-events", {"until_date": (today - timedelta(days=5)).isoformat()}).json()
    assert [e["object_type"] for e in old["items"]] == ["catalog.service"]
    assert client.get("/api/v1/audit-events", {"since_date": "not-a-date"}).status_code == 422


def test_audit_page_filters(administrator, make_user):
    other = _events(administrator, make_user)
    client = Client()
    client.force_login(administrator)
    html = client.get("/admin/audit/", {"actor": other.pk}).content.decode()
    assert "catalog.service" in html and "<code>accounts.user</code>" not in html
    html = client.get("/admin/audit/", {"object_type": "accounts.user"}).content.decode()
    assert "<code>accounts.user</code>" in html and "<code>catalog.service</code>" not in html
    response = client.get("/admin/audit/", {"since_date": "2026-02-01", "until_date": "2026-01-01"})
    assert "end date is before the start date" in response.content.decode()
    partial = client.get("/admin/audit/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "<table" in partial


def test_audit_list_query_budget(administrator, make_user, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        audit_record(actor=make_user(), verb="update", object_type="catalog.service", object_id=str(i))
    client = api(administrator)
    client.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/audit-events", {"page_size": 25}).json()
    assert len(body["items"]) == 25
    assert len(queries) <= 5, [q["sql"] for q in queries]
