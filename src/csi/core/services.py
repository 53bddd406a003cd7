"""Writes of the shared kernel. `audit_record` is the one door every other app's writes go through;
`notify` is how they tell people about it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.middleware import current_request_id
from csi.core.models import AuditEvent, Notification
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
    scope: models.Model | str = "",
) -> AuditEvent:
    """Append one audit event and return it.

    The object is named by `obj` (its app_label.model, pk and str are taken) or by `object_type`,
    `object_id` and `object_repr`. The request id of the current request, if any, is attached, so all
    events of one request can be found together. `scope` names the object whose history the event
    belongs to (a model instance or "app.model:pk"); it defaults to the object itself. Runs inside the
    caller's transaction: if the write it describes rolls back, so does the event.
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
        scope=scope_of(scope) if scope else f"{object_type}:{object_id}",
    )
    event.save()
    return event


def scope_of(obj: models.Model | str) -> str:
    """The audit scope string of an object: "app_label.model:pk"."""
    return obj if isinstance(obj, str) else f"{obj._meta.label_lower}:{obj.pk}"


M = TypeVar("M", bound=models.Model)


def _clean(instance: models.Model, exclude: Iterable[str] | None = None) -> None:
    """full_clean, with a duplicate reported as a ConflictError (409) rather than a validation error."""
    try:
        instance.full_clean(exclude=list(exclude) if exclude else None)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for error in errors:
                    if error.code in {"unique", "unique_together"}:
                        message = " ".join(error.messages)
                        raise ConflictError(message, field=None if field == "__all__" else field) from exc
        raise


def refuse_nulls(instance: models.Model, data: dict[str, Any]) -> None:
    """None for a field that cannot be null is a validation error (full_clean lets it through for a
    blank-able text field, and the database would then refuse it with an error)."""
    errors = {}
    for name, value in data.items():
        if value is None:
            try:
                field = instance._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not getattr(field, "null", True):
                errors[name] = "This field cannot be null; send an empty value instead."
    if errors:
        raise ValidationError(errors)


def model_create(*, actor: Actor, model: type[M], data: dict[str, Any], scope: models.Model | str = "") -> M:
    """Validate and save a new `model` from `data`, and audit it. Raises ValidationError or
    ConflictError (duplicate) with nothing stored. Permission checks are the caller's."""
    instance = model(**data)
    refuse_nulls(instance, data)
    _clean(instance)
    instance.save()
    audit_record(actor=actor, verb="create", obj=instance, after=snapshot(instance), scope=scope)
    return instance


def model_update(*, actor: Actor, instance: M, data: dict[str, Any], scope: models.Model | str = "") -> M:
    """Apply `data` to the instance, validate, save and audit the before/after values (no event when
    nothing changed). On a validation error the instance is restored and nothing is stored."""
    before = snapshot(instance)
    refuse_nulls(instance, data)
    for field, value in data.items():
        setattr(instance, field, value)
    try:
        _clean(instance)
    except (ValidationError, ConflictError):
        instance.refresh_from_db()
        raise
    after = snapshot(instance)
    if after != before:
        instance.save()
        audit_record(actor=actor, verb="update", obj=instance, before=before, after=after, scope=scope)
    return instance


def model_delete(*, actor: Actor, instance: models.Model, scope: models.Model | str = "") -> None:
    """Delete the instance and audit its last values."""
    before = snapshot(instance)
    object_type, object_id, object_repr = instance._meta.label_lower, str(instance.pk), str(instance)
    instance.delete()
    audit_record(
        actor=actor,
        verb="delete",
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        scope=scope or f"{object_type}:{object_id}",
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def notify(
    *,
    recipients: Iterable[Any],
    title: str,
    body: str = "",
    url: str = "",
    verb: str = "",
    scope: models.Model | str = "",
    exclude: Any = None,
) -> int:
    """Leave one unread notification for each distinct active recipient; return how many were made.

    None, unsaved and inactive users are skipped, and so is `exclude` (usually the actor: nobody is
    told about their own change). Runs inside the caller's transaction, so when the change that
    caused it rolls back, the notifications do too. Title and body are cut to their limits (they are
    often built from user text, and a long name must not fail the caller's write); a `url` that is not
    a link within this site, or a `verb` or `scope` that is too long, is a ValidationError and nothing
    is stored. `scope` is "app.model:pk" or a model instance. Not audited: the change that caused the
    notification is.
    """
    template = Notification(
        title=_clip(title, 300),
        body=_clip(body, 5000),
        url=url,
        verb=verb,
        scope=scope_of(scope) if scope else "",
    )
    template.full_clean(exclude=["recipient"])
    excluded_pk = getattr(exclude, "pk", None)
    seen: set[Any] = set()
    rows = []
    for user in recipients:
        pk = getattr(user, "pk", None)
        if pk is None or pk == excluded_pk or pk in seen or not getattr(user, "is_active", False):
            continue
        seen.add(pk)
        rows.append(
            Notification(
                recipient_id=pk,
                title=template.title,
                body=template.body,
                url=template.url,
                verb=template.verb,
                scope=template.scope,
            )
        )
    Notification.objects.bulk_create(rows)
    return len(rows)


def _require_signed_in(actor: Any) -> None:
    if actor is None or not actor.is_authenticated or getattr(actor, "pk", None) is None:
        raise PermissionDenied("Sign in to see your notifications.")


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (again is a no-op: the first time is kept).
    Anyone else's raises PermissionDenied. Not audited: it changes only what the reader has seen."""
    _require_signed_in(actor)
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("This notification is not yours.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read, in one statement; return how many."""
    _require_signed_in(actor)
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
