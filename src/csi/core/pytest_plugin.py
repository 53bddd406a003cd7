"""pytest plugin loaded with `-p csi.core.pytest_plugin` (see pyproject.toml), before Django's settings.

It points CSI_DATA_DIR at a throw-away folder, so tests never touch a developer's `var/`, and provides
the fixtures every app's tests share: users with roles, API clients, the `csi` command as a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

if not os.environ.get("CSI_DATA_DIR"):
    os.environ["CSI_DATA_DIR"] = tempfile.mkdtemp(prefix="csi-test-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csi.settings")


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data folder (the measurement store lives there), also for the `csi`
    subprocesses it starts, so tests on both xdist workers never share files."""
    folder = tmp_path / "csi-data"
    folder.mkdir()
    settings.DATA_DIR = folder
    monkeypatch.setenv("CSI_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """make_user(roles=[...], **fields): a saved, active user holding the roles, password 'pw-for-tests-1'."""
    from csi.accounts.tests.factories import UserFactory

    def make(roles: Iterable[str] = (), **fields: Any) -> Any:
        return UserFactory(roles=list(roles), **fields)

    return make


@pytest.fixture
def administrator(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["administrator"], username="admin1")


@pytest.fixture
def token_for(db: Any) -> Callable[[Any], str]:
    """token_for(user) -> a fresh API token secret for that user."""
    from csi.accounts import services
    from csi.core.permissions import SystemActor

    def make(user: Any) -> str:
        _, secret = services.token_create(actor=SystemActor("test"), user=user, name="test")
        return secret

    return make


@pytest.fixture
def api(client: Any, token_for: Callable[[Any], str]) -> Callable[..., Any]:
    """api(user or None) -> a Django test client that sends the user's bearer token on every request."""
    from django.test import Client

    def make(user: Any = None) -> Client:
        if user is None:
            return Client()
        return Client(headers={"Authorization": f"Bearer {token_for(user)}"})

    return make


def csi_executable() -> str:
    """The installed `csi` console script next to this interpreter."""
    candidate = Path(sys.executable).with_name("csi")
    return str(candidate) if candidate.exists() else shutil.which("csi") or "csi"


@pytest.fixture
def cli(transactional_db: Any) -> Callable[..., subprocess.CompletedProcess[str]]:
    """cli("createuser", "x", ...) runs the real `csi` command in a subprocess against the test database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        user = settings_dict.get("USER") or ""
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        url = f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"

    def run(*args: str, input: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": url}
        result = subprocess.run(
            [csi_executable(), *args], capture_output=True, text=True, env=env, input=input, timeout=600
        )
        if check and result.returncode != 0:
            raise AssertionError(f"csi {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    run.database_url = url  # type: ignore[attr-defined]  # for tests that start `csi` themselves
    return run


def pytest_report_header(config: Any) -> str:
    url = os.environ.get("DATABASE_URL", "")
    engine = url.split(":", 1)[0] if url else "sqlite (default)"
    return f"csi: database {engine}; CSI_DATA_DIR {os.environ['CSI_DATA_DIR']}"


# Fixtures through which a test reaches the test database (pytest-django refuses database access to any
# test that has neither these nor the django_db mark).
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that use the test database (for a second database engine: the others "
        "cannot touch it, so they would run exactly as on the first).",
    )


def uses_database(item: Any) -> bool:
    """Whether pytest-django lets the test reach the test database."""
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    kept = [item for item in items if uses_database(item)]
    left = [item for item in items if not uses_database(item)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
