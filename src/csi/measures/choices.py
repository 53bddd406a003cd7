"""Choices of the measures app."""

from django.db import models


class SourceKind(models.TextChoices):
    TICKET_EVENTS = "ticket_events", "Ticket event log"
    TICKET_SNAPSHOTS = "ticket_snapshots", "Ticket snapshots"
    METRIC_SAMPLES = "metric_samples", "Metric samples"
    SURVEY_ANSWERS = "survey_answers", "Survey answers"


TICKET_KINDS = {SourceKind.TICKET_EVENTS, SourceKind.TICKET_SNAPSHOTS}
# The Parquet file each kind of batch holds.
DATA_FILE: dict[str, str] = {
    SourceKind.TICKET_EVENTS: "events.parquet",
    SourceKind.TICKET_SNAPSHOTS: "events.parquet",
    SourceKind.METRIC_SAMPLES: "samples.parquet",
    SourceKind.SURVEY_ANSWERS: "answers.parquet",
}


class BatchStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMMITTED = "committed", "Committed"
    REJECTED = "rejected", "Rejected (too many bad records)"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted (the importing process stopped)"
    DELETED = "deleted", "Deleted"


class ImportMode(models.TextChoices):
    """How a batch of ticket events joins its source's history (docs/decisions/0006)."""

    MERGE = "merge", "Merge (add the events not already there)"
    REPLACE = "replace", "Replace (the file's tickets get exactly the file's events)"


class RuleField(models.TextChoices):
    CATEGORY = "category", "Category"
    SUBCATEGORY = "subcategory", "Subcategory"
    ASSIGNMENT_GROUP = "assignment_group", "Assignment group"
    CONFIGURATION_ITEM = "configuration_item", "Configuration item"
    TICKET_TYPE = "ticket_type", "Ticket type"
    PRIORITY = "priority", "Priority"
    CUSTOMER = "customer", "Customer"
    CHANNEL = "channel", "Channel"
