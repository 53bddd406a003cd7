"""Unexpected failures answer in the error shape (API) or a plain page (UI), never with a traceback."""

import pytest
from django.test import Client

from csi.core.testing import assert_error_shape

pytestmark = pytest.mark.django_db


def _boom(*args, **kwargs):
    raise RuntimeError("secret internals")


def test_api_server_error_uses_the_error_shape(make_user, api, monkeypatch):
    client = api(make_user())
    monkeypatch.setattr("csi.accounts.selectors.user_get", _boom)
    response = client.get("/api/v1/me", headers={"X-Request-ID": "trace-500"})
    error = assert_error_shape(response, 500, "server_error")
    assert "trace-500" in error["message"] and "secret internals" not in response.content.decode()


def test_page_server_error_shows_a_plain_page(make_user, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    monkeypatch.setattr("csi.views.action_items", _boom)
    response = client.get("/", headers={"X-Request-ID": "page-500"})
    assert response.status_code == 500
    html = response.content.decode()
    assert "page-500" in html and "secret internals" not in html and "Traceback" not in html


def test_api_unknown_path_and_method(make_user, api):
    client = api(make_user())
    assert_error_shape(client.get("/api/v1/nowhere"), 404, "not_found")
    error = assert_error_shape(client.delete("/api/v1/me"), 405, "method_not_allowed")
    assert "GET" in error["message"]


def test_page_not_found_is_html(make_user):
    client = Client()
    client.force_login(make_user())
    response = client.get("/nowhere/")
    assert response.status_code == 404 and "There is nothing at this address" in response.content.decode()
