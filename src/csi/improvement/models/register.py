"""The CSI register: improvement opportunities with their evidence."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csi.improvement.choices import OpportunitySource, OpportunityState, Size, Timescale

LEVEL = [MinValueValidator(1), MaxValueValidator(5)]


class Opportunity(models.Model):
    """An entry of the CSI register. `number` (CSI-0001) is given at creation and never changes; the
    state changes only through `csi.improvement.services.opportunity_transition`. `score` is the
    priority score under the current weights, kept up to date by the services."""

    number = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_opportunities",
    )
    source = models.CharField(max_length=30, choices=OpportunitySource.choices)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    process = models.ForeignKey(
        "catalog.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    description = models.TextField(max_length=10_000)
    size = models.CharField(max_length=20, choices=Size.choices, default=Size.MEDIUM)
    timescale = models.CharField(max_length=20, choices=Timescale.choices, default=Timescale.MEDIUM)
    kpi = models.CharField(max_length=200, blank=True, help_text="The KPI concerned")
    standard = models.ForeignKey(
        "standards.ServiceStandard",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    justification = models.TextField(blank=True, max_length=5_000)
    impact = models.PositiveSmallIntegerField(default=3, validators=LEVEL, help_text="1 (low) to 5 (high)")
    urgency = models.PositiveSmallIntegerField(default=3, validators=LEVEL, help_text="1 (low) to 5 (high)")
    effort = models.PositiveSmallIntegerField(default=3, validators=LEVEL, help_text="1 (little) to 5 (much)")
    benefit = models.PositiveSmallIntegerField(default=3, validators=LEVEL, help_text="1 (low) to 5 (high)")
    expected_benefit = models.TextField(blank=True, max_length=5_000)
    actioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities_to_action",
    )
    required_by_date = models.DateField(null=True, blank=True)
    score = models.FloatField(default=0, editable=False)
    state = models.CharField(
        max_length=20, choices=OpportunityState.choices, default=OpportunityState.NEW, editable=False
    )
    state_reason = models.TextField(blank=True, max_length=2_000, editable=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates", editable=False
    )
    deferred_until_date = models.DateField(null=True, blank=True, editable=False)
    initiative = models.ForeignKey(
        "improvement.Initiative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="origins",
        editable=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "-raised_at"]
        verbose_name_plural = "opportunities"

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        if self.duplicate_of_id and self.duplicate_of_id == self.pk:
            raise ValidationError({"duplicate_of": "An entry cannot duplicate itself."})


class Evidence(models.Model):
    """An analytics result attached to a register entry, frozen when attached: `query` says what was
    asked (kind and parameters), `result` holds the rows as they were then, so later data or rule
    changes do not alter the evidence."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=300)
    query = models.JSONField(default=dict)
    result = models.JSONField(default=list)
    link = models.CharField(max_length=500, blank=True, help_text="Where the live result is")
    attached_at = models.DateTimeField(auto_now_add=True)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["opportunity", "attached_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title
