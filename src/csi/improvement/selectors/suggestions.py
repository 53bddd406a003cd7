"""Reads of the suggestions for strategic initiatives: the list (newest first) and one suggestion."""

from __future__ import annotations

from django.db.models import QuerySet

from csi.core.permissions import require
from csi.core.services import Actor
from csi.improvement.choices import SuggestionState
from csi.improvement.models import Suggestion


def _related(suggestions: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    return suggestions.select_related(
        "opportunity", "initiative", "suggested_by", "decided_by", "created_initiative"
    )


def suggestion_list(*, actor: Actor, state: str | None = None) -> QuerySet[Suggestion]:
    """The suggestions for whoever is signed in, newest first, optionally in one state (open, accepted,
    declined; ValueError for another). Related rows are joined, so a page costs one query."""
    require(actor, "improvement.view")
    suggestions = Suggestion.objects.all()
    if state:
        if state not in SuggestionState.values:
            raise ValueError(f"unknown state '{state}' (use one of: {', '.join(SuggestionState.values)})")
        suggestions = suggestions.filter(state=state)
    return _related(suggestions).order_by("-suggested_at", "-pk")


def suggestion_get(*, actor: Actor, pk: int) -> Suggestion:
    """One suggestion (Suggestion.DoesNotExist when there is none: the API answers 404)."""
    require(actor, "improvement.view")
    return _related(Suggestion.objects.all()).get(pk=pk)
