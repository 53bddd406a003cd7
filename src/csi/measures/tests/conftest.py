from __future__ import annotations

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
