"""Forms of the plan, portfolio and suggestion pages; the services validate again and do the writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from csi.improvement.choices import SuggestionState
from csi.improvement.models import Plan, PlanObjective

# A plan's scalar fields in the service's terms, and its two lists of links.
PLAN_FIELDS = [
    "key", "kind", "name", "scope", "period_start_date", "period_end_date", "vision", "owner", "maintainer",
    "budget_limit", "currency",
]  # fmt: skip
PLAN_LINKS = ["services", "processes"]


def _users() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class PlanForm(forms.ModelForm):
    """A plan. Its key and kind are fixed once created; `version` is the plan's version when the page
    was opened (edits only), so a stale save is refused."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Plan
        fields = [*PLAN_FIELDS[:4], *PLAN_LINKS, *PLAN_FIELDS[4:]]
        labels = {"period_start_date": "Period from", "period_end_date": "Period to"}
        widgets = {
            "scope": forms.Textarea(attrs={"rows": 3}),
            "vision": forms.Textarea(attrs={"rows": 3}),
            "period_start_date": forms.DateInput(attrs={"type": "date"}),
            "period_end_date": forms.DateInput(attrs={"type": "date"}),
            "services": forms.CheckboxSelectMultiple,
            "processes": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        services: QuerySet[Any],
        processes: QuerySet[Any],
        steering: bool = False,
        owner_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        """`steering`: the user sets owners and limits (a steering committee member); `owner_id`: the
        user's id, to let a plan's owner lower its limit. Fields the user may not change are shown
        disabled, so the form never sends them."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        self.fields["processes"].queryset = processes  # type: ignore[attr-defined]
        for name in ("owner", "maintainer"):
            self.fields[name].queryset = _users()  # type: ignore[attr-defined]
        self.fields["maintainer"].help_text = "Keeps the plan up to date for its owner (optional)"
        self.fields["owner"].empty_label = "Nobody yet"  # type: ignore[attr-defined]
        self.fields["maintainer"].empty_label = "None"  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["kind"].disabled = True
            self.fields["version"].initial = self.instance.version
        if not steering:
            self._governed_by_steering(owner_id)

    def _governed_by_steering(self, user_id: int | None) -> None:
        limit = self.fields["budget_limit"]
        if self.instance.pk and self.instance.owner_id == user_id:
            limit.help_text = "You may lower it; the steering committee sets or raises it."
        else:
            limit.disabled = True
            limit.help_text = "Set by the steering committee (what the owner approves alone)."
        if self.instance.pk:
            self.fields["owner"].disabled = True
            self.fields["owner"].help_text = "Changed by the steering committee."
            if self.instance.budget_limit > 0:
                self.fields["currency"].disabled = True

    def plan_data(self) -> dict[str, Any]:
        """The fields for the service: all of them when creating, the changed ones when editing."""
        editing = bool(self.instance.pk)
        names = [
            n
            for n in self.Meta.fields
            if not editing or (n in self.changed_data and n not in ("key", "kind"))
        ]
        data = {name: self.cleaned_data[name] for name in names}
        for name in PLAN_LINKS:
            if name in data:
                data[name] = list(data[name])
        return data

    def validate_unique(self) -> None:
        """Left to the service (a duplicate key is a conflict)."""


class PlanObjectiveForm(forms.ModelForm):
    class Meta:
        model = PlanObjective
        fields = ["title", "description", "organisation_objective"]
        labels = {"organisation_objective": "Aligned to the organisation objective"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, objectives: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation_objective"].queryset = objectives  # type: ignore[attr-defined]
        self.fields["organisation_objective"].empty_label = "Not aligned yet"  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        """Left to the service (two objectives of a plan with one title are a conflict)."""


class SuggestionFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *SuggestionState.choices])


class SuggestionForm(forms.Form):
    """A suggestion for a strategic initiative and where it comes from: a register entry, an initiative
    (by number) or a service review."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}))
    opportunity = forms.CharField(
        max_length=20, required=False, label="Register entry", help_text="Its number, e.g. CSI-0007"
    )
    initiative = forms.CharField(
        max_length=20, required=False, label="Initiative", help_text="Its number, e.g. INI-0003"
    )
    review_reference = forms.CharField(
        max_length=200, required=False, label="Service review", help_text="The review it came from"
    )

    def clean_opportunity(self) -> str:
        return str(self.cleaned_data["opportunity"]).strip().upper()

    def clean_initiative(self) -> str:
        return str(self.cleaned_data["initiative"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("opportunity") or data.get("initiative") or data.get("review_reference")):
            raise forms.ValidationError(
                "Say where the suggestion comes from: a register entry, an initiative or a service review."
            )
        return data


class SuggestionAcceptForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label="Strategic plan", empty_label=None)
    title = forms.CharField(
        max_length=200, required=False, label="Initiative title", help_text="Empty: the suggestion's title"
    )

    def __init__(self, *args: Any, plans: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]


class SuggestionDeclineForm(forms.Form):
    reason = forms.CharField(max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}), label="Why")
