"""Reads of the shared kernel, each restricted by permission."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from csi.core.models import AuditEvent, Notification
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


def audit_actors(*, actor: Any) -> list[tuple[int, str]]:
    """The people who appear in the trail as (user id, username), by username, for filter choices.

    One query over the users with an indexed probe of the trail for each, so its cost follows the
    number of users, not the number of events (a DISTINCT over the trail read every event)."""
    require(actor, "core.view_auditevent")
    users = get_user_model().objects.filter(Exists(AuditEvent.objects.filter(actor_id=OuterRef("pk"))))
    return [(pk, str(name)) for pk, name in users.order_by("username").values_list("pk", "username")]


def audit_object_types(*, actor: Any) -> list[str]:
    """The distinct object types that appear in the trail, for filter choices."""
    require(actor, "core.view_auditevent")
    return list(AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct())


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "pk", None) is not None)


def notifications_for(*, actor: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The actor's own notifications, newest first (only unread ones when asked). Nobody reads
    another user's; an anonymous actor gets PermissionDenied."""
    if not _signed_in(actor):
        raise PermissionDenied("Sign in to see your notifications.")
    notifications = Notification.objects.filter(recipient_id=actor.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_get(*, actor: Any, notification_id: int) -> Notification:
    """One of the actor's own notifications. Someone else's raises Notification.DoesNotExist, like a
    missing one, so ids of other people's notifications are not disclosed."""
    return notifications_for(actor=actor).get(pk=notification_id)


def unread_count(user: Any) -> int:
    """How many unread notifications the user has; 0 for an anonymous user (for the navigation)."""
    if not _signed_in(user):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
