"""The improvement app's items for the home page: initiatives waiting for the user's decision (approval
or funding), listed under their own heading ("Waiting for your decision")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from csi.core.home import ActionItem
from csi.improvement.selectors import initiatives as selectors


def decision_actions(user: Any) -> Iterator[ActionItem]:
    """One urgent item per proposed initiative the user may approve and per budget request they may fund."""
    for decision in selectors.waiting_for_decision(user):
        initiative = decision.initiative
        if decision.what == "approval":
            title = f"{initiative.number} {initiative.title} waits for your approval"
            who = initiative.proposed_by.get_username() if initiative.proposed_by else "its owner"
            detail = f"Proposed by {who} in {initiative.plan.name}."
        else:
            title = f"{initiative.number} {initiative.title} asks you for funding"
            detail = (
                f"Budget requested: {initiative.budget_requested} {initiative.plan.currency} "
                f"in {initiative.plan.name}."
            )
        yield ActionItem(
            title=title,
            detail=detail,
            url=reverse("improvement:initiative", args=[initiative.number]),
            link_text="Decide",
            urgency="high",
            group="decision",
        )
