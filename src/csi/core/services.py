"""Writes of the shared kernel. `audit_record` is the one door every other app's writes go through."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from csi.core.middleware import current_request_id
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor

Actor = AbstractBaseUser | AnonymousUser | SystemActor | None


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of the instance's concrete field values, for an audit event's before/after.

    Foreign keys are stored as their id; dates, decimals and UUIDs as strings.
    """
    names = list(fields) if fields is not None else [f.attname for f in instance._meta.concrete_fields]
    raw = {name: getattr(instance, name) for name in names}
    result: dict[str, Any] = json.loads(json.dumps(raw, cls=DjangoJSONEncoder))
    return result


@transaction.atomic
def audit_record(
    *,
    actor: Actor,
    verb: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event and return it.

    The object is named by `obj` (its app_label.model, pk and str are taken) or by `object_type`,
    `object_id` and `object_repr`. The request id of the current request, if any, is attached, so all
    events of one request can be found together. Runs inside the caller's transaction: if the write
    it describes rolls back, so does the event.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    if not object_type:
        raise ValueError("audit_record needs obj or object_type")
    if isinstance(actor, SystemActor):
        user, label = None, actor.label
    elif actor is not None and actor.is_authenticated:
        user, label = cast(Any, actor), actor.get_username()
    else:
        user, label = None, ""
    event = AuditEvent(
        actor=user,
        actor_label=label,
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        before=before,
        after=after,
        request_id=current_request_id() or "",
    )
    event.save()
    return event
