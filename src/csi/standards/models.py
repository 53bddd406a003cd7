"""Calendars (service hours) and service standards with their versions."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from csi.standards.choices import (
    BudgetingMethod,
    CalendarPeriod,
    Comparator,
    Metric,
    StandardKind,
    ThresholdUnit,
    WindowKind,
)

KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$",
    "Use 1 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.",
)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"'{value}' is not a known time zone (use an IANA name such as Europe/Paris)."
        ) from exc


class Calendar(models.Model):
    """Service hours: weekly working periods and dated holidays in one time zone. A calendar with
    `always_open` counts every second (24 x 7) and ignores periods and holidays."""

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField(default=False, help_text="24 x 7: every second counts")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class WorkingPeriod(models.Model):
    """Open from `start_time` to `end_time` (local wall-clock time) on one weekday (0 = Monday).
    `end_time` 00:00 means midnight at the end of the day."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(
        choices=[(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")],
        validators=[MaxValueValidator(6)],
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["calendar", "weekday", "start_time"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if self.start_time is None or self.end_time is None:
            return
        ends_at_midnight = self.end_time.hour == 0 and self.end_time.minute == 0 and self.end_time.second == 0
        if not ends_at_midnight and self.end_time <= self.start_time:
            raise ValidationError(
                {"end_time": "The period must end after it starts (use 00:00 for midnight)."}
            )
        overlapping = WorkingPeriod.objects.filter(
            calendar_id=self.calendar_id, weekday=self.weekday
        ).exclude(pk=self.pk)
        for other in overlapping:
            other_end = other.end_time if other.end_time.hour or other.end_time.minute else None
            mine_end = None if ends_at_midnight else self.end_time
            if (other_end is None or self.start_time < other_end) and (
                mine_end is None or other.start_time < mine_end
            ):
                raise ValidationError(
                    {"start_time": f"Overlaps {other.start_time:%H:%M}-{other.end_time:%H:%M}."}
                )


class Holiday(models.Model):
    """A whole local day on which the calendar is closed."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="standards_holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ServiceStandard(models.Model):
    """A measurable target for a service (SLA, OLA, underpinning contract, internal target or SLO).

    What the target says lives in its versions: a change makes a new version with its effective date, so
    a past period is judged by the version then in force (`version_at`). `key` is the stable identifier
    that imports match on (OpenSLO's metadata.name)."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="standards")
    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StandardKind.choices, default=StandardKind.SLA)
    package = models.ForeignKey(
        "catalog.ServiceLevelPackage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standards",
    )
    counterparty = models.CharField(
        max_length=200, blank=True, help_text="The customer, team or supplier the standard is agreed with"
    )
    source = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service__name", "name"]

    def __str__(self) -> str:
        return self.name

    def version_at(self, moment: datetime) -> StandardVersion | None:
        """The version in force at `moment` (the latest whose effective time is not after it)."""
        return self.versions.filter(effective_at__lte=moment).order_by("-effective_at", "-number").first()

    @property
    def current(self) -> StandardVersion | None:
        return self.versions.order_by("-effective_at", "-number").first()


class StandardVersion(models.Model):
    """One version of a standard's definition, in force from `effective_at` until the next version's.

    Versions are never edited once saved: a change is a new version."""

    standard = models.ForeignKey(ServiceStandard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    effective_at = models.DateTimeField()
    metric = models.CharField(max_length=40, choices=Metric.choices)
    custom_metric = models.CharField(
        max_length=100, blank=True, help_text="The metric name, for a custom metric"
    )
    scope = models.JSONField(
        default=dict,
        blank=True,
        help_text="Which tickets count: lists under ticket_type, priority, category, customer",
    )
    comparator = models.CharField(max_length=3, choices=Comparator.choices, default=Comparator.LTE)
    threshold = models.DecimalField(max_digits=14, decimal_places=4)
    threshold_unit = models.CharField(
        max_length=10, choices=ThresholdUnit.choices, default=ThresholdUnit.HOURS
    )
    target_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of tickets (or time) that must meet the threshold, e.g. 95",
    )
    window_kind = models.CharField(max_length=10, choices=WindowKind.choices, default=WindowKind.CALENDAR)
    window_days = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(3660)])
    calendar_period = models.CharField(max_length=10, choices=CalendarPeriod.choices, blank=True)
    window_count = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text="A calendar window's length in periods (e.g. 30 with day: windows of 30 days)",
    )
    window_start_date = models.DateField(
        null=True,
        blank=True,
        help_text="The first day of a calendar window; none: natural periods (Monday, the 1st...)",
    )
    window_time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="standard_versions",
        help_text="Business hours the clock runs in; none means 24 x 7",
    )
    pause_states = models.JSONField(
        default=list, blank=True, help_text="Ticket states in which the clock stops"
    )
    warning_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Warn when this share of the threshold has been used",
    )
    benchmark_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    benchmark_source = models.CharField(max_length=300, blank=True)
    budgeting_method = models.CharField(
        max_length=20, choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES
    )
    spec = models.JSONField(
        default=dict, blank=True, help_text="Source-specific detail kept for export (OpenSLO)"
    )
    change_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["standard", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="standards_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.standard.key} v{self.number}"

    @property
    def summary(self) -> str:
        """The target in a sentence, e.g. '95% within 8 hours (Office hours), per month'."""
        threshold = f"{self.threshold.normalize():f}" if self.threshold is not None else "?"
        metric = self.custom_metric if self.metric == Metric.CUSTOM else self.get_metric_display().lower()
        clock = f" ({self.calendar.name})" if self.calendar_id and self.calendar else ""
        if self.window_kind == WindowKind.ROLLING:
            window = f"rolling {self.window_days} days"
        elif self.window_count and self.window_count > 1:
            window = f"per {self.window_count} {self.get_calendar_period_display().lower()}s"
        else:
            window = f"per {self.get_calendar_period_display().lower()}"
        if self.window_kind == WindowKind.CALENDAR and self.window_start_date:
            window += f" from {self.window_start_date.isoformat()}"
        target = f"{self.target_percent.normalize():f}%" if self.target_percent is not None else "?"
        return f"{metric} {self.get_comparator_display()} {threshold} {self.get_threshold_unit_display()}{clock}: {target}, {window}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.metric == Metric.CUSTOM and not self.custom_metric:
            errors["custom_metric"] = "Name the custom metric."
        if self.metric != Metric.CUSTOM and self.custom_metric:
            errors["custom_metric"] = "Only a custom metric has a name."
        if self.window_kind == WindowKind.ROLLING and not self.window_days:
            errors["window_days"] = "A rolling window needs its length in days."
        if self.window_kind == WindowKind.CALENDAR and not self.calendar_period:
            errors["calendar_period"] = "A calendar window needs its period (week, month, quarter...)."
        if self.window_kind == WindowKind.CALENDAR and self.window_days:
            errors["window_days"] = "A calendar window has no length in days."
        if self.window_kind == WindowKind.ROLLING and (self.window_count or 1) != 1:
            errors["window_count"] = "A rolling window counts days (window_days), not periods."
        if self.window_kind == WindowKind.ROLLING and self.window_start_date:
            errors["window_start_date"] = "A rolling window has no start date."
        if self.threshold is not None and self.threshold < 0:
            errors["threshold"] = "The threshold cannot be negative."
        if not isinstance(self.pause_states, list) or not all(isinstance(s, str) for s in self.pause_states):
            errors["pause_states"] = "Give the pause states as a list of state names."
        if not isinstance(self.scope, dict) or not all(
            key in {"ticket_type", "priority", "category", "customer"} and isinstance(value, list)
            for key, value in (self.scope or {}).items()
        ):
            errors["scope"] = "Scope keys are ticket_type, priority, category and customer, each with a list."
        if errors:
            raise ValidationError(errors)


class SpecDocument(models.Model):
    """A document imported from a standard format (OpenSLO), kept as it was so that it can be exported
    again and so that the SLIs, data sources and alerting it defines are not lost. Identified, as
    `kubectl apply` does, by kind and name (within its OpenSLO service folder, when it has one)."""

    source = models.CharField(max_length=20, default="openslo")
    api_version = models.CharField(max_length=50)
    kind = models.CharField(max_length=50)
    namespace = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=63)
    document = models.JSONField()
    digest = models.CharField(max_length=64)
    standard = models.ForeignKey(
        ServiceStandard, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "namespace", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "namespace", "name"], name="standards_specdocument_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class ServiceHours(models.Model):
    """The hours a service is provided in: one calendar per service (none recorded: around the clock).
    Standards name their own clock; this is the service's published service hours."""

    service = models.OneToOneField("catalog.Service", on_delete=models.CASCADE, related_name="hours")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="services")

    def __str__(self) -> str:
        return f"{self.service.key}: {self.calendar.name}"
