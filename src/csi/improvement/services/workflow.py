"""The one transition function of initiatives (DESIGN convention 1): it checks the transition table,
the version the actor saw, the actor's right to take the action, and the action's own conditions;
then stamps who and when, appends the timeline entry, writes the audit event and notifies the people
who act next, all in one transaction. A refused transition changes nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.services import Actor, audit_record, notify, snapshot
from csi.improvement.choices import INITIATIVE_TRANSITIONS, InitiativeState, Outcome
from csi.improvement.models import Initiative
from csi.improvement.permissions import STEERING, needs_steering, transition_refusal
from csi.improvement.services.common import stale_check
from csi.improvement.services.drafts import approved_terms, timeline_add
from csi.improvement.smart import blocking

S = InitiativeState


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _money(amount: Any) -> Decimal:
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": f"'{amount}' is not an amount of money."}) from exc
    if value.is_nan() or value < 0 or value >= Decimal("1e12"):
        raise ValidationError({"amount": "The amount must be between 0 and 999,999,999,999.99."})
    return value


def deciders(initiative: Initiative, action: str = "approve") -> list[Any]:
    """Who decides on the initiative's approval (or, with action "fund", funding) now: steering
    committee members, or the plan's owner."""
    if needs_steering(initiative, action):
        return list(get_user_model().objects.filter(groups__name=STEERING, is_active=True))
    return [initiative.plan.owner] if initiative.plan.owner_id else []


@transaction.atomic
def initiative_transition(
    *,
    actor: Actor,
    initiative: Initiative,
    action: str,
    reason: str = "",
    amount: Any = None,
    outcome: str = "",
    version: int | None = None,
) -> Initiative:
    """Take `action` (a key of INITIATIVE_TRANSITIONS) on the initiative. Who may is judged on the stored
    initiative alone; `amount` is taken by fund only and `outcome` by close only (a ValidationError
    for any other action). Raises ValueError for an unknown action, ConflictError (409) for a wrong state or a stale version, PermissionDenied for the
    wrong person (the message says who may), ValidationError for missing input; nothing changes then."""
    transition = INITIATIVE_TRANSITIONS.get(action)
    if transition is None:
        raise ValueError(f"unknown action '{action}' (use one of: {', '.join(INITIATIVE_TRANSITIONS)})")
    initiative = Initiative.objects.select_for_update().select_related("plan").get(pk=initiative.pk)
    stale_check(initiative, version)
    if initiative.state not in transition.sources:
        allowed = ", ".join(sorted(S(s).label.lower() for s in transition.sources))
        raise ConflictError(
            f"Cannot {action.replace('-', ' ')} {initiative.number}: it is {initiative.get_state_display().lower()}, "
            f"and {action.replace('-', ' ')} needs it {allowed}."
        )
    if action != "fund" and amount not in (None, ""):
        raise ValidationError({"amount": f"Only fund takes an amount; {action.replace('-', ' ')} does not."})
    if action != "close" and outcome:
        raise ValidationError(
            {"outcome": f"Only close takes an outcome; {action.replace('-', ' ')} does not."}
        )
    money = _money(amount) if amount not in (None, "") else None
    refusal = transition_refusal(actor, initiative, action)
    if refusal:
        raise PermissionDenied(refusal)
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": f"Say why ({action.replace('-', ' ')} needs a reason)."})
    before = snapshot(initiative)
    now = timezone.now()
    fields: dict[str, Any] = {"state": transition.target}
    if action == "propose":
        objectives = list(initiative.objectives.select_related("initiative__plan"))
        problems = [p for o in objectives for p in blocking(o)]
        if not objectives:
            problems.append("add at least one objective (where do we want to be?)")
        if problems:
            raise ValidationError(
                {"objectives": [f"Cannot propose {initiative.number}: {p}." for p in problems]}
            )
        fields.update(proposed_by=_user(actor), proposed_at=now)
    elif action == "approve":
        fields.update(approved_by=_user(actor), approved_at=now, approved_terms=approved_terms(initiative))
    elif action == "request-budget":
        if not initiative.budget_requested:
            raise ValidationError(
                {"budget_requested": "Set the budget to request in the business case first."}
            )
        requesters = list(initiative.budget_requesters or [])
        requester = _user(actor)
        if requester is not None and requester.pk not in requesters:
            requesters.append(requester.pk)
        fields.update(budget_requested_by=_user(actor), budget_requesters=requesters)
    elif action == "fund":
        if money is None or money <= 0:
            raise ValidationError({"amount": "Give the approved amount."})
        if money > initiative.budget_requested:
            raise ValidationError(
                {"amount": f"{money} is more than the {initiative.budget_requested} requested."}
            )
        fields.update(budget_approved=money, funded_by=_user(actor), funded_at=now)
    elif action == "start":
        if initiative.state == S.APPROVED and initiative.budget_requested:
            raise ConflictError(
                f"{initiative.number} asks for a budget of {initiative.budget_requested}: request it and get it "
                "funded before starting (or set the budget to 0 in the business case, which needs a new approval)."
            )
        fields.update(started_at=now)
    elif action == "implement":
        fields.update(implemented_at=now, percent_complete=100)
    elif action == "close":
        if outcome not in Outcome.values:
            raise ValidationError({"outcome": f"Give the outcome: {', '.join(Outcome.values)}."})
        fields.update(outcome=outcome, closed_at=now)
    if transition.needs_reason:
        fields.update(state_reason=reason)
    for name, value in fields.items():
        setattr(initiative, name, value)
    initiative.version += 1
    initiative.save()
    timeline_add(
        actor=actor,
        initiative=initiative,
        action=action,
        from_state=before["state"],
        to_state=transition.target,
        note=reason or (Outcome(outcome).label if outcome else ""),
        amount=money,
    )
    audit_record(
        actor=actor, verb=action, obj=initiative, before=before, after=snapshot(initiative), scope=initiative
    )
    _notify(actor, initiative, action, reason)
    return initiative


def send_back_for_approval(*, actor: Actor, initiative: Initiative) -> None:
    """After approval, objectives, scope or budget changed: the initiative is proposed again and the
    approval stamps are cleared, so the approver decides on the new terms."""
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    before = snapshot(initiative)
    initiative.state = S.PROPOSED
    initiative.approved_by, initiative.approved_at, initiative.approved_terms = None, None, None
    initiative.budget_approved, initiative.funded_by, initiative.funded_at = None, None, None
    initiative.version += 1
    initiative.save()
    note = "Objectives, scope or budget changed after approval: it needs a new approval."
    timeline_add(
        actor=actor,
        initiative=initiative,
        action="re-approval",
        from_state=before["state"],
        to_state=S.PROPOSED,
        note=note,
    )
    audit_record(
        actor=actor,
        verb="re-approval",
        obj=initiative,
        before=before,
        after=snapshot(initiative),
        scope=initiative,
    )
    _notify(actor, initiative, "re-approval", note)


def _notify(actor: Actor, initiative: Initiative, action: str, reason: str) -> None:
    try:
        url = reverse("improvement:initiative", args=[initiative.number])
    except NoReverseMatch:  # the app's pages are not mounted (e.g. an API-only deployment)
        url = ""
    people: list[Any]
    if action in {"propose", "re-approval"}:
        people, what = deciders(initiative), "waits for your approval"
    elif action == "request-budget":
        people, what = deciders(initiative, "fund"), "asks you for funding"
    else:
        people = [initiative.owner, initiative.plan.owner, initiative.proposed_by, initiative.created_by]
        what = f"was {S(initiative.state).label.lower()}" if action != "status" else "has a status update"
    notify(
        recipients=[p for p in people if p is not None],
        title=f"{initiative.number} {initiative.title} {what}",
        body=reason,
        url=url,
        verb=action,
        scope=f"improvement.initiative:{initiative.pk}",
        exclude=_user(actor),
    )
