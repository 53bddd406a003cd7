from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from csi.catalog.tests.conftest import owner, service  # noqa: F401 - shared fixtures
from csi.core.permissions import SystemActor
from csi.measures import services
from csi.measures.importer import ImportResult, import_file
from csi.measures.models import DataSource, MappingProfile

SERVICENOW_ZIP = Path(settings.SHARED_DATA_DIR) / "servicenow-incident-event-log" / "incident_event_log.zip"
needs_servicenow = pytest.mark.skipif(
    not SERVICENOW_ZIP.exists(),
    reason="needs ../shared/data/servicenow-incident-event-log (set CSI_SHARED_DATA)",
)
CLI = SystemActor("test")


@pytest.fixture
def make_source(db: Any) -> Callable[..., DataSource]:
    def make(key: str = "desk", profile: str = "csi-event-log", time_zone: str = "UTC") -> DataSource:
        return services.source_create(
            actor=CLI, key=key, name=key, profile=MappingProfile.objects.get(key=profile), time_zone=time_zone
        )

    return make


@pytest.fixture
def import_bytes(tmp_path: Path) -> Callable[..., ImportResult]:
    """import_bytes(source, b"...", name="x.csv", max_rejects=0, dry_run=False) writes and imports a file."""

    def run(source: DataSource, content: bytes, name: str = "export.csv", **options: Any) -> ImportResult:
        path = tmp_path / name
        path.write_bytes(content)
        return import_file(actor=CLI, source=source, path=path, **options)

    return run


def kill_an_import(cli: Any, folder: Path, *options: str) -> Path:
    """Start `csi measures import` of a 3 million record file as a subprocess and SIGKILL it as soon as
    it writes into the store; returns the store's root."""
    from csi.core.pytest_plugin import csi_executable

    big = folder / "big.csv"
    with big.open("w") as out:
        out.write("ticket_id,event_at,state\n")
        rows = "".join(f"T{i},2024-01-01T10:00:00Z,New\n" for i in range(10_000))
        for _ in range(300):
            out.write(rows)
    env = {**os.environ, "DATABASE_URL": cli.database_url}
    process = subprocess.Popen([csi_executable(), "measures", "import", str(big), *options], env=env)
    root = Path(os.environ["CSI_DATA_DIR"]) / "measures"
    deadline = time.time() + 60
    while time.time() < deadline and not any(root.glob("source=*/.tmp-batch=*")):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return root
