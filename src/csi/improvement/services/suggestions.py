"""Suggestions for strategic initiatives: anyone who may raise register entries suggests one (from a
register entry, an initiative or a service review); the service strategy manager accepts it, creating
the initiative in the strategic plan, or declines it with a reason.

Every function checks the actor's permission first, validates before it writes, runs in one
transaction, is audited in the suggestion's history and notifies the people who act next, so a
refused call changes nothing and notifies nobody."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.permissions import require
from csi.core.services import Actor, audit_record, model_create, notify, snapshot
from csi.improvement.choices import ASSESSABLE, FINAL_STATES, PlanKind, SuggestionState
from csi.improvement.models import Initiative, Plan, Suggestion
from csi.improvement.permissions import STRATEGY_MANAGER
from csi.improvement.services.common import bump_version
from csi.improvement.services.initiatives import initiative_create

ORIGIN_FIELDS = ("opportunity", "initiative", "review_reference")
SUGGESTION_FIELDS = frozenset({"title", "description", *ORIGIN_FIELDS})
# What a decision writes, and what its audit event shows before and after.
DECISION_FIELDS = ("state", "decided_by", "decided_at", "decline_reason", "created_initiative")
DECISION_SNAPSHOT = ("state", "decided_by_id", "decided_at", "decline_reason", "created_initiative_id")


def _user(actor: Actor) -> Any:
    """The user to stamp (suggested_by, decided_by): None for the CLI's system actor or an anonymous one."""
    is_user = getattr(actor, "pk", None) is not None and getattr(actor, "is_authenticated", False)
    return actor if is_user else None


def _url(suggestion: Suggestion) -> str:
    try:
        return reverse("improvement:suggestion", kwargs={"pk": suggestion.pk})
    except NoReverseMatch:  # the app's pages are not mounted (e.g. an API-only deployment)
        return ""


def strategy_managers() -> list[Any]:
    """The active users holding the service strategy manager role: they decide on suggestions."""
    return list(get_user_model().objects.filter(groups__name=STRATEGY_MANAGER, is_active=True).distinct())


@transaction.atomic
def suggestion_create(*, actor: Actor, data: dict[str, Any]) -> Suggestion:
    """Suggest a strategic initiative (improvement.suggest: any role but viewer): `title`,
    `description` and at least one origin among `opportunity` (a register entry), `initiative` and
    `review_reference` (the service review, as text). Open, suggested by the actor. ValidationError for
    bad input, with nothing stored. Audited; every active service strategy manager is notified."""
    require(actor, "improvement.suggest")
    unknown = sorted(set(data) - SUGGESTION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))
    fields = dict(data)
    if isinstance(fields.get("review_reference"), str):
        fields["review_reference"] = fields["review_reference"].strip()
    suggestion = model_create(actor=actor, model=Suggestion, data={**fields, "suggested_by": _user(actor)})
    notify(
        recipients=strategy_managers(),
        title=f"New strategic suggestion: {suggestion.title}",
        body=suggestion.description,
        url=_url(suggestion),
        verb="suggest",
        scope=suggestion,
        exclude=_user(actor),
    )
    return suggestion


def _decidable(actor: Actor, suggestion: Suggestion, verb: str) -> Suggestion:
    """The suggestion as stored, locked for this transaction, once the actor may decide on it and it is
    still open."""
    try:
        require(actor, "improvement.decide_suggestion", suggestion)
    except (PermissionDenied, AttributeError):  # AttributeError: no actor at all
        raise PermissionDenied(f"Only the service strategy manager may {verb} a suggestion.") from None
    current = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("opportunity", "initiative__plan", "suggested_by")
        .get(pk=suggestion.pk)
    )
    if current.state != SuggestionState.OPEN:
        raise ConflictError(
            f"Cannot {verb} the suggestion '{current}': it is already {current.get_state_display().lower()}.",
            field="state",
        )
    return current


def _strategic_plan(plan: Plan | None) -> Plan:
    """The plan named, which must be strategic; otherwise the one strategic plan there is."""
    if plan is not None:
        if plan.kind != PlanKind.STRATEGIC:
            raise ValidationError(
                {
                    "plan": f"'{plan}' is a {plan.get_kind_display().lower()}: an accepted suggestion "
                    "becomes an initiative of the strategic plan."
                }
            )
        return plan
    found = list(Plan.objects.filter(kind=PlanKind.STRATEGIC).order_by("pk")[:2])
    if not found:
        raise ValidationError({"plan": "There is no strategic plan yet: create it first."})
    if len(found) > 1:
        raise ValidationError({"plan": "There are several strategic plans: say which one to use."})
    return found[0]


def _summary(suggestion: Suggestion, notes: list[str]) -> str:
    """The suggestion's description, followed by where it came from, within the summary's length."""
    limit = Initiative._meta.get_field("summary").max_length or 5_000
    tail = "".join(f"\n\n{note}" for note in notes)
    room = limit - len(tail)
    text = suggestion.description.strip()
    if len(text) > room:
        text = text[: room - 1] + "…"
    return (text + tail)[:limit]


def _delegate(actor: Actor, origin: Initiative, strategic: Initiative) -> bool:
    """Make `origin` carry out part of the new strategic initiative, unless it already has a parent,
    is itself strategic (a strategic initiative delegates to other plans only) or is finished. Audited
    in the origin's history. True when the link was made."""
    origin = Initiative.objects.select_for_update().select_related("plan").get(pk=origin.pk)
    if origin.parent_id is not None or origin.plan.kind == PlanKind.STRATEGIC or origin.state in FINAL_STATES:
        return False
    before = snapshot(origin, ["parent_id"])
    Initiative.objects.filter(pk=origin.pk).update(parent=strategic)
    bump_version(origin)
    origin.parent = strategic
    audit_record(
        actor=actor,
        verb="update",
        obj=origin,
        before=before,
        after=snapshot(origin, ["parent_id"]),
        scope=origin,
    )
    return True


def _decide(actor: Actor, suggestion: Suggestion, verb: str, **fields: Any) -> Suggestion:
    before = snapshot(suggestion, DECISION_SNAPSHOT)
    for name, value in {**fields, "decided_by": _user(actor), "decided_at": timezone.now()}.items():
        setattr(suggestion, name, value)
    suggestion.save(update_fields=list(DECISION_FIELDS))
    audit_record(
        actor=actor,
        verb=verb,
        obj=suggestion,
        before=before,
        after=snapshot(suggestion, DECISION_SNAPSHOT),
        scope=suggestion,
    )
    return suggestion


@transaction.atomic
def suggestion_accept(
    *, actor: Actor, suggestion: Suggestion, plan: Plan | None = None, title: str | None = None
) -> Suggestion:
    """Accept an open suggestion (improvement.decide_suggestion: the service strategy manager): a draft
    initiative is created in the strategic plan (`plan`, which must be strategic, or the only strategic
    plan there is), titled `title` or the suggestion's title, its summary the description and where the
    suggestion came from. A register entry it came from becomes the initiative's origin, unless the
    entry already belongs to an initiative (decided entries keep their history; the summary names it).
    An initiative it came from, in another plan and with no parent yet, now carries out part of the new
    strategic initiative. Stamps the decision and the created initiative; audited; the suggester is
    notified. Refusals, with nothing changed: PermissionDenied, ConflictError (not open),
    ValidationError (plan)."""
    current = _decidable(actor, suggestion, "accept")
    strategic_plan = _strategic_plan(plan)
    origins, notes = [], []
    entry = current.opportunity
    if entry is not None:
        if entry.initiative_id is None and entry.state in ASSESSABLE:
            origins.append(entry)  # accepted into the new initiative
        else:
            notes.append(f"Suggested from register entry {entry.number} {entry.title}.")
    source = current.initiative
    if source is not None:
        notes.append(f"Suggested from initiative {source.number} {source.title} (plan '{source.plan}').")
    if current.review_reference:
        notes.append(f"Suggested from the service review {current.review_reference}.")
    limit = Initiative._meta.get_field("title").max_length or 200
    created = initiative_create(
        actor=actor,
        plan=strategic_plan,
        data={"title": ((title or "").strip() or current.title)[:limit], "summary": _summary(current, notes)},
        origins=origins,
    )
    if source is not None:
        _delegate(actor, source, created)
    _decide(
        actor,
        current,
        "accept",
        state=SuggestionState.ACCEPTED,
        decline_reason="",
        created_initiative=created,
    )
    notify(
        recipients=[current.suggested_by],
        title=f"Your suggestion '{current.title}' was accepted as {created.number}",
        body=f"It is now a draft initiative of the strategic plan '{strategic_plan}'.",
        url=_url(current),
        verb="accept",
        scope=current,
        exclude=_user(actor),
    )
    return current


@transaction.atomic
def suggestion_decline(*, actor: Actor, suggestion: Suggestion, reason: str) -> Suggestion:
    """Decline an open suggestion with a reason (improvement.decide_suggestion). Stamps the decision;
    audited; the suggester is notified with the reason. Refusals, with nothing changed:
    PermissionDenied, ConflictError (not open), ValidationError (no reason)."""
    current = _decidable(actor, suggestion, "decline")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the suggestion is declined."})
    limit = Suggestion._meta.get_field("decline_reason").max_length or 2_000
    if len(reason) > limit:
        raise ValidationError({"reason": f"Keep the reason under {limit} characters."})
    _decide(
        actor,
        current,
        "decline",
        state=SuggestionState.DECLINED,
        decline_reason=reason,
        created_initiative=None,
    )
    notify(
        recipients=[current.suggested_by],
        title=f"Your suggestion '{current.title}' was declined",
        body=reason,
        url=_url(current),
        verb="decline",
        scope=current,
        exclude=_user(actor),
    )
    return current
