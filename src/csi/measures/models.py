"""Data sources, mapping profiles, import batches (with their rejects) and the rules that assign
tickets to services. The measured data itself is not here: each committed batch is a folder of
immutable Parquet files in the measurement store (`csi.measures.store`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from csi.measures.choices import BatchStatus, ImportMode, RuleField, SourceKind
from csi.standards.models import KEY_VALIDATOR, validate_time_zone


class MappingProfile(models.Model):
    """How a tool's export becomes canonical data: the validated YAML document (`document`), kept as
    data. Built-in profiles ship with the code and are refreshed from it after every migrate; they
    cannot be edited or deleted."""

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    builtin = models.BooleanField(default=False)
    document = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def parsed(self) -> Any:
        from csi.measures.profiles import ProfileDocument

        return ProfileDocument.model_validate(self.document)


class DataSource(models.Model):
    """A feed of measured data (a service-desk tool's export, a monitoring system, a survey) read
    with one mapping profile; naive timestamps in its files are in `time_zone`."""

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    profile = models.ForeignKey(MappingProfile, on_delete=models.PROTECT, related_name="sources")
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One import run of one file into a source. Only `committed` batches are read by the analytics;
    their folder in the store is written completely before the row says so. `file_sha256` detects the
    same content imported twice. A ticket's history is the union of the events of the committed batches,
    each event once (`mode` merge, the default); a `replace` batch gives the tickets it holds exactly its
    events, hiding those of earlier batches (docs/decisions/0006). `new_events`, `seen_events`,
    `gaining_tickets` and `removed_events` say what the batch changed when it was imported; `seen_in`
    lists the batches whose copies of its already-present events were visible then."""

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    profile_key = models.CharField(max_length=63)
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    rows_read = models.BigIntegerField(default=0)
    events = models.BigIntegerField(default=0, help_text="Records stored (events, samples or answers)")
    tickets = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    repeated = models.BigIntegerField(
        default=0, help_text="Records identical to an earlier record of the same file, stored once"
    )
    max_rejects = models.BigIntegerField(default=0)
    mode = models.CharField(max_length=10, choices=ImportMode.choices, default=ImportMode.MERGE)
    new_events = models.BigIntegerField(default=0, help_text="Events the source did not hold before")
    seen_events = models.BigIntegerField(default=0, help_text="Events the source already held")
    gaining_tickets = models.BigIntegerField(default=0, help_text="Tickets that gained events")
    removed_events = models.BigIntegerField(
        default=0, help_text="Replace mode: events of the file's tickets hidden because the file lacks them"
    )
    seen_in = models.JSONField(
        default=list, blank=True, help_text="Batches whose copies of the already-held events were visible"
    )
    first_at = models.DateTimeField(null=True, blank=True, help_text="Earliest event in the batch")
    last_at = models.DateTimeField(null=True, blank=True, help_text="Latest event in the batch")
    message = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "status"])]

    def __str__(self) -> str:
        return f"{self.source.key} #{self.pk} ({self.file_name})"

    @property
    def stored_nothing(self) -> bool:
        """Whether the run never stored data: only a committed run did (a deleted one until deleted)."""
        return self.status not in {BatchStatus.COMMITTED, BatchStatus.DELETED}

    @property
    def stored_records(self) -> int:
        """Records the run stored: 0 for a run that stored nothing, whatever older rows hold."""
        return 0 if self.stored_nothing else self.events

    @property
    def stored_tickets(self) -> int:
        return 0 if self.stored_nothing else self.tickets

    @property
    def valid_records(self) -> int:
        """Records of the file that passed every check (each once): what a commit stored or would store."""
        return max(self.rows_read - self.rejected - self.repeated, 0)

    @property
    def summary(self) -> str:
        from csi.measures.summaries import run_summary

        return run_summary(
            status=self.status,
            rows_read=self.rows_read,
            valid=self.valid_records,
            stored=self.stored_records,
            tickets=self.stored_tickets,
            rejected=self.rejected,
            repeated=self.repeated,
            max_rejects=self.max_rejects,
            new_events=self.new_events,
            seen_events=self.seen_events,
            removed_events=self.removed_events,
            mode=self.mode,
        )


class ImportReject(models.Model):
    """A record an import could not take: where (line, column), the value, and why."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="reject_rows")
    line = models.BigIntegerField(null=True, blank=True)
    column = models.CharField(max_length=300, blank=True)
    value = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["batch", "line", "pk"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ServiceMappingRule(models.Model):
    """Assigns a source's tickets to a catalog service: those whose `field` is one of `values`, or for
    which `expression` is true (a safe expression over the ticket's fields). A ticket belongs to every
    service one of whose rules matches. Changing a rule refreshes the rollups."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="rules")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="mapping_rules")
    position = models.PositiveIntegerField(default=0)
    field = models.CharField(max_length=30, choices=RuleField.choices, blank=True)
    values = models.JSONField(default=list, blank=True)
    expression = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "position", "pk"]

    def __str__(self) -> str:
        what = self.expression or f"{self.field} in {', '.join(self.values)}"
        return f"{what} -> {self.service_id}"
