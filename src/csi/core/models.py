"""Shared kernel models: the audit trail every write leaves behind, and in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.http import url_has_allowed_host_and_scheme


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


def is_site_relative(url: str) -> bool:
    """True for a link within this site ("/path?query"). False for anything a browser would follow to
    another host: "//host", a backslash form, or control characters it strips before parsing."""
    return (
        url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
        and not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url)
    )


class Notification(models.Model):
    """A message to one user about something that needs their attention ("initiative X was approved").

    Rows are written by `core.services.notify`, inside the transaction of the write that caused them,
    so a rolled-back change notifies nobody. Only the recipient reads a notification or marks it read;
    `read_at` is null while it is unread. `url`, when set, is a link within this site (it starts with
    "/"), so a notification never sends its reader elsewhere. `verb` and `scope` name the change
    ("approve", "improvement.initiative:12") in the audit trail's terms, for filtering and grouping.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(max_length=5000, blank=True)
    url = models.CharField(
        max_length=500, blank=True, help_text="A link within this site, starting with '/'."
    )
    verb = models.CharField(max_length=50, blank=True, help_text="What happened, e.g. 'approve'.")
    scope = models.CharField(
        max_length=100, blank=True, help_text="The audit scope it concerns, e.g. 'improvement.initiative:12'."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_notif_recipient_read")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.url and not is_site_relative(self.url):
            raise ValidationError({"url": "Give a link within this site, starting with '/' (not '//')."})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def safe_url(self) -> str:
        """The link to show: the url when it is site-relative, else nothing (rows written around
        `clean`, by an update or a migration, must not link elsewhere either)."""
        return self.url if is_site_relative(self.url) else ""
