"""A service, its offer (packages, timelines, pricing), its dependencies and its portfolio entry."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from csi.catalog.choices import ChargingModel, LifecycleStatus, ServiceType

KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    "Use 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.",
)
SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Service(models.Model):
    """A service the organisation provides, as its catalog entry and its portfolio entry.

    `key` is the stable identifier (what imports match on and URLs use). Lifecycle status changes only
    through `catalog.services.service_transition`. Tier 1 is the most important; `tier_reason` says why.
    """

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10_000)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices, default=ServiceType.BUSINESS)
    lifecycle_status = models.CharField(
        max_length=20, choices=LifecycleStatus.choices, default=LifecycleStatus.PIPELINE, editable=False
    )
    tier = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(4)], help_text="1 (most critical) to 4"
    )
    tier_reason = models.TextField(blank=True, max_length=2_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
    )
    owning_team = models.ForeignKey(
        "catalog.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_services",
        help_text="The internal team that runs the service (e.g. a Backstage owner group)",
    )
    charging_model = models.CharField(
        max_length=20, choices=ChargingModel.choices, default=ChargingModel.FREE
    )
    price_unit = models.CharField(max_length=50, blank=True, help_text="e.g. 'user per month'")
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as EUR.")],
    )
    strengths = models.TextField(blank=True, max_length=5_000)
    weaknesses = models.TextField(blank=True, max_length=5_000)
    portfolio_priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SCORE, help_text="1 (highest) to 5"
    )
    source = models.CharField(
        max_length=30, blank=True, help_text="Where the entry came from: backstage, csv ..."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.charging_model == ChargingModel.FREE and self.price not in (None, 0):
            errors["price"] = "A free service has no price."
        if self.charging_model in (ChargingModel.FIXED, ChargingModel.PER_UNIT) and self.price is None:
            errors["price"] = "Give the price of a fixed or per-unit service."
        if self.price is not None and self.price < 0:
            errors["price"] = "The price cannot be negative."
        if self.price is not None and not self.currency:
            errors["currency"] = "Give the currency of the price."
        if self.charging_model == ChargingModel.PER_UNIT and not self.price_unit:
            errors["price_unit"] = "Say what the unit is, e.g. 'user per month'."
        if errors:
            raise ValidationError(errors)


class ServiceLevelPackage(models.Model):
    """A level of service offered (e.g. Gold, Silver, Bronze); standards may name the package they belong to."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="packages")
    name = models.CharField(max_length=50)
    description = models.TextField(blank=True, max_length=2_000)
    rank = models.PositiveSmallIntegerField(default=1, help_text="1 is the highest level")

    class Meta:
        ordering = ["service", "rank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="catalog_package_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.service.key}: {self.name}"


class DeliveryTimeline(models.Model):
    """How long the service takes to deliver one kind of request, in business hours of its calendar."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="timelines")
    request_type = models.CharField(max_length=100)
    lead_time_hours = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100_000)]
    )
    description = models.TextField(blank=True, max_length=2_000)

    class Meta:
        ordering = ["service", "request_type"]
        constraints = [
            models.UniqueConstraint(fields=["service", "request_type"], name="catalog_timeline_unique_type")
        ]

    def __str__(self) -> str:
        return f"{self.service.key}: {self.request_type}"


class ServiceDependency(models.Model):
    """`service` depends on `depends_on`. The graph has no cycles (checked by the service that adds edges)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependents")
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["service", "depends_on"]
        constraints = [
            models.UniqueConstraint(fields=["service", "depends_on"], name="catalog_dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(service=models.F("depends_on")), name="catalog_dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.key} -> {self.depends_on.key}"


class PortfolioRisk(models.Model):
    """A risk to the service, scored likelihood x impact (each 1 to 5) for the portfolio's risk matrix."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    likelihood = models.PositiveSmallIntegerField(validators=SCORE)
    impact = models.PositiveSmallIntegerField(validators=SCORE)
    mitigation = models.TextField(blank=True, max_length=5_000)

    class Meta:
        ordering = ["service", "title"]
        constraints = [models.UniqueConstraint(fields=["service", "title"], name="catalog_risk_unique_title")]

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class OrganisationObjective(models.Model):
    """A broader goal of the organisation for a period; plan objectives align to these."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, max_length=5_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period_start_date = models.DateField()
    period_end_date = models.DateField()

    class Meta:
        ordering = ["-period_start_date", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.period_start_date and self.period_end_date and self.period_end_date < self.period_start_date:
            raise ValidationError({"period_end_date": "The period ends before it starts."})
