"""Forms of the measures pages; the services and the importer do the writes and the checks."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from csi.catalog.models import Service
from csi.measures.choices import BatchStatus, ImportMode, RuleField
from csi.measures.models import DataSource, MappingProfile
from csi.standards.models import KEY_VALIDATOR, validate_time_zone

RESERVED_KEYS = {"new"}  # /measures/sources/new/ is the form, so no source may be called "new"


def split_values(text: str) -> list[str]:
    """Values typed one per line, or on one line separated by commas."""
    parts = text.splitlines() if "\n" in text.strip() else text.split(",")
    return [part.strip() for part in parts if part.strip()]


class _ProfileChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.key}, {obj.get_source_kind_display().lower()})"


class SourceCreateForm(forms.Form):
    key = forms.CharField(
        max_length=63,
        validators=[KEY_VALIDATOR],
        help_text="Lower-case letters, digits, dots and dashes; used in URLs and the CLI (--source).",
    )
    name = forms.CharField(max_length=200)
    profile = _ProfileChoice(
        queryset=MappingProfile.objects.none(),
        help_text="How the tool's export is read; the source holds the profile's kind of data.",
    )
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        validators=[validate_time_zone],
        help_text="Of timestamps without an offset in the files, e.g. Europe/Brussels.",
    )
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, profiles: QuerySet[MappingProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = profiles  # type: ignore[attr-defined]

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if key in RESERVED_KEYS:
            raise forms.ValidationError(f"'{key}' is reserved; choose another key.")
        return key


class SourceEditForm(forms.Form):
    """A source's settings; only profiles of the source's kind are offered."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    time_zone = forms.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="Of timestamps without an offset in the files, e.g. Europe/Brussels.",
    )
    profile = _ProfileChoice(queryset=MappingProfile.objects.none())

    def __init__(self, *args: Any, source: DataSource, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": source.name,
                "description": source.description,
                "time_zone": source.time_zone,
                "profile": source.profile_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = MappingProfile.objects.filter(  # type: ignore[attr-defined]
            source_kind=source.kind
        ).order_by("name")


class RuleForm(forms.Form):
    """A rule assigning tickets to a service: a field with its values, or an expression."""

    service: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Service.objects.none(), empty_label="Choose a service"
    )
    field = forms.ChoiceField(
        required=False,
        label="Field",
        choices=[("", "— none: use the expression —"), *RuleField.choices],
    )
    values = forms.CharField(
        required=False,
        label="Values",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The field's values that belong to the service: one per line, or comma-separated.",
    )
    expression = forms.CharField(
        required=False,
        max_length=1000,
        label="Or an expression",
        help_text="Instead of a field, e.g. category == 'Email' and priority in ['1 - Critical', '2 - High']",
    )

    def __init__(self, *args: Any, services: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, rule: Any) -> dict[str, Any]:
        return {
            "service": rule.service_id,
            "field": rule.field,
            "values": "\n".join(rule.values),
            "expression": rule.expression,
        }

    def rule_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "service": data["service"],
            "field": data["field"] or "",
            "values": split_values(data["values"] or ""),
            "expression": (data["expression"] or "").strip(),
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        allow_empty_file=True,  # the importer reports an empty file like any other unreadable one
        help_text="CSV, XLSX, JSON, NDJSON, or a zip holding one of these, as the source's profile reads it.",
    )
    max_rejects = forms.IntegerField(
        required=False,
        min_value=0,
        initial=0,
        label="Bad records tolerated",
        help_text="Import anyway when at most this many records are rejected (they are left out). Default 0.",
    )
    mode = forms.ChoiceField(
        required=False,
        initial=ImportMode.MERGE,
        choices=ImportMode.choices,
        widget=forms.RadioSelect,
        label="Ticket events",
        help_text="Merge keeps every event the source holds and adds the file's new ones. Replace gives the "
        "file's tickets exactly the file's events; the preview says how many would be removed.",
    )

    def __init__(self, *args: Any, ticket_source: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ticket_source:  # samples and answers are only ever added (TICKET_KINDS hold events)
            del self.fields["mode"]


class RunFilterForm(forms.Form):
    source = forms.ChoiceField(required=False, label="Source")
    status = forms.ChoiceField(
        required=False, label="Status", choices=[("", "Any status"), *BatchStatus.choices]
    )

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source"), *sources]  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    """The profile's YAML, and an optional sample file to preview it with before saving."""

    text = forms.CharField(
        label="Profile (YAML)",
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code-editor"}),
        help_text="apiVersion: csi-workbench/v1, kind: MappingProfile, metadata.name (the key) and spec.",
    )
    sample = forms.FileField(
        required=False,
        allow_empty_file=True,
        label="Sample file",
        help_text="To preview: the first records read with this profile. Nothing is stored.",
    )
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        initial="UTC",
        validators=[validate_time_zone],
        label="Sample time zone",
        help_text="For timestamps without an offset, unless the profile sets timestamps.timeZone.",
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        return re.sub(r"\r\n?", "\n", text)
