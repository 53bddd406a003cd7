"""Availability from metric samples and CSAT from survey answers, end to end: import, map, roll up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from csi.analytics import selectors
from csi.analytics.services import rollups_refresh
from csi.catalog.tests.conftest import owner, service  # noqa: F401 - shared fixtures
from csi.core.permissions import SystemActor
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile
from csi.standards import services as standards_services

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test")

SAMPLES = (
    "metric,sampled_at,value,good,total,configuration_item\n"
    "availability,2024-01-01T00:00:00Z,,999,1000,mail-01\n"  # a day of request counts
    "availability,2024-01-02T00:00:00Z,1,,,mail-01\n"  # then four probe results: up, up, down, up
    "availability,2024-01-02T00:05:00Z,1,,,mail-01\n"
    "availability,2024-01-02T00:10:00Z,0,,,mail-01\n"
    "availability,2024-01-02T00:15:00Z,1,,,mail-01\n"
    "availability,2024-01-02T00:20:00Z,0,,,other-host\n"  # not the service's
    "latency,2024-01-02T00:20:00Z,0,,,mail-01\n"  # not availability
    "availability,2024-02-01T00:00:00Z,,1000,1000,mail-01\n"
)
ANSWERS = (
    "answered_at,score,ticket_id,category\n"
    "2024-01-03T10:00:00Z,5,T1,Email\n"
    "2024-01-04T10:00:00Z,4,T2,Email\n"
    "2024-01-05T10:00:00Z,3,T3,Email\n"
    "2024-01-06T10:00:00Z,2,T4,Email\n"
    "2024-01-07T10:00:00Z,5,T5,Email\n"
    "2024-01-07T11:00:00Z,1,T6,Network\n"
)


def _standard(owner, service, key, metric, threshold, unit, target):  # noqa: F811
    standards_services.standard_create(
        actor=owner,
        service=service,
        data={"key": key, "name": key, "kind": "sla"},
        version={
            "metric": metric,
            "comparator": "gte",
            "threshold": threshold,
            "threshold_unit": unit,
            "target_percent": target,
            "window_kind": "calendar",
            "calendar_period": "month",
            "window_time_zone": "UTC",
        },
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


def _source(key, profile, text, tmp_path: Path):
    source = measures_services.source_create(
        actor=ACTOR, key=key, name=key, profile=MappingProfile.objects.get(key=profile)
    )
    path = tmp_path / f"{key}.csv"
    path.write_text(text)
    assert import_file(actor=ACTOR, source=source, path=path).status == "committed"
    return source


def test_availability_and_csat_are_measured_per_period(owner, service, tmp_path):  # noqa: F811
    _standard(owner, service, "email-availability", "availability", "99.9", "percent", "100")
    _standard(owner, service, "email-csat", "csat", "4", "score", "80")
    samples = _source("probes", "csi-metric-samples", SAMPLES, tmp_path)
    answers = _source("survey", "csi-survey-answers", ANSWERS, tmp_path)
    measures_services.rule_create(
        actor=ACTOR,
        source=samples,
        data={"service": service, "field": "configuration_item", "values": ["mail-01"]},
    )
    measures_services.rule_create(
        actor=ACTOR, source=answers, data={"service": service, "field": "category", "values": ["Email"]}
    )
    rollups_refresh()
    rows = {
        (r.standard, r.period_start.isoformat()): r
        for r in selectors.attainment_table(actor=ACTOR, service_key=service.key)
    }
    january = rows[("email-availability", "2024-01-01")]
    # 999 good of 1000 requests, then 3 good of 4 probes: 1002 of 1004 = 99.80 %, below the 99.9 % threshold
    assert (january.tickets, january.met, january.target_percent, january.status) == (1004, 1002, 99.9, "red")
    assert january.attainment_percent == pytest.approx(99.8008, abs=1e-4)
    february = rows[("email-availability", "2024-02-01")]
    assert (february.attainment_percent, february.status) == (100.0, "green")
    csat = rows[("email-csat", "2024-01-01")]
    # scores 5, 4, 3, 2, 5 about Email: 3 of 5 satisfied (4 or more) = 60 %, below the 80 % target
    assert (csat.tickets, csat.met, csat.attainment_percent, csat.status) == (5, 3, 60.0, "red")


def test_samples_are_mapped_by_configuration_item_only(service, tmp_path):  # noqa: F811
    samples = _source("probes", "csi-metric-samples", SAMPLES, tmp_path)
    for data in (
        {"service": service, "expression": 'category == "x"'},
        {"service": service, "field": "category", "values": ["x"]},
    ):
        with pytest.raises(ValidationError) as error:
            measures_services.rule_create(actor=ACTOR, source=samples, data=data)
        assert "mapped by configuration item" in str(error.value)
    assert not samples.rules.exists()
