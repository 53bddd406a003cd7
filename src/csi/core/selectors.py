"""Reads of the shared kernel, each restricted by permission."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from csi.core.models import AuditEvent
from csi.core.permissions import require


def audit_event_list(
    *,
    actor: Any,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since_date: date | None = None,
    until_date: date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events, newest first, filtered. Only administrators may read the trail.

    `since_date` and `until_date` are inclusive calendar dates in the site's time zone.
    """
    require(actor, "core.view_auditevent")
    events = AuditEvent.objects.select_related("actor")
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    tz = timezone.get_current_timezone()
    if since_date is not None:
        events = events.filter(created_at__gte=datetime.combine(since_date, time.min, tzinfo=tz))
    if until_date is not None:
        events = events.filter(created_at__lte=datetime.combine(until_date, time.max, tzinfo=tz))
    return events


def audit_object_types(*, actor: Any) -> list[str]:
    """The distinct object types that appear in the trail, for filter choices."""
    require(actor, "core.view_auditevent")
    return list(AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct())
