import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from csi.core import selectors, services
from csi.core.models import Notification
from csi.core.permissions import SystemActor
from csi.core.testing import assert_api_access, assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user):
    return make_user(username="alice")


@pytest.fixture
def bob(make_user):
    return make_user(username="bob")


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def one_for(user, **fields):
    services.notify(recipients=[user], **{"title": "Initiative approved", **fields})
    return Notification.objects.filter(recipient=user).latest("id")


# --- service ----------------------------------------------------------------------------------------


def test_notify_deduplicates_and_skips_actor_inactive_and_none(alice, bob, make_user):
    inactive = make_user(username="gone", is_active=False)
    count = services.notify(
        recipients=[alice, bob, alice, None, inactive, bob],
        title="Initiative “Faster desk” was approved",
        body="Approved by carol.",
        url="/improvement/initiatives/12/",
        verb="approve",
        scope="improvement.initiative:12",
        exclude=bob,
    )
    assert count == 1
    (row,) = Notification.objects.all()
    assert row.recipient == alice and row.read_at is None and not row.is_read
    assert (row.verb, row.scope, row.url) == (
        "approve",
        "improvement.initiative:12",
        "/improvement/initiatives/12/",
    )


def test_notify_takes_a_model_as_scope_and_a_system_actor_as_exclude(alice):
    assert services.notify(recipients=[alice], title="t", scope=alice, exclude=SystemActor("cli")) == 1
    assert Notification.objects.get().scope == f"accounts.user:{alice.pk}"


def test_notify_nobody_writes_nothing(alice):
    assert services.notify(recipients=[], title="t") == 0
    assert services.notify(recipients=[alice], title="t", exclude=alice) == 0
    assert not Notification.objects.exists()


def test_notify_rolls_back_with_the_callers_transaction(alice, bob):
    def caller() -> None:
        with transaction.atomic():
            assert services.notify(recipients=[alice, bob], title="t") == 2
            raise RuntimeError("the write that caused it failed")

    with pytest.raises(RuntimeError):
        caller()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "relative"]
)
def test_notify_refuses_links_to_other_sites(alice, url):
    with pytest.raises(ValidationError) as exc:
        services.notify(recipients=[alice], title="t", url=url)
    assert "url" in exc.value.message_dict
    assert not Notification.objects.exists()


def test_notify_clips_long_text_but_refuses_a_long_scope(alice):
    services.notify(recipients=[alice], title="x" * 400, body="y" * 6000)
    row = Notification.objects.get()
    assert len(row.title) == 300 and row.title.endswith("…") and len(row.body) == 5000
    with pytest.raises(ValidationError):
        services.notify(recipients=[alice], title="t", scope="s" * 101)


def test_model_clean_checks_the_url(alice):
    Notification(recipient=alice, title="t", url="/ok/").full_clean()
    with pytest.raises(ValidationError):
        Notification(recipient=alice, title="t", url="http://x/").full_clean()
    assert Notification(recipient=alice, title="t", url="//x").safe_url == ""


def test_mark_read_only_by_the_recipient(alice, bob):
    notification = one_for(alice)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=bob, notification=notification)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=AnonymousUser(), notification=notification)
    services.notification_mark_read(actor=alice, notification=notification)
    first = Notification.objects.get().read_at
    assert first is not None
    services.notification_mark_read(actor=alice, notification=notification)
    assert Notification.objects.get().read_at == first


def test_mark_all_read_touches_only_the_actors_unread(alice, bob):
    services.notify(recipients=[alice, bob], title="one")
    services.notify(recipients=[alice], title="two")
    assert services.notifications_mark_all_read(actor=alice) == 2
    assert services.notifications_mark_all_read(actor=alice) == 0
    assert selectors.unread_count(alice) == 0 and selectors.unread_count(bob) == 1
    with pytest.raises(PermissionDenied):
        services.notifications_mark_all_read(actor=AnonymousUser())


# --- selectors --------------------------------------------------------------------------------------


def test_selectors_return_the_actors_own_newest_first(alice, bob):
    services.notify(recipients=[alice], title="older")
    services.notify(recipients=[alice, bob], title="newer")
    assert [n.title for n in selectors.notifications_for(actor=alice)] == ["newer", "older"]
    assert [n.title for n in selectors.notifications_for(actor=bob)] == ["newer"]
    services.notification_mark_read(actor=alice, notification=selectors.notifications_for(actor=alice)[0])
    assert [n.title for n in selectors.notifications_for(actor=alice, unread_only=True)] == ["older"]
    assert selectors.unread_count(alice) == 1 and selectors.unread_count(AnonymousUser()) == 0


def test_selectors_refuse_anonymous_and_hide_others(alice, bob):
    notification = one_for(alice)
    with pytest.raises(PermissionDenied):
        selectors.notifications_for(actor=AnonymousUser())
    with pytest.raises(Notification.DoesNotExist):
        selectors.notification_get(actor=bob, notification_id=notification.pk)
    assert selectors.notification_get(actor=alice, notification_id=notification.pk) == notification


# --- page -------------------------------------------------------------------------------------------


def test_page_sends_anonymous_to_sign_in():
    for method, url in [
        ("get", "/notifications/"),
        ("post", "/notifications/read-all/"),
        ("post", "/notifications/1/read/"),
    ]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_page_lists_own_notifications_escaped(alice, bob):
    mine = one_for(
        alice, title="<script>alert(1)</script> approved", body="Line one\nLine <b>two</b>", url="/x/"
    )
    one_for(bob, title="Bob's secret")
    html = signed_in(alice).get("/notifications/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; approved" in html and "<script>alert(1)" not in html
    assert "Line one<br>Line &lt;b&gt;two&lt;/b&gt;" in html
    assert 'href="/x/"' in html and f'id="notification-{mine.pk}"' in html
    assert "Bob&#x27;s secret" not in html and "Bob's secret" not in html
    assert "Mark all as read" in html and ">New<" in html


def test_page_does_not_link_a_url_written_around_validation(alice):
    notification = one_for(alice, title="Odd")
    Notification.objects.filter(pk=notification.pk).update(url="//evil.example/")
    assert "evil.example" not in signed_in(alice).get("/notifications/").content.decode()


def test_mark_read_and_all_read_with_csrf(alice, make_user):
    first, second = one_for(alice, title="First"), one_for(alice, title="Second")
    client = signed_in(alice, enforce_csrf_checks=True)
    client.get("/notifications/")
    token = client.cookies["csrftoken"].value

    assert client.post(f"/notifications/{first.pk}/read/").status_code == 403  # no CSRF token
    response = client.post(f"/notifications/{first.pk}/read/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_read and not second.is_read

    response = client.post("/notifications/read-all/", {"csrfmiddlewaretoken": token, "unread": "1"})
    assert response["Location"] == "/notifications/?unread=1"
    second.refresh_from_db()
    assert second.is_read
    html = client.get("/notifications/?unread=1").content.decode()
    assert "You have read every notification" in html and "Mark all as read" not in html


def test_mark_read_of_someone_elses_is_404_and_get_is_refused(alice, bob):
    notification = one_for(alice)
    assert signed_in(bob).post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert signed_in(alice).get(f"/notifications/{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert not notification.is_read


def test_nav_shows_the_unread_count(alice):
    client = signed_in(alice)
    html = client.get("/notifications/").content.decode()
    nav = re.search(r'<a href="/notifications/" id="nav-notifications"[^>]*>(.*?)</a>', html, re.S)
    assert nav and "badge" not in nav.group(1)
    services.notify(recipients=[alice], title="a")
    services.notify(recipients=[alice], title="b")
    html = client.get("/accounts/profile/").content.decode()
    nav = re.search(r'id="nav-notifications"[^>]*>(.*?)</a>', html, re.S)
    assert nav and '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in nav.group(1)
    assert 'id="nav-notifications"' not in Client().get("/accounts/login/").content.decode()


# --- API --------------------------------------------------------------------------------------------


def test_api_access(alice, bob, token_for):
    notification = one_for(alice)
    for method, url in [
        ("get", "/api/v1/notifications"),
        ("post", "/api/v1/notifications/read-all"),
        ("post", f"/api/v1/notifications/{notification.pk}/read"),
    ]:
        assert_error_shape(getattr(Client(), method)(url), 401, "not_authenticated")
    # Another user's notification does not exist for bob.
    assert_api_access(
        f"/api/v1/notifications/{notification.pk}/read",
        method="post",
        forbidden_token=token_for(bob),
        permitted_token=token_for(alice),
    )
    notification.refresh_from_db()
    assert notification.is_read


def test_api_lists_own_and_filters_unread(alice, bob, api):
    read = one_for(alice, title="read one")
    one_for(alice, title="unread one", url="/u/", verb="approve", scope="improvement.initiative:3")
    one_for(bob, title="bob's")
    services.notification_mark_read(actor=alice, notification=read)
    client = api(alice)
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 2 and [n["title"] for n in body["items"]] == ["unread one", "read one"]
    body = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["url"] == "/u/" and item["verb"] == "approve" and item["read_at"] is None
    assert item["scope"] == "improvement.initiative:3"
    assert client.get("/api/v1/notifications", {"unread": "maybe"}).status_code == 422


def test_api_mark_read_and_read_all(alice, bob, api):
    mine = one_for(alice)
    one_for(alice)
    theirs = one_for(bob)
    client = api(alice)
    response = client.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert_error_shape(client.post(f"/api/v1/notifications/{theirs.pk}/read"), 404, "not_found")
    assert_error_shape(client.post("/api/v1/notifications/0/read"), 422)
    assert client.post("/api/v1/notifications/read-all").json() == {"marked_read": 1}
    assert selectors.unread_count(bob) == 1


def test_api_session_writes_need_csrf(alice):
    one_for(alice)
    client = signed_in(alice, enforce_csrf_checks=True)
    assert_error_shape(client.post("/api/v1/notifications/read-all"), 403)
    client.get("/notifications/")
    response = client.post(
        "/api/v1/notifications/read-all", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )
    assert response.json() == {"marked_read": 1}


def test_api_list_query_budget(alice, api):
    client = api(alice)
    client.get("/api/v1/notifications")  # warm up
    services.notify(recipients=[alice], title="one")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/notifications")
    for n in range(30):
        services.notify(recipients=[alice], title=f"n{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/notifications").json()["count"] == 31
    assert len(many) == len(few) <= 6
