"""The edge every request passes: bounded JSON bodies, no caching of what a signed-in user sees, refusals
logged in one line. Driven over HTTP with Django's test client."""

import json
import logging

import pytest
from django.test import Client

from csi.core.testing import assert_error_shape

pytestmark = pytest.mark.django_db

DEEP = 100_000


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


@pytest.fixture
def manager_api(make_user, api):
    return api(make_user(roles=["service-strategy-manager"], username="sam"))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/services"),
        ("patch", "/api/v1/services/email"),
        ("post", "/api/v1/calendars"),
        ("post", "/api/v1/register"),
    ],
)
@pytest.mark.parametrize(
    "body",
    [
        _nested(DEEP),
        '{"a":' * DEEP + "1" + "}" * DEEP,
        '{"name": ' + _nested(DEEP) + "}",
    ],
    ids=["arrays", "objects", "inside-a-field"],
)
def test_json_nested_100000_deep_is_refused_with_400(manager_api, method, url, body):
    response = getattr(manager_api, method)(url, data=body, content_type="application/json")
    error = assert_error_shape(response, 400, "bad_request")
    assert "deeper than 32" in error["message"]


def test_deep_json_is_refused_whatever_content_type_is_declared(manager_api):
    response = manager_api.post("/api/v1/calendars", data=_nested(DEEP), content_type="text/plain")
    assert_error_shape(response, 400, "bad_request")


@pytest.mark.parametrize(
    ("method", "url"), [("post", "/api/v1/services"), ("patch", "/api/v1/services/email")]
)
def test_multi_megabyte_json_is_refused_with_413_before_it_is_read(manager_api, method, url):
    body = json.dumps({"key": "big", "name": "Big", "description": "x" * (5 * 1024 * 1024)})
    response = getattr(manager_api, method)(url, data=body, content_type="application/json")
    error = assert_error_shape(response, 413, "payload_too_large")
    assert "at most 4,194,304 bytes" in error["message"]


def test_json_within_the_bounds_still_works(manager_api):
    body = {"key": "email", "name": "E-mail", "description": '[brackets] {in} strings \\" are not nesting'}
    response = manager_api.post("/api/v1/services", data=body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert manager_api.get("/api/v1/services/email").json()["description"] == body["description"]


def test_json_depth_counts_without_recursion():
    from csi.api.middleware import json_depth

    assert json_depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    assert json_depth(b'"\\"[[" []') == 1
    assert json_depth(b"") == json_depth(b"]]]") == 0
    assert json_depth(_nested(10**6).encode()) == 10**6


# --- Cache-Control --------------------------------------------------------------------------------------


def test_signed_in_pages_and_api_answers_are_not_stored(make_user, api):
    user = make_user()
    browser = Client()
    browser.force_login(user)
    for response in (browser.get("/"), api(user).get("/api/v1/me"), Client().get("/api/v1/me")):
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, response["Cache-Control"]
        assert "public" not in directives


def test_login_page_and_static_files_keep_their_own_caching():
    login = Client().get("/accounts/login/")
    assert login.status_code == 200
    assert login.get("Cache-Control", "") != "private, no-store"
    static = Client().get("/static/csi/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


# --- 403s are one line, 500s keep their traceback -------------------------------------------------------


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_refused_page_logs_one_line_without_a_traceback(make_user, caplog):
    browser = Client()
    browser.force_login(make_user(username="vera"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = browser.get("/admin/users/")
    assert response.status_code == 403
    records = _request_records(caplog)
    assert len(records) == 1
    record = records[0]
    assert record.levelname == "WARNING" and record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert "\n" not in line and "Traceback" not in caplog.text
    assert "GET /admin/users/" in line and "vera" in line


def test_a_refused_api_call_logs_one_line_naming_the_refusal(make_user, api, caplog):
    client = api(make_user(username="vic", roles=["viewer"]))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(
            "/api/v1/calendars", data={"key": "x", "name": "X"}, content_type="application/json"
        )
    error = assert_error_shape(response, 403, "permission_denied")
    records = _request_records(caplog)
    assert len(records) == 1 and records[0].exc_info is None
    line = records[0].getMessage()
    assert line.startswith("Refused POST /api/v1/calendars for vic: ") and error["message"] in line


def test_a_real_server_error_still_logs_its_traceback(make_user, monkeypatch, caplog):
    browser = Client(raise_request_exception=False)
    browser.force_login(make_user())

    def boom(*args, **kwargs):
        raise RuntimeError("a real bug")

    monkeypatch.setattr("csi.views.action_items", boom)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert browser.get("/").status_code == 500
    records = _request_records(caplog)
    assert len(records) == 1 and records[0].levelname == "ERROR" and records[0].exc_info is not None


def test_a_csrf_refusal_logs_one_line_with_its_reason(make_user, caplog):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user(username="cora"))
    with caplog.at_level(logging.WARNING):
        assert browser.post("/accounts/password/", {}).status_code == 403
    (record,) = [r for r in caplog.records if r.name.startswith("django.")]
    assert record.name == "django.security.csrf"
    assert record.exc_info is None
    assert record.getMessage().startswith("Refused POST /accounts/password/ for cora: CSRF check failed")
