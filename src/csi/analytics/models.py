"""Rollups: what the pages and the attainment API read, computed from the measurement store by
`csi.analytics.services.rollups_refresh` whenever a source's data or rules change. Pages never scan
raw files; these tables are small (a row per standard version and local day, per service and day)."""

from __future__ import annotations

from django.db import models


class AttainmentDay(models.Model):
    """A standard version's tickets whose clock stopped on `day` (local to the version's window time
    zone): how many, how many met the threshold, how many of those were near-breaches."""

    version = models.ForeignKey("standards.StandardVersion", on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey("standards.ServiceStandard", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    tickets = models.IntegerField()
    met = models.IntegerField()
    near_breached = models.IntegerField()

    class Meta:
        ordering = ["standard", "day"]
        constraints = [
            models.UniqueConstraint(fields=["version", "day"], name="analytics_attainmentday_unique")
        ]
        indexes = [models.Index(fields=["standard", "day"])]

    def __str__(self) -> str:
        return f"{self.version_id} {self.day}: {self.met}/{self.tickets}"


class BreachCount(models.Model):
    """Breaches of a standard version by the value of one ticket attribute (for the Pareto chart)."""

    version = models.ForeignKey("standards.StandardVersion", on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey("standards.ServiceStandard", on_delete=models.CASCADE, related_name="+")
    attribute = models.CharField(max_length=30)
    value = models.CharField(max_length=300)
    breaches = models.IntegerField()

    class Meta:
        ordering = ["standard", "attribute", "-breaches"]
        indexes = [models.Index(fields=["standard", "attribute"])]

    def __str__(self) -> str:
        return f"{self.attribute}={self.value}: {self.breaches}"


class ServiceDay(models.Model):
    """A service's tickets per UTC day: opened, resolved and closed that day, the backlog (open, not
    closed) at the end of it, and the median resolution hours of the tickets resolved that day."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    opened = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    backlog = models.IntegerField(default=0)

    class Meta:
        ordering = ["service", "day"]
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="analytics_serviceday_unique")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}"


class ServiceDuration(models.Model):
    """How many of a service's resolved tickets took how long (calendar hours, opened to resolved),
    in buckets [low, high) hours, per month of resolution: the duration distribution chart."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    low_hours = models.FloatField()
    high_hours = models.FloatField(null=True)
    tickets = models.IntegerField()

    class Meta:
        ordering = ["service", "month", "low_hours"]
        indexes = [models.Index(fields=["service", "month"])]

    def __str__(self) -> str:
        return f"{self.service_id} {self.month} [{self.low_hours}, {self.high_hours})"


class RollupRun(models.Model):
    """When the rollups were last computed, how long it took and from how many events."""

    finished_at = models.DateTimeField()
    duration_seconds = models.FloatField()
    events = models.BigIntegerField()
    tickets = models.BigIntegerField()
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"rollups at {self.finished_at:%Y-%m-%d %H:%M}"
