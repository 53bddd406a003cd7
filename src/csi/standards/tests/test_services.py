from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.models import AuditEvent
from csi.standards import services
from csi.standards.business_time import business_seconds, calendar_spec
from csi.standards.models import Calendar, ServiceStandard, StandardVersion

pytestmark = pytest.mark.django_db

RESOLUTION = {
    "metric": "resolution_time",
    "threshold": "8",
    "threshold_unit": "hours",
    "target_percent": "95",
    "window_kind": "calendar",
    "calendar_period": "month",
    "window_time_zone": "Europe/Paris",
    "scope": {"priority": ["2 - High"]},
    "pause_states": ["Awaiting User Info"],
}


@pytest.fixture
def office(strategist):
    return services.calendar_create(
        actor=strategist,
        data={"key": "office", "name": "Office hours", "time_zone": "Europe/Paris"},
        periods=[(d, time(9), time(17)) for d in range(5)],
        holidays=[(date(2026, 12, 25), "Christmas")],
    )


def test_calendar_drives_business_time(office):
    spec = calendar_spec(Calendar.objects.get(pk=office.pk))
    paris = spec.tz
    assert (
        business_seconds(
            spec, datetime(2026, 12, 24, 16, tzinfo=paris), datetime(2026, 12, 28, 10, tzinfo=paris)
        )
        == 7200
    )


def test_calendar_validation(strategist, owner, office):
    with pytest.raises(PermissionDenied):
        services.calendar_create(actor=owner, data={"key": "mine", "name": "Mine"})
    with pytest.raises(ValidationError, match="time zone"):
        services.calendar_create(
            actor=strategist, data={"key": "x", "name": "X", "time_zone": "Mars/Olympus"}
        )
    with pytest.raises(ValidationError) as info:
        services.calendar_create(
            actor=strategist, data={"key": "y", "name": "Y"}, periods=[(0, time(17), time(9))]
        )
    assert "periods.0" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.calendar_create(
            actor=strategist,
            data={"key": "z", "name": "Z"},
            periods=[(0, time(9), time(12)), (0, time(11), time(14))],
        )
    assert "periods.1" in info.value.message_dict
    with pytest.raises(ConflictError):
        services.calendar_create(actor=strategist, data={"key": "office", "name": "Again"})
    assert Calendar.objects.count() == 1


def test_standard_versions_judge_their_own_periods(owner, service, office):
    jan = datetime(2026, 1, 1, tzinfo=UTC)
    standard = services.standard_create(
        actor=owner,
        service=service,
        data={"key": "email-p2-resolution", "name": "P2 resolved in 8 h", "kind": "sla"},
        version={**RESOLUTION, "calendar": office},
        effective_at=jan,
    )
    v2 = services.standard_revise(
        actor=owner,
        standard=standard,
        changes={"threshold": "6"},
        effective_at=datetime(2026, 7, 1, tzinfo=UTC),
        note="Customers asked for faster fixes",
    )
    assert v2.number == 2 and v2.calendar == office and v2.pause_states == ["Awaiting User Info"]
    assert standard.version_at(datetime(2026, 3, 15, tzinfo=UTC)).threshold == 8
    assert standard.version_at(datetime(2026, 8, 15, tzinfo=UTC)).threshold == 6
    assert standard.version_at(datetime(2025, 12, 1, tzinfo=UTC)) is None
    with pytest.raises(ValidationError, match="before the current one"):
        services.standard_revise(actor=owner, standard=standard, changes={"threshold": "4"}, effective_at=jan)
    with pytest.raises(ConflictError, match="Nothing changed"):
        services.standard_revise(actor=owner, standard=standard, changes={"threshold": v2.threshold})
    assert StandardVersion.objects.count() == 2
    events = AuditEvent.objects.filter(
        scope=f"catalog.service:{service.pk}", object_type="standards.standardversion"
    )
    assert events.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "custom"}, "custom_metric"),
        ({"window_kind": "rolling", "calendar_period": ""}, "window_days"),
        ({"target_percent": "101"}, "target_percent"),
        ({"window_time_zone": "Nowhere/Land"}, "window_time_zone"),
        ({"scope": {"colour": ["red"]}}, "scope"),
        ({"pause_states": "Awaiting"}, "pause_states"),
        ({"threshold": "-1"}, "threshold"),
    ],
)
def test_invalid_versions_store_nothing(owner, service, changes, field):
    before = (ServiceStandard.objects.count(), StandardVersion.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        services.standard_create(
            actor=owner,
            service=service,
            data={"key": "bad", "name": "Bad"},
            version={**RESOLUTION, **changes},
        )
    assert field in info.value.message_dict
    assert (
        ServiceStandard.objects.count(),
        StandardVersion.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_only_owner_or_managers_change_standards(owner, viewer, service, make_user):
    standard = services.standard_create(
        actor=owner, service=service, data={"key": "s1", "name": "S1"}, version=RESOLUTION
    )
    with pytest.raises(PermissionDenied):
        services.standard_revise(actor=viewer, standard=standard, changes={"threshold": "1"})
    with pytest.raises(PermissionDenied):
        services.standard_create(
            actor=make_user(roles=["service-owner"]),
            service=service,
            data={"key": "s2", "name": "S2"},
            version=RESOLUTION,
        )
    with pytest.raises(ConflictError):
        services.standard_create(
            actor=owner, service=service, data={"key": "s1", "name": "Dup"}, version=RESOLUTION
        )


def test_calendar_in_use_cannot_be_deleted(owner, strategist, service, office):
    services.standard_create(
        actor=owner,
        service=service,
        data={"key": "s1", "name": "S1"},
        version={**RESOLUTION, "calendar": office},
    )
    with pytest.raises(ConflictError, match="use this calendar"):
        services.calendar_delete(actor=strategist, calendar=office)
    assert Calendar.objects.filter(pk=office.pk).exists()
    assert timezone.now() - timedelta(minutes=1) < ServiceStandard.objects.get().versions.get().effective_at
