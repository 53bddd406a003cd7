"""Forms of the initiative pages. They check the input; the services in
`csi.improvement.services.initiatives` and `.workflow` do the writes and the business rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from csi.accounts.models import User
from csi.catalog.models import Service
from csi.improvement.choices import FINAL_STATES, Health, InitiativeState, PlanKind
from csi.improvement.models import (
    Initiative,
    InitiativeObjective,
    InitiativeRisk,
    Plan,
    Responsibility,
    Task,
)
from csi.standards.models import ServiceStandard

TEXTAREA = forms.Textarea(attrs={"rows": 3})
DATE = forms.DateInput(attrs={"type": "date"})


class PersonField(forms.ModelChoiceField):
    """An active user, shown by name and username."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True).order_by("username"))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class VersionField(forms.IntegerField):
    """The version of the initiative (or task) the editor saw; a later save by someone else makes the
    service refuse this one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class InitiativeForm(forms.ModelForm):
    """The CSI model's sections an editor types. State, approval and funding stamps are never here;
    "did we get there" and "keep the momentum going" are written by the review."""

    version = VersionField()
    owner = PersonField(label="Initiative owner")
    project_manager = PersonField(label="Project manager")
    parent = forms.ModelChoiceField(
        queryset=Initiative.objects.none(),
        required=False,
        label="Strategic initiative it carries out part of",
    )

    class Meta:
        model = Initiative
        fields = [
            "title",
            "summary",
            "owner",
            "parent",
            "scope",
            "current_practices",
            "maturity_notes",
            "gap_analysis",
            "approach",
            "execution_mode",
            "project_reference",
            "project_manager",
            "expected_benefits",
            "cost_estimate",
            "budget_requested",
            "budget_spent",
        ]
        labels = {
            "current_practices": "Current practices (where are we now?)",
            "maturity_notes": "Maturity notes",
            "gap_analysis": "Gap analysis (how do we get there?)",
            "approach": "Approach",
            "expected_benefits": "Expected benefits",
            "budget_requested": "Budget requested",
            "budget_spent": "Budget spent so far",
        }
        widgets = dict.fromkeys(
            [
                "summary",
                "scope",
                "current_practices",
                "maturity_notes",
                "gap_analysis",
                "approach",
                "expected_benefits",
            ],
            TEXTAREA,
        )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan.kind == PlanKind.STRATEGIC:
            del self.fields["parent"]
        else:
            parents = Initiative.objects.filter(plan__kind=PlanKind.STRATEGIC).exclude(state__in=FINAL_STATES)
            if self.instance.pk:
                parents = parents.exclude(pk=self.instance.pk)
            self.fields["parent"].queryset = parents.order_by("number")  # type: ignore[attr-defined]
        if not self.instance.pk:
            del self.fields["version"]
        else:
            self.initial.setdefault("version", self.instance.version)

    def validate_unique(self) -> None:
        """Left to the service."""

    def service_data(self) -> dict[str, Any]:
        """What changed, for `initiative_update` (everything typed, for `initiative_create`)."""
        names = self.changed_data if self.instance.pk else list(self.cleaned_data)
        return {name: self.cleaned_data[name] for name in names if name != "version"}


class ObjectiveForm(forms.ModelForm):
    """Where do we want to be: one objective with its KPI, target and due date."""

    version = VersionField()

    class Meta:
        model = InitiativeObjective
        fields = [
            "title",
            "description",
            "kpi_kind",
            "standard",
            "measure",
            "service",
            "source_key",
            "baseline_value",
            "target_value",
            "unit",
            "due_date",
            "plan_objective",
            "achievability",
        ]
        labels = {"kpi_kind": "KPI", "plan_objective": "Plan objective it serves"}
        widgets = {"description": TEXTAREA, "achievability": TEXTAREA, "due_date": DATE}

    def __init__(self, *args: Any, initiative: Initiative, **kwargs: Any) -> None:
        kwargs.setdefault("instance", InitiativeObjective(initiative=initiative))
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", initiative.version)
        self.fields["standard"].queryset = ServiceStandard.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["plan_objective"].queryset = initiative.plan.objectives.order_by("title")  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        """Left to the service."""

    def service_data(self) -> dict[str, Any]:
        names = self.changed_data if self.instance.pk else list(self.cleaned_data)
        return {name: self.cleaned_data[name] for name in names if name != "version"}


class TaskForm(forms.ModelForm):
    """How do we get there: a task or milestone. A task's owner without the right to change the
    initiative gets only the progress and resources (`limited`)."""

    version = VersionField()
    owner = PersonField(label="Owner")
    depends_on = forms.ModelMultipleChoiceField(
        queryset=Task.objects.none(),
        required=False,
        label="Depends on",
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )

    class Meta:
        model = Task
        fields = [
            "title",
            "is_milestone",
            "owner",
            "due_date",
            "resources",
            "effort_hours",
            "percent_complete",
            "depends_on",
        ]
        labels = {
            "is_milestone": "Milestone",
            "effort_hours": "Effort (hours)",
            "percent_complete": "% complete",
        }
        widgets = {"due_date": DATE, "resources": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, initiative: Initiative, limited: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("instance", Task(initiative=initiative))
        super().__init__(*args, **kwargs)
        others = Task.objects.filter(initiative=initiative).order_by("due_date", "pk")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.initial.setdefault("version", self.instance.version)
        else:
            del self.fields["version"]
        self.fields["depends_on"].queryset = others  # type: ignore[attr-defined]
        if limited:
            for name in list(self.fields):
                if name not in {"percent_complete", "resources", "version"}:
                    del self.fields[name]

    def validate_unique(self) -> None:
        """Left to the service."""

    def service_data(self) -> dict[str, Any]:
        names = self.changed_data if self.instance.pk else list(self.cleaned_data)
        return {name: self.cleaned_data[name] for name in names if name not in {"version", "depends_on"}}

    def prerequisites(self) -> list[Task] | None:
        """The prerequisites chosen (None when the field is not on the form)."""
        if "depends_on" not in self.fields:
            return None
        return list(self.cleaned_data["depends_on"])


class RiskForm(forms.ModelForm):
    owner = PersonField(label="Risk owner")

    class Meta:
        model = InitiativeRisk
        fields = ["description", "likelihood", "impact", "mitigation", "owner"]
        labels = {"likelihood": "Likelihood (1-5)", "impact": "Impact (1-5)"}
        widgets = {"mitigation": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, initiative: Initiative, **kwargs: Any) -> None:
        kwargs.setdefault("instance", InitiativeRisk(initiative=initiative))
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ResponsibilityForm(forms.ModelForm):
    person = PersonField(label="Person", required=True)

    class Meta:
        model = Responsibility
        fields = ["activity", "person", "raci"]
        labels = {"raci": "RACI"}

    def __init__(self, *args: Any, initiative: Initiative, **kwargs: Any) -> None:
        kwargs.setdefault("instance", Responsibility(initiative=initiative))
        super().__init__(*args, **kwargs)

    def validate_unique(self) -> None:
        """Left to the service (a repeated line is a conflict)."""

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class BaselineForm(forms.Form):
    """Where are we now: freeze each objective's KPI over the window before a date."""

    at = forms.DateField(label="Baseline date", required=False, widget=DATE, help_text="Empty: today")
    window_days = forms.IntegerField(label="Window (days)", min_value=1, max_value=3660, initial=90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("at", timezone.localdate())


class StatusForm(forms.Form):
    """A status update: RAG health, % complete and a note, on the timeline."""

    health = forms.ChoiceField(choices=[("", "Choose..."), *Health.choices], label="Health")
    percent_complete = forms.IntegerField(min_value=0, max_value=100, label="% complete")
    note = forms.CharField(required=False, max_length=5_000, widget=TEXTAREA, label="Note")


class InitiativeFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    plan = forms.ChoiceField(required=False, label="Plan")
    state = forms.ChoiceField(required=False, label="State")
    owner = forms.ChoiceField(required=False, label="Owner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = Plan.objects.order_by("name").values_list("key", "name")
        owners = (
            User.objects.filter(led_initiatives__isnull=False).distinct().order_by("username")
        ).values_list("username", flat=True)
        self.fields["plan"].choices = [("", "Any plan"), *plans]  # type: ignore[attr-defined]
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            ("", "Any state"),
            ("open", "Open (not closed, rejected or cancelled)"),
            *InitiativeState.choices,
        ]
        self.fields["owner"].choices = [("", "Anyone"), *[(u, u) for u in owners]]  # type: ignore[attr-defined]
