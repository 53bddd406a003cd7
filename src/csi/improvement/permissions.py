"""Who may do what in the improvement app (django-rules), and why a transition is refused.

Reading the register, plans and initiatives needs a sign-in. Raising an opportunity needs any role but
viewer. Assessing an entry is for the owner of its service or process, the owners and maintainers of
the plans that cover them, and the service strategy manager. A plan is changed by its owner and
maintainer; an initiative also by its own owner and whoever created it. Approvals and funding follow
YaSM: the plan owner decides within the plan's budget limit, the steering committee above it and for
the strategic plan; nobody approves or funds what they proposed. Administrators manage the priority
weights and create plans, but make no business decisions by default.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import rules

from csi.core.permissions import has_role, is_administrator
from csi.improvement.choices import PLAN_OWNER_ROLE, PlanKind

STEERING = "steering-committee"
STRATEGY_MANAGER = "service-strategy-manager"
OWNER_ROLES = frozenset({*PLAN_OWNER_ROLE.values(), STRATEGY_MANAGER}) - {STEERING}


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _is(user: Any, other_id: int | None) -> bool:
    return bool(_active(user) and other_id is not None and getattr(user, "pk", None) == other_id)


@rules.predicate
def is_signed_in(user: Any) -> bool:
    return _active(user)


@rules.predicate
def can_raise(user: Any) -> bool:
    """Any role but viewer (a user with no role at all only reads)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    roles = set(user.groups.values_list("name", flat=True))
    return bool(roles - {"viewer"})


def plan_editors(plan: Any) -> set[int]:
    return {i for i in (plan.owner_id, plan.maintainer_id) if i is not None}


@rules.predicate
def can_change_plan(user: Any, plan: Any) -> bool:
    if plan is None:
        return False
    if is_administrator(user) or any(_is(user, i) for i in plan_editors(plan)):
        return True
    return plan.kind == PlanKind.STRATEGIC and has_role(user, STRATEGY_MANAGER)


def can_create_plan(user: Any, kind: str) -> bool:
    """Administrators and the service strategy manager create any plan; an owner role its own kind."""
    if is_administrator(user) or has_role(user, STRATEGY_MANAGER):
        return True
    role = PLAN_OWNER_ROLE.get(kind)
    return role is not None and kind != PlanKind.STRATEGIC and has_role(user, role)


@rules.predicate
def can_add_initiative(user: Any, plan: Any) -> bool:
    if plan is None:
        return False
    if any(_is(user, i) for i in plan_editors(plan)):
        return True
    return plan.kind == PlanKind.STRATEGIC and has_role(user, STRATEGY_MANAGER)


@rules.predicate
def can_change_initiative(user: Any, initiative: Any) -> bool:
    if initiative is None:
        return False
    if _is(user, initiative.owner_id) or _is(user, initiative.created_by_id):
        return True
    return bool(can_add_initiative(user, initiative.plan))


@rules.predicate
def can_assess(user: Any, opportunity: Any) -> bool:
    """The owners of the entry's service or process, the owners and maintainers of the plans covering
    them, and the service strategy manager; an entry about neither, any holder of an owner role."""
    if opportunity is None or not _active(user):
        return False
    if has_role(user, STRATEGY_MANAGER):
        return True
    from csi.improvement.models import Plan

    covering = Plan.objects.none()
    if opportunity.service_id:
        if opportunity.service.owner_id == user.pk:
            return True
        covering = Plan.objects.filter(services=opportunity.service_id)
    if opportunity.process_id:
        if opportunity.process.owner_id == user.pk:
            return True
        covering = covering | Plan.objects.filter(processes=opportunity.process_id)
    if covering.filter(owner=user).exists() or covering.filter(maintainer=user).exists():
        return True
    if not opportunity.service_id and not opportunity.process_id:
        return any(has_role(user, role) for role in OWNER_ROLES)
    return False


@rules.predicate
def can_change_opportunity(user: Any, opportunity: Any) -> bool:
    if opportunity is None:
        return False
    if _is(user, opportunity.raised_by_id) and opportunity.state == "new":
        return True
    return bool(can_assess(user, opportunity))


@rules.predicate
def can_decide_suggestion(user: Any, suggestion: Any = None) -> bool:
    return has_role(user, STRATEGY_MANAGER)


def needs_steering(initiative: Any, action: str = "") -> bool:
    """Strategic initiatives, and budgets above the plan owner's limit, are the steering committee's;
    so is a decision the plan owner may not take because they proposed the initiative, last changed
    its terms (approve, reject, fund, decline-budget) or requested its budget (fund, decline-budget).
    Judged on the stored initiative alone (its requested budget), never on what a request sends."""
    plan = initiative.plan
    if plan.kind == PlanKind.STRATEGIC or _above_limit(initiative):
        return True
    if plan.owner_id is None or action not in SELF_EXCLUDED:
        return False
    return plan.owner_id in _excluded(initiative, action)


def _above_limit(initiative: Any) -> bool:
    asked = initiative.budget_requested
    return bool(asked and asked > initiative.plan.budget_limit)


def _excluded(initiative: Any, action: str) -> set[int]:
    """Who may not decide `action` on the initiative: who proposed it, everyone who changed its terms,
    and for funding everyone who requested its budget."""
    people = {initiative.proposed_by_id, initiative.terms_changed_by_id, *(initiative.terms_authors or [])}
    if action in FUNDING:
        people |= {initiative.budget_requested_by_id, *(initiative.budget_requesters or [])}
    return {p for p in people if p is not None}


SELF_EXCLUDED = frozenset({"approve", "reject", "fund", "decline-budget"})
FUNDING = frozenset({"fund", "decline-budget"})


def transition_refusal(user: Any, initiative: Any, action: str) -> str | None:
    """None when `user` may take `action` on the initiative (whatever its state), else why not. Judged
    on the stored initiative: the body of a request decides nothing here."""
    if not _active(user):
        return "Sign in first."
    if getattr(user, "is_superuser", False) and getattr(user, "pk", None) is None:
        return None  # the CLI's system actor
    plan = initiative.plan
    if action in SELF_EXCLUDED or action == "close":
        if action in SELF_EXCLUDED and _is(user, initiative.proposed_by_id):
            return "You proposed this initiative: someone else must approve or fund it."
        if (
            action in SELF_EXCLUDED
            and _active(user)
            and (user.pk == initiative.terms_changed_by_id or user.pk in (initiative.terms_authors or []))
        ):
            return (
                "You changed this initiative's terms (objectives, scope or budget): someone else must approve "
                "or fund them."
            )
        if (
            action in FUNDING
            and _active(user)
            and (
                user.pk == initiative.budget_requested_by_id
                or user.pk in (initiative.budget_requesters or [])
            )
        ):
            return "You requested this budget: someone else must decide on it."
        if needs_steering(initiative, action):
            if has_role(user, STEERING):
                return None
            if plan.kind == PlanKind.STRATEGIC:
                why = "a strategic initiative"
            elif _above_limit(initiative):
                why = f"above the plan's limit of {plan.budget_limit} {plan.currency}"
            else:
                why = "a proposal, budget request or change of terms by the plan owner"
            return f"Only a steering committee member may {action.replace('-', ' ')} this: it is {why}."
        if _is(user, plan.owner_id):
            return None
        return f"Only the owner of the plan '{plan.name}' may {action.replace('-', ' ')} this initiative."
    if can_change_initiative(user, initiative):
        return None
    return f"Only the initiative's owner or the plan's owner or maintainer may {action.replace('-', ' ')} it."


GOVERNANCE_FIELDS = frozenset({"owner", "budget_limit", "currency"})


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def plan_governance_refusal(user: Any, plan: Any, data: dict[str, Any]) -> str | None:
    """None when `user` may set the governance fields in `data` (owner, budget_limit, currency) of
    `plan` (None: a plan being created), else why not. A plan's owner and limit are the steering
    committee's decision: it sets or raises the limit and changes the owner of any plan; the owner may
    lower their own limit; a new plan gets a limit above zero only from the steering committee. The
    CLI's system actor may do all of it."""
    if getattr(user, "is_superuser", False) and getattr(user, "pk", None) is None:
        return None
    if has_role(user, STEERING):
        return None
    limit = data.get("budget_limit")
    if plan is None:
        if limit is not None and Decimal(str(limit)) > 0:
            return (
                "Only the steering committee sets a plan's budget limit: create the plan with a limit of 0 and "
                "ask them to set it."
            )
        owner, kind = data.get("owner"), str(data.get("kind", ""))
        role = PLAN_OWNER_ROLE.get(kind)
        if owner is not None and not (_is(user, _pk(owner)) and role is not None and has_role(user, role)):
            return (
                "Only the steering committee names a plan's owner: leave the owner empty (or name yourself, "
                "if you hold the owner role of this kind of plan) and ask them to set it."
            )
        return None
    if "owner" in data and _pk(data["owner"]) != plan.owner_id:
        return "Only the steering committee may change a plan's owner."
    lowered_by_owner = (
        _is(user, plan.owner_id) and limit is not None and Decimal(str(limit)) < plan.budget_limit
    )
    if limit is not None and Decimal(str(limit)) != plan.budget_limit and not lowered_by_owner:
        return "Only the steering committee may set or raise a plan's budget limit; its owner may lower it."
    if "currency" in data and data["currency"] != plan.currency and plan.budget_limit > 0:
        return "Only the steering committee may change the currency of a plan's budget limit."
    return None


rules.add_perm("improvement.view", is_signed_in)
rules.add_perm("improvement.raise_opportunity", can_raise)
rules.add_perm("improvement.change_opportunity", can_change_opportunity)
rules.add_perm("improvement.assess_opportunity", can_assess)
rules.add_perm("improvement.manage_weights", is_administrator)
rules.add_perm("improvement.change_plan", can_change_plan)
rules.add_perm("improvement.add_initiative", can_add_initiative)
rules.add_perm("improvement.change_initiative", can_change_initiative)
rules.add_perm("improvement.suggest", can_raise)
rules.add_perm("improvement.decide_suggestion", can_decide_suggestion)
