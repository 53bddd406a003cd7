"""API endpoints of the shared kernel: health, the audit trail and the signed-in user's notifications."""

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

import csi
from csi.api.errors import ERROR_RESPONSES, ErrorOut, error_payload
from csi.api.pagination import MAX_ID, Pagination
from csi.core import selectors, services
from csi.core.schemas import (
    AuditEventFilter,
    AuditEventOut,
    HealthOut,
    NotificationFilter,
    NotificationOut,
    NotificationsReadOut,
)

router = Router(tags=["system"])


@router.get("/health", auth=None, response={200: HealthOut, 503: ErrorOut}, summary="Health check")
def health(request: HttpRequest):
    """Answers 200 when the server can reach its database, 503 when it cannot. No sign-in needed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return Status(503, error_payload(503, "The database cannot be reached."))
    return {"status": "ok", "version": csi.__version__, "database": connection.vendor}


@router.get(
    "/audit-events",
    response={200: list[AuditEventOut], **ERROR_RESPONSES},
    tags=["audit"],
    summary="List audit events",
)
@paginate(Pagination)
def audit_events(request: HttpRequest, filters: Query[AuditEventFilter]):
    """The audit trail, newest first. Administrators only."""
    return selectors.audit_event_list(actor=request.user, **filters.dict())


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **ERROR_RESPONSES},
    tags=["notifications"],
    summary="List my notifications",
)
@paginate(Pagination)
def notification_list(request: HttpRequest, filters: Query[NotificationFilter]):
    """The signed-in user's notifications, newest first; `unread=true` for the unread ones only."""
    return selectors.notifications_for(actor=request.user, unread_only=filters.unread)


@router.post(
    "/notifications/read-all",
    response={200: NotificationsReadOut, **ERROR_RESPONSES},
    tags=["notifications"],
    summary="Mark all my notifications read",
)
def notifications_read_all(request: HttpRequest):
    return {"marked_read": services.notifications_mark_all_read(actor=request.user)}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **ERROR_RESPONSES},
    tags=["notifications"],
    summary="Mark a notification read",
)
def notification_read(request: HttpRequest, notification_id: int = Path(..., ge=1, le=MAX_ID)):
    """Mark one of your notifications read. Another user's answers 404, like a missing one."""
    notification = selectors.notification_get(actor=request.user, notification_id=notification_id)
    return services.notification_mark_read(actor=request.user, notification=notification)
