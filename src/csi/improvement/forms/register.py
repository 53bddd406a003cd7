"""Forms of the register pages: the filters, an entry, its transitions, evidence, and the weights.
The services validate again and do the writes; these forms only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from csi.analytics.attainment import PARETO_ATTRIBUTES
from csi.analytics.selectors import PERIODS
from csi.improvement.choices import OpportunitySource, OpportunityState
from csi.improvement.models import Initiative, Opportunity, Plan
from csi.improvement.selectors.register import ORDERS
from csi.improvement.services.evidence import EVIDENCE_PARAMS

LEVELS = [(i, str(i)) for i in range(1, 6)]
ORDER_LABELS = {
    "rank": "Priority score",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "number": "Number",
}


class RegisterFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *OpportunityState.choices])
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *OpportunitySource.choices])
    service = forms.ChoiceField(required=False)
    order = forms.ChoiceField(required=False, choices=[(k, ORDER_LABELS.get(k, k)) for k in ORDERS])

    def __init__(self, *args: Any, services: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Any service"), *services]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = "Title, description or CSI number"


def _users() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class OpportunityForm(forms.ModelForm):
    """Every field of a register entry (ITIL's CSI register), never its state or number. `version` is
    the entry's version when the page was opened (edits only), so a stale save is refused."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Opportunity
        fields = [
            "title", "source", "service", "process", "description", "size", "timescale", "kpi", "standard",
            "justification", "impact", "urgency", "benefit", "effort", "expected_benefit", "actioned_by",
            "required_by_date",
        ]  # fmt: skip
        labels = {
            "kpi": "KPI concerned",
            "standard": "Service standard concerned",
            "benefit": "Benefit",
            "expected_benefit": "Expected benefit",
            "actioned_by": "To be actioned by",
            "required_by_date": "Date required by",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "justification": forms.Textarea(attrs={"rows": 3}),
            "expected_benefit": forms.Textarea(attrs={"rows": 3}),
            "required_by_date": forms.DateInput(attrs={"type": "date"}),
            "impact": forms.Select(choices=LEVELS),
            "urgency": forms.Select(choices=LEVELS),
            "benefit": forms.Select(choices=LEVELS),
            "effort": forms.Select(choices=LEVELS),
        }

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Any],
        processes: QuerySet[Any],
        standards: QuerySet[Any],
        duplicates_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["process"].queryset = processes  # type: ignore[attr-defined]
        self.fields["standard"].queryset = standards  # type: ignore[attr-defined]
        self.fields["actioned_by"].queryset = _users()  # type: ignore[attr-defined]
        self.fields["service"].help_text = "The service, or the process, the entry is about"
        self.fields["kpi"].help_text = "e.g. first-time fix rate"
        for name, empty in (
            ("service", "No service"),
            ("process", "No process"),
            ("standard", "No standard"),
            ("actioned_by", "Nobody yet"),
        ):
            self.fields[name].empty_label = empty  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if duplicates_url:
            # While the title or description is typed, the entries it probably repeats are shown.
            for name, others in (
                ("title", "#id_description, #id_service"),
                ("description", "#id_title, #id_service"),
            ):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": duplicates_url,
                        "hx-trigger": "keyup changed delay:500ms",
                        "hx-target": "#duplicates",
                        "hx-include": others,
                        "aria-describedby": "duplicates",
                    }
                )

    def entry_data(self) -> dict[str, Any]:
        """The fields for the service: all of them when raising, the changed ones when editing."""
        names = [n for n in self.Meta.fields if not self.instance.pk or n in self.changed_data]
        return {name: self.cleaned_data[name] for name in names}

    def validate_unique(self) -> None:
        """Left to the service."""


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}), label="Why")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DuplicateForm(forms.Form):
    duplicate_of = forms.CharField(
        max_length=20, label="Duplicate of", help_text="The number of the entry it repeats, e.g. CSI-0007"
    )
    reason = forms.CharField(max_length=2_000, required=False, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_duplicate_of(self) -> str:
        return str(self.cleaned_data["duplicate_of"]).strip().upper()


class DeferForm(forms.Form):
    deferred_until_date = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=2_000, required=False, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    """Start assessment and reopen: an optional note."""

    reason = forms.CharField(max_length=2_000, required=False, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AcceptForm(forms.Form):
    """Accept into a plan: create an initiative in the plan chosen, or join an open initiative."""

    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), required=False, empty_label="Choose a plan")
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(),
        required=False,
        empty_label="None: create a new initiative",
        label="Or join an open initiative",
    )
    initiative_title = forms.CharField(
        max_length=200,
        required=False,
        label="Title of the new initiative",
        help_text="Empty: the entry's title",
    )
    reason = forms.CharField(max_length=2_000, required=False, label="Note")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, plans: QuerySet[Any], initiatives: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.fields["initiative"].queryset = initiatives  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("plan") and not data.get("initiative"):
            self.add_error("plan", "Choose the plan to create an initiative in, or an initiative to join.")
        return data


TRANSITION_FORMS: dict[str, type[forms.Form]] = {
    "assess": NoteForm,
    "accept": AcceptForm,
    "reject": RejectForm,
    "mark-duplicate": DuplicateForm,
    "defer": DeferForm,
    "reopen": NoteForm,
}

EVIDENCE_KINDS = [
    ("attainment", "Attainment of a standard per period"),
    ("pareto", "Breaches of a standard by attribute (Pareto)"),
    ("tickets", "Ticket figures of a data source"),
]


class EvidenceForm(forms.Form):
    """An analytics query to run now and freeze on the entry; each kind uses some of the parameters."""

    kind = forms.ChoiceField(choices=EVIDENCE_KINDS)
    standard_key = forms.CharField(
        max_length=63, required=False, label="Standard key", help_text="Attainment and Pareto"
    )
    period = forms.ChoiceField(
        required=False,
        choices=[("", "Month"), *[(p, p.capitalize()) for p in PERIODS]],
        help_text="Attainment",
    )
    attribute = forms.ChoiceField(
        required=False,
        choices=[("", "Choose"), *[(a, a.replace("_", " ").capitalize()) for a in PARETO_ATTRIBUTES]],
        help_text="Pareto",
    )
    source_key = forms.CharField(max_length=63, required=False, label="Data source key", help_text="Tickets")
    by = forms.CharField(max_length=63, required=False, label="Group by", help_text="Tickets, e.g. category")
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Tickets"
    )
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Tickets")

    def params(self) -> dict[str, Any]:
        """The parameters the chosen kind takes, those given."""
        required, optional = EVIDENCE_PARAMS[self.cleaned_data["kind"]]
        return {
            name: self.cleaned_data[name]
            for name in sorted(required | optional)
            if self.cleaned_data.get(name) not in (None, "")
        }


class WeightsForm(forms.Form):
    impact = forms.IntegerField(min_value=0, max_value=10)
    urgency = forms.IntegerField(min_value=0, max_value=10)
    benefit = forms.IntegerField(min_value=0, max_value=10)
    effort = forms.IntegerField(
        min_value=0,
        max_value=10,
        help_text="Weighs how little effort an entry needs: less effort scores higher",
    )
