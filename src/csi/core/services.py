"""Writes of the shared kernel. `audit_record` is the one door every other app's writes go through."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from csi.core.errors import ConflictError
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


def _refuse_nulls(instance: models.Model, data: dict[str, Any]) -> None:
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
    _refuse_nulls(instance, data)
    _clean(instance)
    instance.save()
    audit_record(actor=actor, verb="create", obj=instance, after=snapshot(instance), scope=scope)
    return instance


def model_update(*, actor: Actor, instance: M, data: dict[str, Any], scope: models.Model | str = "") -> M:
    """Apply `data` to the instance, validate, save and audit the before/after values (no event when
    nothing changed). On a validation error the instance is restored and nothing is stored."""
    before = snapshot(instance)
    _refuse_nulls(instance, data)
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
