"""Writes of the CSI register: priority weights, raising and editing entries, and the one transition
function of an entry. Evidence (analytics results frozen when attached) is in `evidence.py`.

Every function checks the actor's permission first, validates before it writes, runs in one
transaction and is audited in the entry's history, so a refused call changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.permissions import require
from csi.core.services import Actor, audit_record, model_create, model_update, snapshot
from csi.improvement.choices import (
    OPEN_STATES,
    OPPORTUNITY_TRANSITIONS,
    InitiativeState,
    OpportunityState,
    PlanKind,
)
from csi.improvement.models import Initiative, Opportunity, Plan, PriorityWeights
from csi.improvement.services.common import bump_version, next_number, stale_check, versioned_update
from csi.improvement.services.drafts import initiative_draft_create, timeline_add

# Decided entries are history: their fields and evidence stay as they were when the decision was taken.
FINAL_STATES = frozenset({OpportunityState.ACCEPTED, OpportunityState.REJECTED, OpportunityState.DUPLICATE})
WEIGHT_FIELDS = ("impact", "urgency", "benefit", "effort")
OPPORTUNITY_FIELDS = {
    "title", "source", "service", "service_id", "process", "process_id", "description", "size",
    "timescale", "kpi", "standard", "standard_id", "justification", "impact", "urgency", "effort",
    "benefit", "expected_benefit", "actioned_by", "actioned_by_id", "required_by_date",
}  # fmt: skip
# Who raised an entry and when are facts of its history: given once, never edited.
RAISE_FIELDS = OPPORTUNITY_FIELDS | {"raised_at", "raised_by", "raised_by_id"}
STATE_FIELDS = (
    "state", "state_reason", "duplicate_of_id", "deferred_until_date", "initiative_id", "decided_by_id",
    "decided_at", "version",
)  # fmt: skip
# What a transition may write (the model's names; STATE_FIELDS are the same by attribute name).
TRANSITION_FIELDS = (
    "state", "state_reason", "duplicate_of", "deferred_until_date", "initiative", "decided_by", "decided_at",
)  # fmt: skip


def _user(actor: Actor) -> Any:
    """The user to stamp (raised_by, decided_by): None for the CLI's system actor or an anonymous one."""
    is_user = getattr(actor, "pk", None) is not None and getattr(actor, "is_authenticated", False)
    return actor if is_user else None


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


def _score(weights: PriorityWeights, source: Any) -> float:
    """The entry's priority score under `weights`; 0 while a level is not a number (validation then
    refuses the entry anyway)."""
    try:
        levels = [int(getattr(source, name)) for name in ("impact", "urgency", "benefit", "effort")]
    except (TypeError, ValueError):
        return 0.0
    return weights.score(*levels)


# --- Priority weights -------------------------------------------------------------------------------


@transaction.atomic
def weights_get() -> PriorityWeights:
    """The register's one row of priority weights, created with the defaults the first time."""
    weights = PriorityWeights.objects.order_by("pk").first()
    return weights if weights is not None else PriorityWeights.objects.create()


@transaction.atomic
def weights_update(*, actor: Actor, data: dict[str, Any]) -> PriorityWeights:
    """Change the priority weights (administrators; each 0..10, not all 0) and recompute the score of
    every register entry with them, in bulk. Audited; a refused change stores nothing."""
    require(actor, "improvement.manage_weights")
    _check_fields(data, set(WEIGHT_FIELDS))
    # PriorityWeights.clean compares the values with numbers, so they must be whole numbers first.
    numbers, errors = {}, {}
    for name, value in data.items():
        try:
            numbers[name] = int(str(value).strip())
        except (TypeError, ValueError):
            errors[name] = f"'{value}' is not a whole number."
    if errors:
        raise ValidationError(errors)
    weights = PriorityWeights.objects.select_for_update().get(pk=weights_get().pk)
    weights = model_update(actor=actor, instance=weights, data=numbers)
    changed = []
    for entry in Opportunity.objects.only("pk", "score", *WEIGHT_FIELDS).iterator(chunk_size=1000):
        score = _score(weights, entry)
        if score != entry.score:
            entry.score = score
            changed.append(entry)
    Opportunity.objects.bulk_update(changed, ["score"], batch_size=500)
    return weights


# --- Entries ----------------------------------------------------------------------------------------


@transaction.atomic
def opportunity_raise(*, actor: Actor, data: dict[str, Any]) -> Opportunity:
    """Raise a register entry (any role but viewer): numbered CSI-0001..., raised by the actor (a system
    actor may name who raised it), raised now unless `raised_at` says when, state new, scored with the
    current weights. ValidationError for bad input, with nothing stored. Audited."""
    require(actor, "improvement.raise_opportunity")
    _check_fields(data, RAISE_FIELDS)
    user = _user(actor)
    fields = dict(data)
    if user is not None:
        named = [fields.pop(name) for name in ("raised_by", "raised_by_id") if name in fields]
        if any(n is not None and getattr(n, "pk", n) != user.pk for n in named):
            raise ValidationError({"raised_by": "You raise an entry in your own name."})
        fields["raised_by"] = user
    fields.setdefault("raised_at", timezone.now())
    fields["number"] = next_number(Opportunity, "CSI")
    fields["score"] = _score(weights_get(), Opportunity(**fields))
    # Audited by model_create in the entry's own scope: the entry is its own history.
    return model_create(actor=actor, model=Opportunity, data=fields)


def _locked(opportunity: Opportunity) -> Opportunity:
    return (
        Opportunity.objects.select_for_update(of=("self",))
        .select_related("service", "process")
        .get(pk=opportunity.pk)
    )


def _may(actor: Actor, perm: str, obj: Any) -> bool:
    try:
        require(actor, perm, obj)
    except (PermissionDenied, AttributeError):
        return False
    return True


def _refuse_if_final(opportunity: Opportunity, what: str) -> None:
    if opportunity.state in FINAL_STATES:
        raise ConflictError(
            f"{opportunity.number} is {opportunity.get_state_display().lower()}: a decided entry's {what} as "
            "it was when it was decided. Raise a new entry instead.",
            field="state",
        )


@transaction.atomic
def opportunity_update(
    *, actor: Actor, opportunity: Opportunity, data: dict[str, Any], version: int | None
) -> Opportunity:
    """Change an entry's fields (not its state, number, or who raised it when) as seen at `version`:
    whoever raised it while it is new, and whoever may assess it. Refused (ConflictError) once the entry
    is accepted, rejected or a duplicate, and when someone saved it since `version`. The score follows
    the new levels. Audited with before/after."""
    current = _locked(opportunity)
    require(actor, "improvement.change_opportunity", current)
    _check_fields(data, OPPORTUNITY_FIELDS)
    _refuse_if_final(current, "fields stay")
    updated = versioned_update(actor=actor, instance=current, data=data, version=version, scope=current)
    score = _score(weights_get(), updated)
    if score != updated.score:
        Opportunity.objects.filter(pk=updated.pk).update(score=score)
        updated.score = score
    return updated


def _check_duplicate_of(opportunity: Opportunity, duplicate_of: Opportunity | None) -> None:
    """The entry duplicated must exist and must not be this entry or (through a chain of duplicates)
    a duplicate of it: following duplicate_of from any entry must always end."""
    if duplicate_of is None:
        raise ValidationError({"duplicate_of": "Say which entry this one duplicates."})
    if duplicate_of.pk == opportunity.pk:
        raise ValidationError({"duplicate_of": f"{opportunity.number} cannot duplicate itself."})
    if duplicate_of.pk is None or not Opportunity.objects.filter(pk=duplicate_of.pk).exists():
        raise ValidationError({"duplicate_of": "That entry does not exist."})
    seen: set[int] = set()
    target: int | None = duplicate_of.pk
    while target is not None and target not in seen:
        if target == opportunity.pk:
            raise ValidationError(
                {"duplicate_of": f"{duplicate_of.number} is itself a duplicate of {opportunity.number}."}
            )
        seen.add(target)
        target = Opportunity.objects.filter(pk=target).values_list("duplicate_of_id", flat=True).first()


def _join(actor: Actor, initiative: Initiative, plan: Plan | None) -> Initiative:
    initiative = Initiative.objects.select_related("plan").get(pk=initiative.pk)
    if plan is not None and initiative.plan_id != plan.pk:
        raise ValidationError({"initiative": f"{initiative.number} is not in the plan '{plan}'."})
    if not _may(actor, "improvement.change_initiative", initiative):
        raise PermissionDenied(
            f"You may not add entries to {initiative.number}: only its owner, whoever created it, "
            f"or the owner or maintainer of the plan '{initiative.plan}' may."
        )
    if initiative.state not in OPEN_STATES:
        raise ConflictError(
            f"{initiative.number} is {initiative.get_state_display().lower()}: an entry can only join an "
            "open initiative. Accept it into a new initiative instead.",
            field="initiative",
        )
    return initiative


def _check_coverage(opportunity: Opportunity, plan: Plan) -> None:
    """An entry goes into a plan that covers its service or process: the strategic plan covers
    everything, and an entry about neither fits any plan."""
    if plan.kind == PlanKind.STRATEGIC or not (opportunity.service_id or opportunity.process_id):
        return
    if opportunity.service_id and plan.services.filter(pk=opportunity.service_id).exists():
        return
    if opportunity.process_id and plan.processes.filter(pk=opportunity.process_id).exists():
        return
    named = [
        f"{what} '{obj}'"
        for what, obj in (("service", opportunity.service), ("process", opportunity.process))
        if obj is not None
    ]
    raise ValidationError(
        {
            "plan": f"Plan '{plan}' does not cover {' or '.join(named)}; choose a plan that covers it "
            "(or add it to the plan's scope), or the strategic plan."
        }
    )


def _create_initiative(actor: Actor, opportunity: Opportunity, plan: Plan, title: str) -> Initiative:
    limit = Initiative._meta.get_field("summary").max_length or 5_000
    initiative = initiative_draft_create(
        actor=actor,
        plan=plan,
        data={"title": (title.strip() or opportunity.title), "summary": opportunity.description[:limit]},
    )  # the caller links the entry as it records its acceptance
    timeline_add(actor=actor, initiative=initiative, action="create", to_state=InitiativeState.DRAFT)
    return initiative


@transaction.atomic
def opportunity_transition(
    *,
    actor: Actor,
    opportunity: Opportunity,
    action: str,
    reason: str = "",
    duplicate_of: Opportunity | None = None,
    deferred_until_date: date | None = None,
    plan: Plan | None = None,
    initiative: Initiative | None = None,
    initiative_title: str = "",
    version: int | None = None,
) -> Opportunity:
    """Take `action` (a key of OPPORTUNITY_TRANSITIONS) on the entry: the only way its state changes.

    Refusals, with nothing changed: ValueError for an unknown action; PermissionDenied unless the actor
    may assess the entry; ConflictError for a stale `version` or a state the action does not start
    from; ValidationError for missing input (reject: `reason`; mark-duplicate: `duplicate_of`, neither
    the entry nor a duplicate of it; defer: a future `deferred_until_date`; accept: `initiative` to join
    (the actor must be able to change it, and it must be open) or `plan` to create one in, titled
    `initiative_title` or the entry's title; either way the plan must cover the entry's service or
    process, unless it is the strategic plan or the entry is about neither). Stamps decided_by/decided_at
    and state_reason, bumps the version, and writes an audit event whose verb is the action, with the
    state fields before/after."""
    transition = OPPORTUNITY_TRANSITIONS.get(action)
    if transition is None:
        raise ValueError(f"unknown action '{action}' (use one of: {', '.join(OPPORTUNITY_TRANSITIONS)})")
    current = _locked(opportunity)
    if not _may(actor, "improvement.assess_opportunity", current):
        raise PermissionDenied(
            f"You may not {transition.label.lower()} {current.number}: only the owner of its service or "
            "process, the owner or maintainer of a plan covering them, or the service strategy manager may."
        )
    stale_check(current, version)
    if current.state not in transition.sources:
        needed = " or ".join(sorted(OpportunityState(s).label.lower() for s in transition.sources))
        raise ConflictError(
            f"Cannot {transition.label.lower()} {current.number}: it is "
            f"{current.get_state_display().lower()}, and '{action}' needs it {needed}.",
            field="state",
        )
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": f"Say why you {action.replace('-', ' ')} {current.number}."})
    before = snapshot(current, STATE_FIELDS)
    if action == "mark-duplicate":
        _check_duplicate_of(current, duplicate_of)
        current.duplicate_of = duplicate_of
    elif action == "defer":
        if deferred_until_date is None or deferred_until_date <= timezone.localdate():
            raise ValidationError({"deferred_until_date": "Say until when, a date after today."})
        current.deferred_until_date = deferred_until_date
    elif action == "reopen":
        current.deferred_until_date = None
    elif action == "accept":
        if initiative is not None:
            joined = _join(actor, initiative, plan)
            _check_coverage(current, joined.plan)
            current.initiative = joined
        elif plan is not None:
            _check_coverage(current, plan)
            current.initiative = _create_initiative(actor, current, plan, initiative_title)
        else:
            raise ValidationError(
                {"plan": "Name the plan to create an initiative in, or an initiative to join."}
            )
    current.state = transition.target
    current.state_reason = reason
    current.decided_by = _user(actor)
    current.decided_at = timezone.now()
    current.save(update_fields=[*TRANSITION_FIELDS, "updated_at"])
    bump_version(current)
    audit_record(
        actor=actor,
        verb=action,
        obj=current,
        before=before,
        after=snapshot(current, STATE_FIELDS),
        scope=current,
    )
    return current
