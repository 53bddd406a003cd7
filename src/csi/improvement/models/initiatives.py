"""Initiatives with the sections of the CSI model, their tasks, timeline and suggestions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from csi.improvement.choices import (
    ExecutionMode,
    Health,
    InitiativeState,
    KpiKind,
    Measure,
    Outcome,
    Raci,
    SuggestionState,
)
from csi.improvement.models.plans import money_field

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
USER = settings.AUTH_USER_MODEL


class Initiative(models.Model):
    """An improvement initiative in a plan, answering the CSI model's questions (where are we now,
    where do we want to be, how do we get there, did we get there, how do we keep the momentum going).

    `state` changes only through `initiative_transition` (the table in choices). `approved_terms`
    freezes the objectives, scope and budget at approval: a later change of any of them sends the
    initiative back to proposed. `version` increases with every saved change (stale edits are refused).
    `health` and `percent_complete` are those of the latest status update."""

    number = models.CharField(max_length=20, unique=True, editable=False)
    plan = models.ForeignKey("improvement.Plan", on_delete=models.PROTECT, related_name="initiatives")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The strategic initiative this one carries out part of",
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=5_000)
    scope = models.TextField(blank=True, max_length=5_000)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_initiatives"
    )
    state = models.CharField(
        max_length=20, choices=InitiativeState.choices, default=InitiativeState.DRAFT, editable=False
    )
    # Where are we now
    baseline_date = models.DateField(null=True, blank=True, editable=False)
    current_practices = models.TextField(blank=True, max_length=10_000)
    maturity_notes = models.TextField(blank=True, max_length=10_000)
    # How do we get there
    gap_analysis = models.TextField(blank=True, max_length=10_000)
    approach = models.TextField(blank=True, max_length=10_000)
    execution_mode = models.CharField(
        max_length=20, choices=ExecutionMode.choices, default=ExecutionMode.INFORMAL
    )
    project_reference = models.CharField(max_length=100, blank=True)
    project_manager = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Business case
    expected_benefits = models.TextField(blank=True, max_length=10_000)
    cost_estimate = money_field(null=True, blank=True)
    budget_requested = money_field(default=Decimal("0"))
    budget_approved = money_field(null=True, blank=True, editable=False)
    budget_spent = money_field(default=Decimal("0"))
    # Did we get there / keep the momentum going (filled by reviews)
    evaluation = models.TextField(blank=True, max_length=10_000)
    momentum = models.TextField(blank=True, max_length=10_000)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, editable=False)
    # Workflow stamps
    health = models.CharField(max_length=10, choices=Health.choices, blank=True, editable=False)
    percent_complete = models.PositiveSmallIntegerField(default=0, validators=PERCENT, editable=False)
    proposed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_terms = models.JSONField(null=True, blank=True, editable=False)
    # Who last changed the terms an approval covers (objectives, scope, budget): never their approver.
    terms_changed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    terms_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Everyone who ever changed the terms, and everyone who ever requested the budget (user ids): none of
    # them approves or funds this initiative (a single "last" person would be overwritten by the next).
    terms_authors = models.JSONField(default=list, blank=True, editable=False)
    budget_requesters = models.JSONField(default=list, blank=True, editable=False)
    budget_requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    funded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    funded_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    implemented_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    state_reason = models.TextField(blank=True, max_length=2_000, editable=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "An initiative cannot be its own parent."})
        if self.execution_mode == ExecutionMode.PROJECT and not self.project_reference:
            raise ValidationError({"project_reference": "A formal project needs its project reference."})


class InitiativeObjective(models.Model):
    """Where do we want to be: a KPI (a standard's attainment or a ticket measure of a service), its
    baseline value, the target value and the due date. The SMART check is `csi.improvement.smart`."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5_000)
    kpi_kind = models.CharField(max_length=20, choices=KpiKind.choices, blank=True)
    # PROTECT: deleting the KPI's standard or service would change approved terms without a new approval.
    standard = models.ForeignKey(
        "standards.ServiceStandard", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    measure = models.CharField(max_length=40, choices=Measure.choices, blank=True)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_key = models.CharField(
        max_length=63, blank=True, help_text="The data source a ticket measure is read from"
    )
    baseline_value = models.FloatField(null=True, blank=True)
    target_value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    due_date = models.DateField(null=True, blank=True)
    plan_objective = models.ForeignKey(
        "improvement.PlanObjective",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="initiative_objectives",
    )
    achievability = models.TextField(blank=True, max_length=2_000, help_text="Why the target can be reached")

    class Meta:
        ordering = ["initiative", "pk"]

    def __str__(self) -> str:
        return self.title


class BaselineValue(models.Model):
    """Where are we now: one KPI value frozen from the measurement store, with the window it was
    computed over. Never changed after it is taken; a new baseline replaces the set."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="baseline")
    objective = models.ForeignKey(
        InitiativeObjective, null=True, blank=True, on_delete=models.SET_NULL, related_name="baseline_values"
    )
    kpi = models.CharField(max_length=300)
    value = models.FloatField(null=True)
    unit = models.CharField(max_length=20, blank=True)
    window_start_date = models.DateField()
    window_end_date = models.DateField()
    detail = models.JSONField(default=dict)
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["initiative", "pk"]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value}"


class Task(models.Model):
    """How do we get there: a task or milestone with its owner, due date, resources, effort and
    progress; `depends_on` are the tasks that must finish first (no cycles, same initiative)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    is_milestone = models.BooleanField(default=False)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="improvement_tasks"
    )
    due_date = models.DateField(null=True, blank=True)
    resources = models.TextField(blank=True, max_length=2_000)
    effort_hours = models.DecimalField(
        max_digits=8, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    percent_complete = models.PositiveSmallIntegerField(default=0, validators=PERCENT)
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="blocks")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["initiative", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class InitiativeRisk(models.Model):
    """A risk to the initiative, with likelihood and impact 1..5 and its mitigation."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="risks")
    description = models.CharField(max_length=500)
    likelihood = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    mitigation = models.TextField(blank=True, max_length=2_000)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["initiative", "pk"]

    def __str__(self) -> str:
        return self.description


class Responsibility(models.Model):
    """A RACI line of the initiative: who is responsible, accountable, consulted or informed for what."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="responsibilities")
    activity = models.CharField(max_length=200)
    person = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    raci = models.CharField(max_length=1, choices=Raci.choices)

    class Meta:
        ordering = ["initiative", "activity", "raci"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "activity", "person", "raci"], name="responsibility_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.raci}"


class TimelineEntry(models.Model):
    """The initiative's timeline: every transition (action, from and to state, reason) and every
    status update (health, percent complete, note), in order. Appended only."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(
        max_length=30, help_text="A transition's action, or 'status' for a status update"
    )
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    health = models.CharField(max_length=10, choices=Health.choices, blank=True)
    percent_complete = models.PositiveSmallIntegerField(null=True, blank=True, validators=PERCENT)
    note = models.TextField(blank=True, max_length=5_000)
    amount = money_field(null=True, blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["initiative", "at", "pk"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"


class Suggestion(models.Model):
    """A suggestion for a strategic initiative, from a register entry, a service review or an
    initiative. The service strategy manager accepts it (creating the initiative in the strategic
    plan, linked back here) or declines it with a reason."""

    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10_000)
    opportunity = models.ForeignKey(
        "improvement.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions_made"
    )
    review_reference = models.CharField(
        max_length=200, blank=True, help_text="The service review it came from"
    )
    suggested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=20, choices=SuggestionState.choices, default=SuggestionState.OPEN, editable=False
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decline_reason = models.TextField(blank=True, max_length=2_000, editable=False)
    created_initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggested_by_entries",
        editable=False,
    )

    class Meta:
        ordering = ["-suggested_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not (self.opportunity_id or self.initiative_id or self.review_reference):
            raise ValidationError(
                "Say where the suggestion comes from: a register entry, an initiative or a service review."
            )
