"""What every improvement service shares: numbering and edits guarded by the version the editor saw."""

from __future__ import annotations

import zlib
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import F

from csi.core.errors import ConflictError
from csi.core.services import Actor, model_update

M = TypeVar("M", bound=models.Model)


def next_number(model: type[models.Model], prefix: str) -> str:
    """The next number of a series (CSI-0001, INI-0001): one more than the highest given so far.

    Must be called inside the creating transaction: the series stays locked until that transaction
    ends, so two people creating at once get two numbers one after the other, never the same number
    (which the unique constraint would refuse, failing the second person's save). SQLite takes the
    database's write lock at BEGIN already (IMMEDIATE transactions); PostgreSQL takes a transaction-level
    advisory lock on the series."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() runs inside the transaction that creates the numbered row.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"csi-number:{prefix}".encode())])
    last = (
        model._default_manager.filter(number__startswith=prefix + "-")
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    current = int(last.split("-", 1)[1]) if last else 0
    return f"{prefix}-{current + 1:04d}"


def stale_check(instance: Any, expected_version: int | None) -> None:
    """ConflictError (409) when the editor saw another version than the stored one."""
    if expected_version is not None and int(expected_version) != instance.version:
        raise ConflictError(
            f"{instance} was changed by someone else while you were editing it (you had version "
            f"{expected_version}, it is now at version {instance.version}). Reload it and make your change again.",
            field="version",
        )


def versioned_update(
    *, actor: Actor, instance: M, data: dict[str, Any], version: int | None, scope: models.Model | str = ""
) -> M:
    """model_update of `instance` if it is still at `version` (None: whatever it is, for the CLI), then
    version + 1 when something changed. The row is locked while it is compared and written, so of two
    editors who saw the same version, the later save is refused with nothing changed."""
    model = type(instance)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=instance.pk)
        stale_check(locked, version)
        seen = locked.version  # type: ignore[attr-defined]
        before = model._default_manager.filter(pk=locked.pk).values().get()
        model_update(actor=actor, instance=locked, data=data, scope=scope)
        if model._default_manager.filter(pk=locked.pk).values().get() != before:
            model._default_manager.filter(pk=locked.pk, version=seen).update(version=F("version") + 1)
        locked.refresh_from_db()
    return locked


def bump_version(instance: models.Model) -> None:
    """version + 1 for a change made through a related row (objectives, tasks) or a transition."""
    type(instance)._default_manager.filter(pk=instance.pk).update(version=F("version") + 1)
    instance.refresh_from_db(fields=["version"])
