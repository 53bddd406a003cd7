"""The attainment benchmark compares like with like: its hand-written DuckDB SQL baseline
(benchmarks/baselines.py) gives exactly the per-version and per-day counts of the real implementation
(`csi.analytics.engine.source_tables` + `csi.analytics.attainment.attainment`) on the demo standards.

The pandas baseline is checked the same way inside the benchmark run (pandas is only in the bench extra).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest
from django.conf import settings

from csi.analytics.attainment import attainment
from csi.analytics.engine import source_tables, ticket_rules, version_targets
from csi.catalog.imports import catalog_import
from csi.catalog.models import Service
from csi.core.permissions import SystemActor
from csi.measures import services as measures_services
from csi.measures import store
from csi.measures.generate import PRIORITIES, generate_event_log
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile
from csi.standards.imports.engine import standards_import
from csi.standards.models import StandardVersion

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("test")
DEMO = Path(__file__).resolve().parents[1] / "src" / "csi" / "demo" / "data"
SERVICENOW_ZIP = Path(settings.SHARED_DATA_DIR) / "servicenow-incident-event-log" / "incident_event_log.zip"


def _baselines() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "baselines.py"
    spec = importlib.util.spec_from_file_location("csi_bench_baselines", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


baselines = _baselines()


def _demo_source(path: Path, key: str, profile: str) -> Any:
    """The demo catalog and standards, a source whose rule maps every priority to the service desk, and
    `path` imported into it."""
    catalog_import(actor=SYSTEM, paths=[DEMO / "catalog.yaml"])
    standards_import(actor=SYSTEM, paths=[DEMO / "standards.yaml"])
    source = measures_services.source_create(
        actor=SYSTEM,
        key=key,
        name=key,
        profile=MappingProfile.objects.get(key=profile),
        time_zone="Europe/Brussels",
    )
    measures_services.rule_create(
        actor=SYSTEM,
        source=source,
        data={"service": Service.objects.get(key="service-desk"), "field": "priority", "values": PRIORITIES},
    )
    result = import_file(actor=SYSTEM, source=source, path=path)
    assert result.status == "committed", result.message
    return source


def _both(source: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """(real rows, SQL baseline rows, targets) for the source's tickets and the service desk's standards."""
    targets = version_targets({"service-desk"})
    tables = source_tables(actor=SYSTEM, source=source)
    try:
        ours = attainment(tables.con, tables.events, tables.facts, tables.services, targets).days
    finally:
        tables.con.disconnect()
    batch = source.batches.get(status="committed")
    spec = baselines.Spec(
        paths=(str(store.batch_dir(source.pk, batch.pk) / "events.parquet"),),
        targets=tuple(targets),
        rules=ticket_rules(source),
        service_rules=(("priority", PRIORITIES),),
    )
    con = duckdb.connect()
    try:
        theirs = baselines.sql_attainment(con, spec)
    finally:
        con.close()
    return ours, theirs, targets


def test_sql_baseline_equals_attainment_on_a_generated_log(tmp_path: Path) -> None:
    # Four months of 2016: the demo holidays (Easter Monday), the spring DST change and the second version
    # of desk-p2-resolution (in force from 2016-04-01) all fall inside the log.
    path = tmp_path / "events.csv"
    generate_event_log(path, tickets=3000, seed=7, start=datetime(2016, 1, 1, tzinfo=UTC), days=120)
    source = _demo_source(path, "generated", "csi-event-log")

    ours, theirs, targets = _both(source)

    assert baselines.normalised(theirs) == baselines.normalised(ours)
    assert baselines.totals(theirs) == baselines.totals(ours)
    totals = baselines.totals(ours)
    # Not vacuous: every response and resolution version counted tickets, with breaches and near-breaches.
    assert len(targets) == 10 and set(totals) == {t.version_id for t in targets}
    assert all(tickets > 0 for tickets, _, _ in totals.values())
    assert sum(tickets - met for tickets, met, _ in totals.values()) > 100
    assert sum(near for _, _, near in totals.values()) > 100
    p2 = StandardVersion.objects.filter(standard__key="desk-p2-resolution").order_by("effective_at")
    assert [totals[v.pk][0] > 0 for v in p2] == [True, True]


def test_sql_baseline_equals_attainment_on_the_servicenow_log() -> None:
    if not SERVICENOW_ZIP.is_file():  # as the other tests on the real log (the generated one always runs)
        pytest.skip("needs ../shared/data/servicenow-incident-event-log (set CSI_SHARED_DATA)")
    source = _demo_source(SERVICENOW_ZIP, "servicenow", "servicenow-incident-event-log")

    ours, theirs, _ = _both(source)

    assert baselines.normalised(theirs) == baselines.normalised(ours)
    assert sum(tickets for tickets, _, _ in baselines.totals(ours).values()) > 20_000
