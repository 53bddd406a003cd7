"""API schemas of the shared kernel."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from csi.api.schemas import IsoDate


class HealthOut(Schema):
    status: str
    version: str
    database: str


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor: str = Field(alias="actor_label")
    verb: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str


class AuditEventFilter(Schema):
    actor_id: int | None = Field(None, ge=1, le=2**62)
    object_type: str | None = Field(None, max_length=100)
    object_id: str | None = Field(None, max_length=64)
    since_date: IsoDate | None = None
    until_date: IsoDate | None = None


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    verb: str
    scope: str
    created_at: datetime
    read_at: datetime | None


class NotificationFilter(Schema):
    unread: bool = Field(False, description="Only notifications not yet read.")


class NotificationsReadOut(Schema):
    marked_read: int = Field(description="How many notifications were unread and are now read.")
