"""Forms of the catalog pages. They validate input; the services do the writes."""

from __future__ import annotations

from typing import Any

from django import forms

from csi.accounts.models import User
from csi.catalog.choices import Raci
from csi.catalog.models import (
    DeliveryRole,
    DeliveryTimeline,
    OrganisationObjective,
    PortfolioRisk,
    Process,
    Service,
    ServiceActivity,
    ServiceLevelPackage,
    ServiceStakeholder,
    ServiceTool,
    Stakeholder,
)


class OwnerField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True).order_by("username"))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class ServiceForm(forms.ModelForm):
    owner = OwnerField(label="Service owner")

    class Meta:
        model = Service
        fields = [
            "key",
            "name",
            "description",
            "category",
            "service_type",
            "tier",
            "tier_reason",
            "owner",
            "charging_model",
            "price",
            "currency",
            "price_unit",
            "strengths",
            "weaknesses",
            "portfolio_priority",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "tier_reason": forms.Textarea(attrs={"rows": 2}),
            "strengths": forms.Textarea(attrs={"rows": 2}),
            "weaknesses": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, can_assign: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_assign:
            # Only catalog managers hand a service to another owner or rename its key.
            self.fields["owner"].disabled = True
            self.fields["key"].disabled = True

    def validate_unique(self) -> None:
        """Left to the service, which reports a duplicate key as a conflict."""


class PackageForm(forms.ModelForm):
    class Meta:
        model = ServiceLevelPackage
        fields = ["name", "rank", "description"]


class TimelineForm(forms.ModelForm):
    class Meta:
        model = DeliveryTimeline
        fields = ["request_type", "lead_time_hours", "description"]


class RiskForm(forms.ModelForm):
    class Meta:
        model = PortfolioRisk
        fields = ["title", "likelihood", "impact", "description", "mitigation"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "mitigation": forms.Textarea(attrs={"rows": 2}),
        }


class ToolForm(forms.ModelForm):
    class Meta:
        model = ServiceTool
        fields = ["name", "kind", "description"]


class RoleForm(forms.ModelForm):
    class Meta:
        model = DeliveryRole
        fields = ["name", "description"]


class ActivityForm(forms.ModelForm):
    class Meta:
        model = ServiceActivity
        fields = ["name", "position"]


class StakeholderLinkForm(forms.ModelForm):
    stakeholder = forms.ModelChoiceField(queryset=Stakeholder.objects.order_by("name"))

    class Meta:
        model = ServiceStakeholder
        fields = ["stakeholder", "relation", "importance", "impact", "interest", "influence", "notes"]


class DependencyForm(forms.Form):
    depends_on = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), label="Depends on")
    description = forms.CharField(max_length=500, required=False)


class ProcessLinkForm(forms.Form):
    process = forms.ModelChoiceField(queryset=Process.objects.order_by("name"))
    notes = forms.CharField(max_length=500, required=False)


class RaciForm(forms.Form):
    activity = forms.ModelChoiceField(queryset=ServiceActivity.objects.none())
    role = forms.ModelChoiceField(queryset=DeliveryRole.objects.none())
    letter = forms.ChoiceField(choices=[("", "(none)"), *Raci.choices], required=False)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = service.activities.all()  # type: ignore[attr-defined]
        self.fields["role"].queryset = service.delivery_roles.all()  # type: ignore[attr-defined]


class RoleSkillForm(forms.Form):
    role = forms.ModelChoiceField(queryset=DeliveryRole.objects.none())
    skill = forms.CharField(max_length=100, help_text="A new name creates the skill.")
    level = forms.IntegerField(min_value=1, max_value=5)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = service.delivery_roles.all()  # type: ignore[attr-defined]


class StakeholderForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "kind",
            "description",
            "contact_name",
            "contact_email",
            "contact_phone",
            "inform_channel",
            "inform_frequency",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def validate_unique(self) -> None:
        """Left to the service (a duplicate name is a conflict)."""


class ProcessForm(forms.ModelForm):
    owner = OwnerField(label="Process owner")

    class Meta:
        model = Process
        fields = ["key", "name", "description", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """Left to the service."""


class ObjectiveForm(forms.ModelForm):
    owner = OwnerField()

    class Meta:
        model = OrganisationObjective
        fields = ["name", "description", "owner", "period_start_date", "period_end_date"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "period_start_date": forms.DateInput(attrs={"type": "date"}),
            "period_end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def validate_unique(self) -> None:
        """Left to the service."""


class ServiceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    category = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any tier"), *[(i, f"Tier {i}") for i in range(1, 5)]],
    )
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("name", "Name"),
            ("tier", "Tier"),
            ("category", "Category"),
            ("status", "Status"),
            ("priority", "Portfolio priority"),
            ("updated", "Recently changed"),
        ],
    )

    def __init__(
        self, *args: Any, categories: list[str], owners: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        from csi.catalog.choices import LifecycleStatus

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Any category"), *[(c, c) for c in categories]]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", "Any status"), *LifecycleStatus.choices]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [("", "Any owner"), *owners]  # type: ignore[attr-defined]
