"""Every write to calendars and service standards: permission-checked, validated, one transaction, audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from csi.core.bounds import check_year
from csi.core.errors import ConflictError
from csi.core.permissions import require
from csi.core.services import audit_record, model_create, model_delete, model_update, refuse_nulls, snapshot
from csi.standards.models import (
    Calendar,
    Holiday,
    ServiceHours,
    ServiceStandard,
    StandardVersion,
    WorkingPeriod,
)

STANDARD_FIELDS = {"key", "name", "kind", "package", "counterparty", "source"}
VERSION_FIELDS = {
    "metric",
    "custom_metric",
    "scope",
    "comparator",
    "threshold",
    "threshold_unit",
    "target_percent",
    "window_kind",
    "window_days",
    "calendar_period",
    "window_count",
    "window_start_date",
    "window_time_zone",
    "calendar",
    "pause_states",
    "warning_percent",
    "benchmark_value",
    "benchmark_source",
    "budgeting_method",
    "spec",
}


def _calendar_state(calendar: Calendar) -> dict[str, Any]:
    state = snapshot(calendar, ["key", "name", "time_zone", "always_open"])
    state["periods"] = [
        [p.weekday, p.start_time.strftime("%H:%M"), p.end_time.strftime("%H:%M")]
        for p in calendar.periods.all()
    ]
    state["holidays"] = [[h.date.isoformat(), h.name] for h in calendar.holidays.all()]
    return state


def _set_hours(
    calendar: Calendar, periods: list[tuple[int, time, time]], holidays: list[tuple[date, str]]
) -> None:
    calendar.periods.all().delete()
    calendar.holidays.all().delete()
    for index, (weekday, start, end) in enumerate(periods):
        period = WorkingPeriod(calendar=calendar, weekday=weekday, start_time=start, end_time=end)
        try:
            period.full_clean()
        except ValidationError as exc:
            raise ValidationError({f"periods.{index}": exc.messages}) from exc
        period.save()
    seen: set[date] = set()
    for index, (day, name) in enumerate(holidays):
        if day in seen:
            raise ValidationError({f"holidays.{index}": f"{day} is listed twice."})
        seen.add(day)
        holiday = Holiday(calendar=calendar, date=day, name=name)
        try:
            holiday.full_clean()
        except ValidationError as exc:
            raise ValidationError({f"holidays.{index}": exc.messages}) from exc
        holiday.save()


@transaction.atomic
def calendar_create(
    *,
    actor: Any,
    data: dict[str, Any],
    periods: Sequence[tuple[int, time, time]] = (),
    holidays: Sequence[tuple[date, str]] = (),
) -> Calendar:
    """Create a calendar with its weekly periods and holidays; catalog managers."""
    require(actor, "standards.manage_calendars")
    calendar = Calendar(**data)
    if Calendar.objects.filter(key=calendar.key).exists():
        raise ConflictError(f"A calendar with the key '{calendar.key}' exists already.", field="key")
    calendar.full_clean()
    calendar.save()
    _set_hours(calendar, list(periods), list(holidays))
    audit_record(actor=actor, verb="create", obj=calendar, after=_calendar_state(calendar))
    return calendar


@transaction.atomic
def calendar_update(
    *,
    actor: Any,
    calendar: Calendar,
    data: dict[str, Any],
    periods: list[tuple[int, time, time]] | None = None,
    holidays: list[tuple[date, str]] | None = None,
) -> Calendar:
    """Change a calendar; `periods` and `holidays`, when given, replace the existing ones. Standards
    that use the calendar judge time by it from then on (their versions keep naming it)."""
    require(actor, "standards.manage_calendars")
    before = _calendar_state(calendar)
    for name, value in data.items():
        setattr(calendar, name, value)
    calendar.full_clean()
    calendar.save()
    if periods is not None or holidays is not None:
        _set_hours(
            calendar,
            list(periods)
            if periods is not None
            else [(p.weekday, p.start_time, p.end_time) for p in calendar.periods.all()],
            list(holidays) if holidays is not None else [(h.date, h.name) for h in calendar.holidays.all()],
        )
    after = _calendar_state(calendar)
    if after != before:
        audit_record(actor=actor, verb="update", obj=calendar, before=before, after=after)
    return calendar


@transaction.atomic
def calendar_delete(*, actor: Any, calendar: Calendar) -> None:
    require(actor, "standards.manage_calendars")
    try:
        model_delete(actor=actor, instance=calendar)
    except ProtectedError as exc:
        raise ConflictError("Standards use this calendar; point them at another calendar first.") from exc


def _check(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def _check_effective(effective_at: datetime) -> None:
    """A version takes effect in the sane years and at most CSI_STANDARD_HORIZON_DAYS from now: a target
    for the year 9999 is a typo, and it would stand as the standard's future for ever."""
    check_year(effective_at, field="effective_at")
    horizon = settings.CSI_STANDARD_HORIZON_DAYS
    if effective_at > timezone.now() + timedelta(days=horizon):
        raise ValidationError(
            {
                "effective_at": f"A version can take effect at most {horizon:,} days "
                f"({horizon / 365.25:.0f} years) from now."
            }
        )


def _new_version(
    *,
    actor: Any,
    standard: ServiceStandard,
    data: dict[str, Any],
    effective_at: datetime,
    note: str,
    number: int,
) -> StandardVersion:
    _check_effective(effective_at)
    version = StandardVersion(
        standard=standard,
        number=number,
        effective_at=effective_at,
        change_note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
        **data,
    )
    version.full_clean(exclude=["standard"])
    version.save()
    audit_record(
        actor=actor,
        verb="create",
        obj=version,
        scope=standard.service,
        after=snapshot(
            version,
            [
                "number",
                "effective_at",
                *sorted(f if f != "calendar" else "calendar_id" for f in VERSION_FIELDS),
                "change_note",
            ],
        ),
    )
    return version


@transaction.atomic
def standard_create(
    *,
    actor: Any,
    service: Any,
    data: dict[str, Any],
    version: dict[str, Any],
    effective_at: datetime | None = None,
) -> ServiceStandard:
    """Create a standard for a service with its first version (in force from `effective_at`, default
    now). Whoever may change the service may add its standards."""
    require(actor, "catalog.change_service", service)
    _check(data, STANDARD_FIELDS)
    _check(version, VERSION_FIELDS)
    package = data.get("package")
    if package is not None and package.service_id != service.pk:
        raise ValidationError({"package": "The package belongs to another service."})
    standard = model_create(
        actor=actor, model=ServiceStandard, data={**data, "service": service}, scope=service
    )
    _new_version(
        actor=actor,
        standard=standard,
        data=version,
        effective_at=effective_at or timezone.now(),
        note="",
        number=1,
    )
    return standard


@transaction.atomic
def standard_update(*, actor: Any, standard: ServiceStandard, data: dict[str, Any]) -> ServiceStandard:
    """Change what is not versioned: name, kind, package, counterparty (and, for catalog managers, key)."""
    require(actor, "standards.change_standard", standard)
    _check(data, STANDARD_FIELDS)
    package = data.get("package")
    if package is not None and package.service_id != standard.service_id:
        raise ValidationError({"package": "The package belongs to another service."})
    return model_update(actor=actor, instance=standard, data=data, scope=standard.service)


@transaction.atomic
def standard_revise(
    *,
    actor: Any,
    standard: ServiceStandard,
    changes: dict[str, Any],
    effective_at: datetime | None = None,
    note: str = "",
) -> StandardVersion:
    """Make a new version: the current version's definition with `changes` applied, in force from
    `effective_at` (default now, never before the current version's). Past periods keep being judged
    by the versions in force then. Changing nothing makes no version (409)."""
    require(actor, "standards.change_standard", standard)
    _check(changes, VERSION_FIELDS)
    refuse_nulls(StandardVersion(), changes)
    current = (
        StandardVersion.objects.select_for_update().filter(standard=standard).order_by("-number").first()
    )
    if current is None:
        raise ConflictError("The standard has no version to revise.")
    effective_at = effective_at or timezone.now()
    if effective_at < current.effective_at:
        raise ValidationError(
            {
                "effective_at": f"A new version cannot take effect before the current one ({current.effective_at:%Y-%m-%d %H:%M})."
            }
        )
    base = {name: getattr(current, name) for name in VERSION_FIELDS}
    merged = {**base, **changes}
    if merged == base:
        raise ConflictError("Nothing changed: a new version needs at least one different value.")
    return _new_version(
        actor=actor,
        standard=standard,
        data=merged,
        effective_at=effective_at,
        note=note,
        number=current.number + 1,
    )


@transaction.atomic
def standard_version_withdraw(*, actor: Any, standard: ServiceStandard, number: int) -> None:
    """Withdraw version `number` of the standard before it takes effect: it is deleted and audited
    ("withdraw", with what it was). A version in force (or in force in the past) is never withdrawn
    (409): periods are judged by it; revise instead. Whoever may change the standard."""
    require(actor, "standards.change_standard", standard)
    version = StandardVersion.objects.select_for_update().filter(standard=standard, number=number).first()
    if version is None:
        raise StandardVersion.DoesNotExist(f"The standard has no version {number}.")
    if version.effective_at <= timezone.now():
        raise ConflictError(
            f"Version {number} has been in force since {version.effective_at:%Y-%m-%d %H:%M}; only a "
            "version not yet in force can be withdrawn. Revise the standard instead.",
            field="number",
        )
    before = snapshot(version, ["number", "effective_at", "change_note"])
    audit_record(actor=actor, verb="withdraw", obj=version, scope=standard.service, before=before)
    version.delete()


@transaction.atomic
def standard_delete(*, actor: Any, standard: ServiceStandard) -> None:
    require(actor, "standards.change_standard", standard)
    try:
        model_delete(actor=actor, instance=standard, scope=standard.service)
    except ProtectedError as exc:
        raise ConflictError(
            "Initiatives' objectives measure this standard as their KPI; change those objectives first "
            "(or retire the standard by revising it)."
        ) from exc


@transaction.atomic
def service_hours_set(*, actor: Any, service: Any, calendar: Calendar | None) -> ServiceHours | None:
    """Set (or, with None, clear) the calendar of a service's hours; whoever may change the service."""
    require(actor, "catalog.change_service", service)
    current = ServiceHours.objects.filter(service=service).first()
    if calendar is None:
        if current is not None:
            model_delete(actor=actor, instance=current, scope=service)
        return None
    if current is None:
        return model_create(
            actor=actor, model=ServiceHours, data={"service": service, "calendar": calendar}, scope=service
        )
    return model_update(actor=actor, instance=current, data={"calendar": calendar}, scope=service)
