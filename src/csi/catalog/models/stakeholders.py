"""Stakeholders and how they relate to services."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csi.catalog.choices import InformChannel, InformFrequency, StakeholderKind, StakeholderRelation

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Stakeholder(models.Model):
    """An internal team, external customer, supplier or sponsor, and how it wants to be informed."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=StakeholderKind.choices)
    description = models.TextField(blank=True, max_length=5_000)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    inform_channel = models.CharField(
        max_length=20, choices=InformChannel.choices, default=InformChannel.EMAIL
    )
    inform_frequency = models.CharField(
        max_length=20, choices=InformFrequency.choices, default=InformFrequency.MONTHLY
    )
    source = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceStakeholder(models.Model):
    """A stakeholder's relation to one service, with its importance and impact, and its interest and
    influence (1 to 5) that place it on the service's stakeholder map."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="stakeholder_links")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="service_links")
    relation = models.CharField(max_length=20, choices=StakeholderRelation.choices)
    importance = models.PositiveSmallIntegerField(default=3, validators=SCORE)
    impact = models.PositiveSmallIntegerField(default=3, validators=SCORE)
    interest = models.PositiveSmallIntegerField(default=3, validators=SCORE)
    influence = models.PositiveSmallIntegerField(default=3, validators=SCORE)
    notes = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["service", "stakeholder__name", "relation"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "stakeholder", "relation"], name="catalog_service_stakeholder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} ({self.get_relation_display()} of {self.service.key})"

    @property
    def quadrant(self) -> str:
        """Where the stakeholder sits on the interest x influence map, and so how to engage them."""
        high_interest, high_influence = self.interest >= 3, self.influence >= 3
        if high_influence and high_interest:
            return "manage closely"
        if high_influence:
            return "keep satisfied"
        if high_interest:
            return "keep informed"
        return "monitor"
