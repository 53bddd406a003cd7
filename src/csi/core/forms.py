"""Form helpers shared by every app, and the audit log filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from csi.core.errors import ConflictError


def add_service_errors(form: forms.BaseForm, exc: ValidationError | ConflictError) -> None:
    """Show a service's ValidationError or ConflictError on the form: on the named field when the form
    has it, otherwise as a form-wide error."""
    if isinstance(exc, ConflictError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Actor")
    object_type = forms.ChoiceField(required=False, label="Object type")
    since_date = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until_date = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self, *args: Any, actors: list[tuple[int, str]], object_types: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", "Anyone"), *actors]  # type: ignore[attr-defined]
        self.fields["object_type"].choices = [("", "Any type"), *[(t, t) for t in object_types]]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since_date"), data.get("until_date")
        if since and until and since > until:
            self.add_error("until_date", "The end date is before the start date.")
        return data
