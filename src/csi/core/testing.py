"""The permission matrix every view and endpoint is tested with: anonymous, signed in without the
permission, permitted. Later apps call `assert_page_access` and `assert_api_access` for each of theirs."""

from __future__ import annotations

from typing import Any

from django.test import Client


def _call(client: Client, method: str, url: str, data: Any) -> Any:
    if method == "get":
        return client.get(url, data or {})
    return (
        getattr(client, method)(url, data=data, content_type="application/json")
        if data is not None
        else getattr(client, method)(url)
    )


def assert_page_access(
    url: str,
    *,
    forbidden: Any,
    permitted: Any,
    method: str = "get",
    data: dict[str, Any] | None = None,
    ok: tuple[int, ...] = (200,),
) -> Any:
    """A page: anonymous users are sent to sign in, `forbidden` gets 403, `permitted` gets one of `ok`.

    Returns the permitted response for further assertions.
    """
    anonymous = getattr(Client(), method)(url, data or {})
    assert anonymous.status_code == 302, f"anonymous {method.upper()} {url}: {anonymous.status_code}"
    assert "/accounts/login/" in anonymous["Location"], anonymous["Location"]

    denied_client = Client()
    denied_client.force_login(forbidden)
    denied = getattr(denied_client, method)(url, data or {})
    assert denied.status_code == 403, f"user without permission {method.upper()} {url}: {denied.status_code}"

    allowed_client = Client()
    allowed_client.force_login(permitted)
    allowed = getattr(allowed_client, method)(url, data or {})
    assert allowed.status_code in ok, f"permitted {method.upper()} {url}: {allowed.status_code}"
    return allowed


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is `status` with the one error shape; returns the error body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_api_access(
    url: str,
    *,
    forbidden_token: str,
    permitted_token: str,
    method: str = "get",
    data: Any = None,
    ok: tuple[int, ...] = (200,),
) -> Any:
    """An endpoint: anonymous gets 401, a token without the permission 403 (or 404 where existence is
    hidden), a permitted token one of `ok`; errors in the one error shape. Returns the permitted response."""
    assert_error_shape(_call(Client(), method, url, data), 401, "not_authenticated")
    denied = _call(Client(headers={"Authorization": f"Bearer {forbidden_token}"}), method, url, data)
    assert denied.status_code in (403, 404), (
        f"token without permission {method.upper()} {url}: {denied.status_code}"
    )
    assert_error_shape(denied, denied.status_code)
    allowed = _call(Client(headers={"Authorization": f"Bearer {permitted_token}"}), method, url, data)
    assert allowed.status_code in ok, (
        f"permitted {method.upper()} {url}: {allowed.status_code} {allowed.content[:300]!r}"
    )
    return allowed
