"""Plans (YaSM's six kinds), their objectives, and the administrator's priority weights."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from csi.improvement.choices import PlanKind
from csi.standards.models import KEY_VALIDATOR


def money_field(**options: Any) -> Any:
    """An amount of money: up to 999,999,999,999.99, never negative."""
    return models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))], **options
    )


class Plan(models.Model):
    """A plan of one of YaSM's six kinds: strategic, service improvement (one service or a group),
    process improvement, security, continuity, skill development. The owner approves the plan's
    initiatives and budgets up to `budget_limit` alone; above it, and for the strategic plan, the
    steering committee decides. `version` increases with every saved change (stale edits are refused)."""

    key = models.CharField(max_length=63, unique=True, validators=[KEY_VALIDATOR])
    kind = models.CharField(max_length=20, choices=PlanKind.choices)
    name = models.CharField(max_length=200)
    scope = models.TextField(blank=True, max_length=5_000)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="improvement_plans")
    processes = models.ManyToManyField("catalog.Process", blank=True, related_name="improvement_plans")
    period_start_date = models.DateField()
    period_end_date = models.DateField()
    vision = models.TextField(blank=True, max_length=5_000, help_text="What is the vision?")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_plans"
    )
    maintainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="maintained_plans",
    )
    budget_limit = money_field(default=Decimal("0"), help_text="What the owner may approve alone")
    currency = models.CharField(max_length=3, default="EUR")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.period_start_date and self.period_end_date and self.period_end_date < self.period_start_date:
            raise ValidationError({"period_end_date": "The period ends before it starts."})
        if self.currency and (len(self.currency) != 3 or not self.currency.isupper()):
            raise ValidationError({"currency": "Use an ISO 4217 code such as EUR."})


class PlanObjective(models.Model):
    """An objective of a plan, aligned to an organisation objective."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    organisation_objective = models.ForeignKey(
        "catalog.OrganisationObjective",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_objectives",
    )

    class Meta:
        ordering = ["plan", "title"]
        constraints = [models.UniqueConstraint(fields=["plan", "title"], name="plan_objective_unique_title")]

    def __str__(self) -> str:
        return self.title


class PriorityWeights(models.Model):
    """The weights of the register's priority score (one row, changed by administrators):
    score = (impact*w_i + urgency*w_u + benefit*w_b + (6 - effort)*w_e) / (w_i + w_u + w_b + w_e) * 20,
    so every score is 20..100 whatever the weights, and less effort scores higher."""

    impact = models.PositiveSmallIntegerField(default=3)
    urgency = models.PositiveSmallIntegerField(default=2)
    benefit = models.PositiveSmallIntegerField(default=3)
    effort = models.PositiveSmallIntegerField(default=2)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"impact {self.impact}, urgency {self.urgency}, benefit {self.benefit}, effort {self.effort}"

    def clean(self) -> None:
        names = ("impact", "urgency", "benefit", "effort")
        # full_clean calls clean even after a field failed its own validation (and reports that):
        # a value that is not a whole number ("x") is skipped here, not compared with a number.
        numbers = {name: value for name in names if isinstance(value := getattr(self, name), int)}
        if len(numbers) == len(names) and not any(numbers.values()):
            raise ValidationError("At least one weight must be above zero.")
        for name, value in numbers.items():
            if value > 10:
                raise ValidationError({name: "Weights go from 0 to 10."})

    def score(self, impact: int, urgency: int, benefit: int, effort: int) -> float:
        total = self.impact + self.urgency + self.benefit + self.effort
        raw = (
            impact * self.impact
            + urgency * self.urgency
            + benefit * self.benefit
            + (6 - effort) * self.effort
        )
        return round(raw / total * 20, 1)
