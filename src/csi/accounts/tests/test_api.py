import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from csi.accounts import services
from csi.accounts.models import ApiToken, User
from csi.core.models import AuditEvent
from csi.core.testing import assert_api_access, assert_error_shape

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_in_error_shape():
    for url in ["/api/v1/me", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit-events", "/api/v1/roles"]:
        response = Client().get(url)
        assert_error_shape(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_health_needs_no_sign_in_and_reports_version():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["version"] and body["database"] in {"sqlite", "postgresql"}


def test_token_call_to_me(make_user, api):
    user = make_user(roles=["service-owner", "contributor"])
    response = api(user).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["roles"] == ["contributor", "service-owner"]
    assert body["is_administrator"] is False


def test_revoked_and_expired_tokens_get_401(make_user):
    user = make_user()
    token, secret = services.token_create(actor=user, user=user, name="t")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/me").status_code == 200
    services.token_revoke(actor=user, token=token)
    assert_error_shape(client.get("/api/v1/me"), 401, "not_authenticated")

    from datetime import timedelta

    from django.utils import timezone

    token2, secret2 = services.token_create(
        actor=user, user=user, name="t2", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error_shape(Client(headers={"Authorization": f"Bearer {secret2}"}).get("/api/v1/me"), 401)


def test_bad_token_does_not_fall_back_to_the_session(make_user):
    user = make_user()
    client = Client(headers={"Authorization": "Bearer csi_wrong"})
    client.force_login(user)
    assert_error_shape(client.get("/api/v1/me"), 401)
    assert_error_shape(Client(headers={"Authorization": "Basic abc"}).get("/api/v1/me"), 401)


def test_session_writes_need_csrf(make_user):
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert_error_shape(response, 403, "permission_denied")
    assert not ApiToken.objects.exists()
    client.get("/accounts/profile/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201


def test_user_endpoints_permission_matrix(make_user, administrator, token_for):
    viewer = make_user(roles=["viewer"])
    forbidden, permitted = token_for(viewer), token_for(administrator)
    assert_api_access("/api/v1/users", forbidden_token=forbidden, permitted_token=permitted)
    assert_api_access(
        f"/api/v1/users/{administrator.pk}", forbidden_token=forbidden, permitted_token=permitted
    )
    assert_api_access(
        "/api/v1/users",
        method="post",
        data={"username": "new.one", "roles": ["viewer"]},
        forbidden_token=forbidden,
        permitted_token=permitted,
        ok=(201,),
    )
    assert_api_access(
        f"/api/v1/users/{viewer.pk}",
        method="patch",
        data={"first_name": "Vee"},
        forbidden_token=forbidden,
        permitted_token=permitted,
    )
    assert_api_access(
        f"/api/v1/users/{viewer.pk}/roles",
        method="put",
        data={"roles": ["contributor"]},
        forbidden_token=forbidden,
        permitted_token=permitted,
    )
    assert_api_access("/api/v1/audit-events", forbidden_token=forbidden, permitted_token=permitted)
    viewer.refresh_from_db()
    assert viewer.first_name == "Vee" and viewer.role_names == ["contributor"]


def test_create_user_validation_and_conflict(administrator, api):
    client = api(administrator)
    before = (User.objects.count(), AuditEvent.objects.count())
    error = assert_error_shape(
        client.post("/api/v1/users", {"username": "has space"}, content_type="application/json"), 422
    )
    assert "username" in error["fields"]
    error = assert_error_shape(
        client.post("/api/v1/users", {"username": "ok", "email": "nope"}, content_type="application/json"),
        422,
    )
    assert "email" in error["fields"]
    error = assert_error_shape(
        client.post("/api/v1/users", {"username": "ok", "roles": ["king"]}, content_type="application/json"),
        422,
    )
    assert "roles.0" in error["fields"]
    assert_error_shape(
        client.post("/api/v1/users", {"username": administrator.username}, content_type="application/json"),
        409,
        "conflict",
    )
    assert_error_shape(
        client.post("/api/v1/users", "{not json", content_type="application/json"), 400, "bad_request"
    )
    assert_error_shape(
        client.post("/api/v1/users", {"username": "nul\u0000"}, content_type="application/json"), 400
    )
    assert_error_shape(client.get("/api/v1/users", {"search": "a\x00b"}), 400)
    assert_error_shape(client.get(f"/api/v1/users/{2**70}"), 422)
    assert_error_shape(client.get("/api/v1/users/999999"), 404, "not_found")
    error = assert_error_shape(
        client.patch(f"/api/v1/users/{administrator.pk}", [None], content_type="application/json"), 422
    )
    error = assert_error_shape(
        client.patch(
            f"/api/v1/users/{administrator.pk}",
            {"emial": "typo@example.test"},
            content_type="application/json",
        ),
        422,
    )
    assert "emial" in error["fields"]
    assert_error_shape(
        client.put(f"/api/v1/users/{administrator.pk}/roles", {"roles": []}, content_type="application/json"),
        409,
    )
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_tokens_over_the_api(make_user, api):
    user, other = make_user(), make_user()
    client = api(user)
    created = client.post(
        "/api/v1/tokens", {"name": "ci job", "expires_days": 30}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("csi_") and body["status"] == "active" and body["expires_at"]
    assert (
        Client(headers={"Authorization": f"Bearer {body['token']}"}).get("/api/v1/me").json()["username"]
        == user.username
    )
    listed = client.get("/api/v1/tokens").json()
    assert listed["count"] == 2 and all("token" not in item for item in listed["items"])
    other_token, _ = services.token_create(actor=other, user=other, name="theirs")
    assert_error_shape(client.post(f"/api/v1/tokens/{other_token.pk}/revoke"), 404)
    revoked = client.post(f"/api/v1/tokens/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert_error_shape(client.post("/api/v1/tokens", {"name": ""}, content_type="application/json"), 422)
    assert_error_shape(
        client.post("/api/v1/tokens", {"name": "x", "expires_days": 0}, content_type="application/json"), 422
    )


def test_user_list_pagination_filters_and_query_budget(administrator, make_user, api):
    for i in range(12):
        make_user(roles=["viewer"] if i % 2 else ["contributor"], username=f"bulk{i:02d}")
    client = api(administrator)
    client.get("/api/v1/me")  # warm the token's last-used write out of the measured request
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/users", {"page_size": 5, "page": 2}).json()
    assert len(queries) <= 6, [q["sql"] for q in queries]
    assert page["count"] == 13 and page["pages"] == 3 and page["page"] == 2 and len(page["items"]) == 5
    assert client.get("/api/v1/users", {"role": "viewer"}).json()["count"] == 6
    assert client.get("/api/v1/users", {"search": "bulk1"}).json()["count"] == 2
    assert client.get("/api/v1/users", {"page": 99}).json()["items"] == []
    assert_error_shape(client.get("/api/v1/users", {"page_size": 1000}), 422)


def test_roles_endpoint_lists_every_role(make_user, api):
    from csi.accounts.choices import Role

    roles = api(make_user()).get("/api/v1/roles").json()
    assert [r["key"] for r in roles] == Role.values and all(r["description"] for r in roles)


def test_openapi_document_is_31_and_docs_are_offline():
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/me" in spec["paths"]
    docs = Client().get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/ninja/swagger-ui-bundle.js" in docs


def test_request_id_is_echoed_and_recorded(administrator, api):
    client = api(administrator)
    response = client.post(
        "/api/v1/users",
        {"username": "traced"},
        content_type="application/json",
        headers={"X-Request-ID": "req-123"},
    )
    assert response.status_code == 201 and response["X-Request-ID"] == "req-123"
    assert AuditEvent.objects.get(verb="create", object_repr="traced").request_id == "req-123"
    bogus = client.get("/api/v1/me", headers={"X-Request-ID": "<script>"})
    assert bogus["X-Request-ID"] != "<script>" and len(bogus["X-Request-ID"]) == 32


def test_token_list_query_budget(make_user, api):
    user = make_user()
    for i in range(20):
        services.token_create(actor=user, user=user, name=f"t{i}")
    client = api(user)
    client.get("/api/v1/me")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/tokens").json()["count"] == 21
    assert len(queries) <= 4, [q["sql"] for q in queries]
