"""The ticket analytics page of a data source: ticket figures per group (the latest, first or every
value a ticket had), events per state, and time in each state. Unlike the board it queries the source's
Parquet batches (bounded by `csi.analytics.limits`), like `csi analytics tickets|events|states`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render

from csi.accounts.http import AuthenticatedRequest
from csi.analytics import selectors, ticket_groups
from csi.measures import selectors as measures_selectors
from csi.measures.choices import TICKET_KINDS

HISTORY_LABELS = {"last": "latest", "first": "first", "ever": "ever"}


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def group_choices(source: Any) -> list[tuple[str, str]]:
    """The grouping select: every attribute as its latest, first and ever-had value, then the service.
    A bare attribute means the history the profile gives the field (latest unless it says otherwise)."""
    spec = source.profile.parsed.spec
    choices = [("", "Nothing (all tickets in one row)")]
    for name in ticket_groups.HISTORY_ATTRIBUTES:
        field_map = spec.field_map(name)
        default = field_map.history if field_map is not None else "last"
        for history in ticket_groups.HISTORIES:
            value = name if history == default else f"{history}:{name}"
            choices.append((value, f"{_label(name)} ({HISTORY_LABELS[history]})"))
    choices.append(("service", "Service"))
    return choices


def _instant(text: str, field: str) -> date | datetime | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({field: f"'{text}' is not a date (YYYY-MM-DD) or an ISO date-time."}) from None


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}"


@login_required
def tickets(request: AuthenticatedRequest, key: str) -> HttpResponse:
    """A ticket source's figures for the tickets opened in the chosen period, per the chosen group."""
    source = measures_selectors.source_get(actor=request.user, key=key)
    if source.kind not in TICKET_KINDS:
        raise Http404(f"{source.name} holds no tickets.")
    choices = group_choices(source)
    by = request.GET.get("by", "")
    event_by = request.GET.get("events_by", "state") or "state"
    start_text, end_text = request.GET.get("from", ""), request.GET.get("to", "")
    context: dict[str, Any] = {
        "source": source,
        "choices": choices,
        "by": by,
        "by_label": dict(choices).get(by, by),
        "overlapping": by.startswith("ever:"),
        "event_choices": [(name, _label(name)) for name in ticket_groups.HISTORY_ATTRIBUTES],
        "events_by": event_by,
        "events_label": _label(event_by),
        "start": start_text,
        "end": end_text,
    }
    try:
        start, end = _instant(start_text, "from"), _instant(end_text, "to")
        rows = selectors.tickets_report(
            actor=request.user, source_key=source.key, by=by or None, start=start, end=end
        )
        events = selectors.events_report(
            actor=request.user, source_key=source.key, by=event_by, start=start, end=end
        )
        states = selectors.states_report(actor=request.user, source_key=source.key)
    except (ValueError, ValidationError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        context["error"] = " ".join(messages)
        return render(request, "analytics/tickets.html", context, status=400)
    context["rows"] = [
        {
            "key": row["key"],
            "tickets": row["tickets"],
            "resolved": row["resolved"],
            "hours": [
                _hours(row[name])
                for name in (
                    "mean_resolution_hours",
                    "median_resolution_hours",
                    "p90_resolution_hours",
                    "p95_resolution_hours",
                    "mean_lifetime_hours",
                    "median_lifetime_hours",
                )
            ],
            "rates": [
                _rate(row[name])
                for name in ("reopened_rate", "reassigned_rate", "first_contact_resolution_rate")
            ],
        }
        for row in rows
    ]
    context["total"] = sum(row["tickets"] for row in rows)
    context["events"] = events
    context["states"] = [
        {**row, "hours": [_hours(row[n]) for n in ("total_hours", "mean_hours", "median_hours", "p90_hours")]}
        for row in states
    ]
    return render(request, "analytics/tickets.html", context)
