import re

import pytest
from django.test import Client

from csi.accounts.models import ApiToken, User
from csi.accounts.tests.factories import TEST_PASSWORD
from csi.core.models import AuditEvent
from csi.core.testing import assert_page_access

pytestmark = pytest.mark.django_db


def test_admin_pages_permission_matrix(make_user, administrator):
    viewer = make_user(roles=["viewer"])
    for url in ["/admin/users/", "/admin/users/new/", f"/admin/users/{viewer.pk}/", "/admin/audit/"]:
        assert_page_access(url, forbidden=viewer, permitted=administrator)


def test_signed_in_pages_need_sign_in_only(make_user):
    user = make_user()
    for url in ["/", "/accounts/profile/", "/accounts/password/"]:
        assert Client().get(url).status_code == 302
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_login_wrong_password_shows_error_and_lockout_after_five(make_user):
    user = make_user(roles=["viewer"])
    client = Client()
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
        assert "username or password is wrong" in response.content.decode()
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Locked out: even the right password is refused until the cool-off ends.
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_success_redirects_home(make_user):
    user = make_user()
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post("/accounts/logout/")
    verbs = list(
        AuditEvent.objects.filter(object_id=str(user.pk)).order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["login", "logout"]


def test_logout_needs_post(make_user):
    client = Client()
    client.force_login(make_user())
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_profile_creates_token_shown_once_and_revokes(make_user):
    user = make_user(roles=["contributor"])
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "nightly import", "expires_days": "7"})
    html = response.content.decode()
    secret = re.search(r'<code id="new-token">(csi_[^<]+)</code>', html).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "nightly import" and token.expires_at is not None
    assert secret not in client.get("/accounts/profile/").content.decode()
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 200
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 401


def test_profile_token_form_errors(make_user):
    client = Client()
    client.force_login(make_user())
    response = client.post("/accounts/profile/", {"name": "", "expires_days": "-3"})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_cannot_revoke_someone_elses_token(make_user):
    alice, bob = make_user(), make_user()
    client = Client()
    client.force_login(alice)
    client.post("/accounts/profile/", {"name": "mine"})
    token = ApiToken.objects.get(user=alice)
    other = Client()
    other.force_login(bob)
    assert other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_admin_creates_and_edits_user(administrator):
    client = Client()
    client.force_login(administrator)
    response = client.post(
        "/admin/users/new/",
        {
            "username": "new.owner",
            "email": "n@example.test",
            "password": "long-enough-pass-7",
            "roles": ["service-owner"],
        },
    )
    user = User.objects.get(username="new.owner")
    assert response.status_code == 302 and response["Location"] == f"/admin/users/{user.pk}/"
    assert user.role_names == ["service-owner"]
    response = client.post(
        f"/admin/users/{user.pk}/",
        {
            "email": "n2@example.test",
            "first_name": "New",
            "last_name": "Owner",
            "is_active": "on",
            "roles": ["service-owner", "process-owner"],
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "n2@example.test" and user.role_names == ["process-owner", "service-owner"]
    response = client.post(f"/admin/users/{user.pk}/", {"new_password": "another-long-pass-8"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-pass-8")
    verbs = list(
        AuditEvent.objects.filter(object_id=str(user.pk), object_type="accounts.user").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == ["create", "set_password", "set_roles", "update"]


def test_admin_form_errors_leave_data_unchanged(administrator, make_user):
    client = Client()
    client.force_login(administrator)
    count = User.objects.count()
    response = client.post("/admin/users/new/", {"username": administrator.username})
    assert response.status_code == 422 and "already taken" in response.content.decode()
    response = client.post("/admin/users/new/", {"username": "weak", "password": "123"})
    assert response.status_code == 422
    assert User.objects.count() == count
    response = client.post(
        f"/admin/users/{administrator.pk}/", {"email": "", "roles": ["viewer"], "is_active": "on"}
    )
    assert response.status_code == 422 and "administrator role from yourself" in response.content.decode()
    assert User.objects.get(pk=administrator.pk).role_names == ["administrator"]


def test_user_list_search_and_role_filter(administrator, make_user):
    make_user(username="zed.owner", roles=["service-owner"])
    make_user(username="no.role")
    client = Client()
    client.force_login(administrator)
    html = client.get("/admin/users/", {"q": "zed"}).content.decode()
    assert "zed.owner" in html and "no.role" not in html
    html = client.get("/admin/users/", {"role": "none"}).content.decode()
    assert "no.role" in html and "zed.owner" not in html
    partial = client.get(
        "/admin/users/", {"q": "zed"}, headers={"HX-Request": "true", "HX-Target": "user-table"}
    )
    assert "<html" not in partial.content.decode() and "zed.owner" in partial.content.decode()


def test_home_lists_what_to_act_on(administrator, make_user):
    make_user(username="roleless")
    client = Client()
    client.force_login(administrator)
    html = client.get("/").content.decode()
    assert "1 user without a role" in html and "Administrator" in html
    lonely = make_user()
    client.force_login(lonely)
    assert "You hold no role yet" in client.get("/").content.decode()


def test_navigation_shows_only_existing_areas(administrator, make_user):
    client = Client()
    client.force_login(make_user(roles=["viewer"]))
    html = client.get("/").content.decode()
    assert ">Admin<" not in html
    client.force_login(administrator)
    assert 'href="/admin/users/">Admin<' in client.get("/").content.decode()


def test_pages_send_security_headers(make_user):
    response = Client().get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    assert "https://" not in html and "//cdn" not in html
