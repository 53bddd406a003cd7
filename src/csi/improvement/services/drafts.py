"""The parts of initiatives that the register, the workflow and the initiative services share: creating
a draft initiative, its timeline, and the terms an approval covers. Kept below all three so that they
import one way (register and workflow use this module; `initiatives.py` uses all of them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csi.core.permissions import require
from csi.core.services import Actor, model_create
from csi.improvement.choices import PlanKind
from csi.improvement.models import Initiative, Plan, TimelineEntry
from csi.improvement.services.common import next_number

EDITABLE = {
    "title", "summary", "scope", "owner", "parent", "current_practices", "maturity_notes", "gap_analysis",
    "approach", "execution_mode", "project_reference", "project_manager", "expected_benefits", "cost_estimate",
    "budget_requested", "budget_spent", "evaluation", "momentum",
}  # fmt: skip


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None


def timeline_add(*, actor: Actor, initiative: Initiative, action: str, **fields: Any) -> TimelineEntry:
    """Append an entry to the initiative's timeline (transitions and status updates)."""
    return TimelineEntry.objects.create(
        initiative=initiative,
        action=action,
        actor=_user(actor),
        actor_label=str(getattr(actor, "get_username", lambda: "")())[:150],
        **fields,
    )


def _check_parent(initiative: Initiative | None, parent: Initiative | None, plan: Plan) -> None:
    if parent is None:
        return
    if parent.plan.kind != PlanKind.STRATEGIC:
        raise ValidationError({"parent": "A parent initiative must be a strategic initiative."})
    if plan.kind == PlanKind.STRATEGIC:
        raise ValidationError(
            {
                "parent": "A strategic initiative delegates to initiatives in other plans, not to one in the strategic plan."
            }
        )
    seen: set[int] = set()
    node: Initiative | None = parent
    while node is not None:
        if (initiative is not None and node.pk == initiative.pk) or node.pk in seen:
            raise ValidationError({"parent": "That parent would make a loop."})
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def initiative_draft_create(
    *, actor: Actor, plan: Plan, data: dict[str, Any], parent: Initiative | None = None
) -> Initiative:
    """A draft initiative in `plan` (improvement.add_initiative), numbered INI-0001..., audited; no
    timeline entry yet and no origins (callers add them: `initiatives.initiative_create`, and the
    register when it accepts an entry into a new initiative)."""
    require(actor, "improvement.add_initiative", plan)
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValueError(f"unknown initiative field(s): {', '.join(sorted(unknown))}")
    data = dict(data)
    parent = parent if parent is not None else data.pop("parent", None)
    _check_parent(None, parent, plan)
    initiative = model_create(
        actor=actor,
        model=Initiative,
        data={
            **data,
            "plan": plan,
            "parent": parent,
            "number": next_number(Initiative, "INI"),
            "created_by": _user(actor),
        },
    )
    if initiative.scope or initiative.budget_requested:  # the creator set terms an approver will decide on
        terms_changed(actor=actor, initiative=initiative)
    return initiative


def terms_changed(*, actor: Actor, initiative: Initiative) -> None:
    """Record that `actor` changed the initiative's terms: the last to change them, and one of the
    people who changed them since the last approval (none of whom may approve or fund them)."""
    current = Initiative.objects.select_for_update().get(pk=initiative.pk)
    authors = list(current.terms_authors or [])
    user = _user(actor)
    if user is not None and user.pk not in authors:
        authors.append(user.pk)
    Initiative.objects.filter(pk=initiative.pk).update(
        terms_changed_by=user, terms_changed_at=timezone.now(), terms_authors=authors
    )
    initiative.refresh_from_db(fields=["terms_changed_by", "terms_changed_at", "terms_authors"])


def approved_terms(initiative: Initiative) -> dict[str, Any]:
    """What an approval covers: the scope, the budget asked, and each objective's KPI, target and date."""
    objectives = sorted(
        (
            o.title,
            o.kpi_kind,
            o.standard_id,
            o.measure,
            o.service_id,
            o.target_value,
            o.due_date.isoformat() if o.due_date else None,
            o.unit,
            o.source_key,
        )
        for o in initiative.objectives.all()
    )
    return {
        "scope": initiative.scope,
        "budget_requested": str(Decimal(initiative.budget_requested or 0).quantize(Decimal("0.01"))),
        "objectives": [list(o) for o in objectives],
    }
