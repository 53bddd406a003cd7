"""API endpoints of the shared kernel: health and the audit trail."""

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

import csi
from csi.api.errors import ERROR_RESPONSES, ErrorOut, error_payload
from csi.api.pagination import Pagination
from csi.core import selectors
from csi.core.schemas import AuditEventFilter, AuditEventOut, HealthOut

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
