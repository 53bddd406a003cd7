"""Shared kernel models: the audit trail every write leaves behind."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One write to one object: who did it, when, the verb, and the values before and after.

    Rows are append-only: nothing in the product updates or deletes them. `actor_label` keeps the
    actor's username so the trail stays readable if the user is later deleted; `actor` is null for
    writes made by the system (CLI without a user, scheduled jobs).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100, db_index=True, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    scope = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="The object whose history this event belongs to, e.g. 'catalog.service:12' for a change "
        "to one of that service's stakeholders.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_label or 'system'} {self.verb} {self.object_type}:{self.object_id}"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs, in a stable order."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class ScheduledRun(models.Model):
    """Marks that a scheduled job was enqueued for one time slot.

    The unique constraint is what lets several `csi worker` processes run the scheduler at once: the
    first to insert the slot enqueues the job, the others see the conflict and skip it.
    """

    job = models.CharField(max_length=100)
    slot_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-slot_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot_at"], name="core_scheduledrun_unique_slot")
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot_at:%Y-%m-%d %H:%M}"
