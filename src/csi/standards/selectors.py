"""Reads of calendars and standards; everybody signed in may read them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from csi.core.permissions import require
from csi.standards.models import Calendar, ServiceHours, ServiceStandard, StandardVersion


def _latest_first() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=StandardVersion.objects.select_related("calendar").order_by("-effective_at", "-number"),
    )


def standard_list(
    *,
    actor: Any,
    service_key: str | None = None,
    kind: str | None = None,
    metric: str | None = None,
    search: str | None = None,
) -> QuerySet[ServiceStandard]:
    """Standards across services, each with its versions prefetched (latest first)."""
    require(actor, "standards.view_standards")
    standards = ServiceStandard.objects.select_related("service", "package").prefetch_related(_latest_first())
    if service_key:
        standards = standards.filter(service__key=service_key)
    if kind:
        standards = standards.filter(kind=kind)
    if metric:
        standards = standards.filter(versions__metric=metric).distinct()
    if search:
        standards = standards.filter(
            Q(name__icontains=search) | Q(key__icontains=search) | Q(service__name__icontains=search)
        )
    return standards.order_by("service__name", "name")


def standard_get(*, actor: Any, key: str) -> ServiceStandard:
    require(actor, "standards.view_standards")
    return (
        ServiceStandard.objects.select_related("service", "package")
        .prefetch_related(_latest_first())
        .get(key=key)
    )


def latest_version(standard: ServiceStandard) -> StandardVersion | None:
    """The newest version, from the prefetched versions when present."""
    versions = list(standard.versions.all())
    return versions[0] if versions else None


def calendar_list(*, actor: Any) -> QuerySet[Calendar]:
    require(actor, "standards.view_standards")
    return Calendar.objects.prefetch_related("periods", "holidays").order_by("name")


def calendar_get(*, actor: Any, key: str) -> Calendar:
    require(actor, "standards.view_standards")
    return Calendar.objects.prefetch_related("periods", "holidays").get(key=key)


def service_hours(*, actor: Any, service: Any) -> ServiceHours | None:
    """The calendar of a service's hours, or None (around the clock)."""
    require(actor, "standards.view_standards")
    return ServiceHours.objects.select_related("calendar").filter(service=service).first()
