"""Forms for standards and calendars; the services do the writes."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django import forms

from csi.standards.models import Calendar, ServiceStandard, StandardVersion

SCOPE_KEYS = ["ticket_type", "priority", "category", "customer"]
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY_NAMES = {v: k.capitalize() for k, v in WEEKDAYS.items()}


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class StandardMetaForm(forms.ModelForm):
    class Meta:
        model = ServiceStandard
        fields = ["key", "name", "kind", "package", "counterparty"]

    def __init__(self, *args: Any, service: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = service.packages.all()  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        """Left to the service (a duplicate key is a conflict)."""


class VersionForm(forms.ModelForm):
    """The versioned definition. Scope and pause states are typed as comma-separated lists."""

    scope_ticket_type = forms.CharField(
        required=False, label="Ticket types", help_text="Comma-separated; empty: all"
    )
    scope_priority = forms.CharField(
        required=False, label="Priorities", help_text="e.g. 1 - Critical, 2 - High"
    )
    scope_category = forms.CharField(required=False, label="Categories")
    scope_customer = forms.CharField(required=False, label="Customers")
    pause_states_text = forms.CharField(
        required=False,
        label="Pause states",
        help_text="Ticket states in which the clock stops, comma-separated",
    )

    class Meta:
        model = StandardVersion
        fields = [
            "metric",
            "custom_metric",
            "comparator",
            "threshold",
            "threshold_unit",
            "target_percent",
            "window_kind",
            "window_days",
            "calendar_period",
            "window_count",
            "window_start_date",
            "window_time_zone",
            "calendar",
            "warning_percent",
            "benchmark_value",
            "benchmark_source",
        ]
        widgets = {"window_start_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = Calendar.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["calendar"].empty_label = "24 x 7 (no business calendar)"  # type: ignore[attr-defined]
        self.fields["window_count"].required = False
        if self.instance and self.instance.pk:
            for key in SCOPE_KEYS:
                self.initial[f"scope_{key}"] = ", ".join(self.instance.scope.get(key, []))
            self.initial["pause_states_text"] = ", ".join(self.instance.pause_states)

    def version_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["scope"] = {
            key: _split(self.cleaned_data[f"scope_{key}"])
            for key in SCOPE_KEYS
            if _split(self.cleaned_data[f"scope_{key}"])
        }
        data["pause_states"] = _split(self.cleaned_data["pause_states_text"])
        data["calendar_period"] = data["calendar_period"] or ""
        data["window_count"] = data["window_count"] or 1
        return data


class RevisionForm(forms.Form):
    effective_at = forms.DateTimeField(
        required=False,
        help_text="Empty: now. YYYY-MM-DD HH:MM in the site's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(max_length=500, required=False, label="Why the change")


_PERIOD = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)
_HOLIDAY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<name>.+)$")


def parse_periods(text: str) -> list[tuple[int, time, time]]:
    """Lines like 'mon-fri 09:00-17:00' or 'sat 10:00-14:00'; raises ValidationError naming the line."""
    periods: list[tuple[int, time, time]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lower()
        if not line or line.startswith("#"):
            continue
        match = _PERIOD.match(line)
        if not match:
            raise forms.ValidationError(f"Line {number}: write it like 'mon-fri 09:00-17:00'.")
        try:
            start = datetime.strptime(match["start"], "%H:%M").time()
            end = datetime.strptime(match["end"], "%H:%M").time()
        except ValueError as exc:
            raise forms.ValidationError(f"Line {number}: {exc}.") from exc
        for part in match["days"].split(","):
            first, _, last = part.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise forms.ValidationError(f"Line {number}: days are mon, tue, wed, thu, fri, sat, sun.")
            lo, hi = WEEKDAYS[first], WEEKDAYS[last or first]
            if hi < lo:
                raise forms.ValidationError(f"Line {number}: '{part}' runs backwards.")
            periods.extend((day, start, end) for day in range(lo, hi + 1))
    return periods


def parse_holidays(text: str) -> list[tuple[date, str]]:
    """Lines like '2026-12-25 Christmas'."""
    holidays: list[tuple[date, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _HOLIDAY.match(line)
        if not match:
            raise forms.ValidationError(f"Line {number}: write it like '2026-12-25 Christmas'.")
        try:
            day = date.fromisoformat(match["date"])
        except ValueError as exc:
            raise forms.ValidationError(f"Line {number}: {exc}.") from exc
        holidays.append((day, match["name"].strip()[:100]))
    return holidays


class CalendarForm(forms.ModelForm):
    periods_text = forms.CharField(
        required=False,
        label="Working hours",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One line per period: 'mon-fri 09:00-17:00', 'sat 10:00-14:00'. End 00:00 means midnight.",
    )
    holidays_text = forms.CharField(
        required=False,
        label="Holidays",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One line per closed day: '2026-12-25 Christmas'.",
    )

    class Meta:
        model = Calendar
        fields = ["key", "name", "time_zone", "always_open"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.fields["key"].disabled = True
            self.initial["periods_text"] = "\n".join(
                f"{WEEKDAY_NAMES[p.weekday].lower()} {p.start_time:%H:%M}-{p.end_time:%H:%M}"
                for p in self.instance.periods.all()
            )
            self.initial["holidays_text"] = "\n".join(
                f"{h.date.isoformat()} {h.name}" for h in self.instance.holidays.all()
            )

    def clean_periods_text(self) -> list[tuple[int, time, time]]:
        return parse_periods(self.cleaned_data["periods_text"])

    def clean_holidays_text(self) -> list[tuple[date, str]]:
        return parse_holidays(self.cleaned_data["holidays_text"])

    def validate_unique(self) -> None:
        """Left to the service."""
