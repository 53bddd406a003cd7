"""Reads of initiatives: lists, one initiative with everything its page shows, the board by state,
what waits for the user's decision, the actions the user may take, the roll-up of a parent over its
children, and where the initiative stands in the seven-step improvement process."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from csi.core.permissions import has_role, require
from csi.core.services import Actor
from csi.improvement.choices import (
    FINAL_STATES,
    INITIATIVE_TRANSITIONS,
    Health,
    InitiativeState,
    SevenStep,
    Transition,
)
from csi.improvement.models import (
    BaselineValue,
    Initiative,
    InitiativeObjective,
    Opportunity,
    Task,
    TimelineEntry,
)
from csi.improvement.permissions import STEERING, transition_refusal
from csi.improvement.smart import blocking

S = InitiativeState
# The board's columns, in the order work moves through them.
BOARD_STATES = (
    S.DRAFT,
    S.PROPOSED,
    S.APPROVED,
    S.BUDGET_REQUESTED,
    S.BUDGET_DECLINED,
    S.FUNDED,
    S.IN_PROGRESS,
    S.ON_HOLD,
    S.IMPLEMENTED,
    S.UNDER_REVIEW,
    S.CLOSED,
    S.REJECTED,
    S.CANCELLED,
)
DECISIONS = {S.PROPOSED: ("approve", "reject"), S.BUDGET_REQUESTED: ("fund", "decline-budget")}
HEALTH_RANK = {"": 0, Health.GREEN: 1, Health.AMBER: 2, Health.RED: 3}
ORDERS = {"newest": ("-created_at", "-pk"), "number": ("number",), "state": ("state", "number")}


def _related(initiatives: QuerySet[Initiative]) -> QuerySet[Initiative]:
    return initiatives.select_related("plan", "owner", "parent")


def initiative_list(
    *,
    actor: Actor,
    plan_key: str | None = None,
    state: str | None = None,
    owner: str | None = None,
    search: str | None = None,
    parent: str | None = None,
    order: str = "newest",
) -> QuerySet[Initiative]:
    """Initiatives for anyone signed in, filtered by plan key, state ("open" for every open state),
    owner username, parent number or a text in the number, title or summary."""
    require(actor, "improvement.view")
    if order not in ORDERS:
        raise ValueError(f"unknown order '{order}' (use one of: {', '.join(ORDERS)})")
    initiatives = Initiative.objects.all()
    if plan_key:
        initiatives = initiatives.filter(plan__key=plan_key)
    if state == "open":
        initiatives = initiatives.exclude(state__in=FINAL_STATES)
    elif state:
        initiatives = initiatives.filter(state=state)
    if owner:
        initiatives = initiatives.filter(owner__username=owner)
    if parent:
        initiatives = initiatives.filter(parent__number=parent)
    if search and search.strip():
        text = search.strip()
        initiatives = initiatives.filter(
            Q(number__iexact=text) | Q(title__icontains=text) | Q(summary__icontains=text)
        )
    return _related(initiatives).order_by(*ORDERS[order])


def initiative_get(*, actor: Actor, number: str) -> Initiative:
    """One initiative by its number, with its sections prefetched (Initiative.DoesNotExist: 404)."""
    require(actor, "improvement.view")
    return (
        _related(Initiative.objects.all())
        .select_related("project_manager", "proposed_by", "approved_by", "funded_by", "created_by")
        .prefetch_related(
            Prefetch(
                "objectives",
                queryset=InitiativeObjective.objects.select_related(
                    "standard", "service", "plan_objective", "initiative__plan"
                ),
            ),
            Prefetch("baseline", queryset=BaselineValue.objects.select_related("objective")),
            Prefetch("tasks", queryset=Task.objects.select_related("owner").prefetch_related("depends_on")),
            "risks__owner",
            "responsibilities__person",
            Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor")),
            Prefetch("origins", queryset=Opportunity.objects.prefetch_related("evidence")),
            Prefetch("children", queryset=Initiative.objects.select_related("plan", "owner")),
        )
        .get(number=number)
    )


def _ruled_out(initiative: Initiative, action: str) -> bool:
    """Transitions the stored budget already rules out, whoever asks: starting an approved initiative
    that asks for money (it must be funded first), and requesting a budget of nothing."""
    if action == "start" and initiative.state == S.APPROVED and initiative.budget_requested:
        return True
    return action == "request-budget" and not initiative.budget_requested


def available_actions(user: Any, initiative: Initiative) -> list[Transition]:
    """The transitions `user` may take now (the buttons the page shows): right state, right person, and
    not ruled out by the stored budget. Conditions that depend on the input (a reason, an amount) or on
    the objectives are left to the transition itself, which explains what is missing."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        t
        for t in INITIATIVE_TRANSITIONS.values()
        if initiative.state in t.sources
        and not _ruled_out(initiative, t.action)
        and transition_refusal(user, initiative, t.action) is None
    ]


@dataclass(frozen=True)
class Decision:
    initiative: Initiative
    actions: tuple[str, ...]

    @property
    def what(self) -> str:
        return "approval" if self.initiative.state == S.PROPOSED else "funding"


def waiting_for_decision(user: Any) -> list[Decision]:
    """Proposed initiatives the user may approve or reject, and budget requests the user may fund or
    decline: the plan owner's within the limit, the steering committee's above it and for strategy."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return []
    candidates = Initiative.objects.filter(state__in=DECISIONS).select_related("plan", "owner", "proposed_by")
    if not has_role(user, STEERING):
        candidates = candidates.filter(plan__owner=user)
    waiting = []
    for initiative in candidates.order_by("proposed_at", "pk"):
        actions = tuple(
            a for a in DECISIONS[S(initiative.state)] if transition_refusal(user, initiative, a) is None
        )
        if actions:
            waiting.append(Decision(initiative, actions))
    return waiting


def board(
    *, actor: Actor, plan_key: str | None = None, include_final: bool = True
) -> list[tuple[str, str, list[Initiative]]]:
    """Columns (state, label, initiatives) in the order work moves, for one plan or all."""
    columns: dict[str, list[Initiative]] = {state: [] for state in BOARD_STATES}
    for initiative in initiative_list(actor=actor, plan_key=plan_key, order="number"):
        columns[initiative.state].append(initiative)
    return [
        (state, S(state).label, columns[state])
        for state in BOARD_STATES
        if include_final or state not in FINAL_STATES
    ]


def descendants(initiative: Initiative) -> list[Initiative]:
    """Children, their children and so on (one query per level; a loop in the data stops the walk)."""
    seen = {initiative.pk}
    found: list[Initiative] = []
    level = [initiative.pk]
    while level:
        rows = list(
            Initiative.objects.filter(parent__in=level).exclude(pk__in=seen).select_related("plan", "owner")
        )
        found.extend(rows)
        seen.update(r.pk for r in rows)
        level = [r.pk for r in rows]
    return found


@dataclass(frozen=True)
class Rollup:
    """An initiative with everything delegated to it: progress, budget and health over the tree."""

    initiatives: int
    percent_complete: int
    budget_requested: Decimal
    budget_approved: Decimal
    budget_spent: Decimal
    health: str
    children: tuple[Initiative, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "initiatives": self.initiatives,
            "percent_complete": self.percent_complete,
            "budget_requested": self.budget_requested,
            "budget_approved": self.budget_approved,
            "budget_spent": self.budget_spent,
            "health": self.health,
            "children": [c.number for c in self.children],
        }


def rollup(initiative: Initiative) -> Rollup:
    """Progress is the mean % complete of the initiative and its descendants that are not rejected or
    cancelled (closed ones count as 100); budgets are their sums; health is the worst reported among
    the open ones. An initiative with no children rolls up to its own figures."""
    tree = [initiative, *descendants(initiative)]
    counted = [i for i in tree if i.state not in (S.REJECTED, S.CANCELLED)] or [initiative]
    progress = [100 if i.state == S.CLOSED else i.percent_complete for i in counted]
    open_health = [i.health for i in counted if i.state not in FINAL_STATES and i.health]
    return Rollup(
        initiatives=len(tree),
        percent_complete=round(sum(progress) / len(progress)),
        budget_requested=sum((i.budget_requested for i in counted), Decimal("0")),
        budget_approved=sum((i.budget_approved or Decimal("0") for i in counted), Decimal("0")),
        budget_spent=sum((i.budget_spent for i in counted), Decimal("0")),
        health=max(open_health, key=lambda h: HEALTH_RANK.get(h, 0), default=initiative.health),
        children=tuple(i for i in tree[1:] if i.parent_id == initiative.pk),
    )


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    status: str  # "done", "current", "missing" (before the current step, not done) or "pending"
    why: str


_PROPOSED_OR_LATER = frozenset(set(S) - {S.DRAFT})
_APPROVED_OR_LATER = frozenset(
    {S.APPROVED, S.BUDGET_REQUESTED, S.BUDGET_DECLINED, S.FUNDED, S.IN_PROGRESS, S.ON_HOLD, S.IMPLEMENTED,
     S.UNDER_REVIEW, S.CLOSED}
)  # fmt: skip
_IMPLEMENTED_OR_LATER = frozenset({S.IMPLEMENTED, S.UNDER_REVIEW, S.CLOSED})
# The step each state is at (a draft's is the first of steps 1-4 not done; rejected and cancelled
# initiatives stopped, so none is current).
_STAGE: dict[str, int] = {
    S.PROPOSED: SevenStep.IDENTIFY,
    S.APPROVED: SevenStep.IMPLEMENT,
    S.BUDGET_REQUESTED: SevenStep.IMPLEMENT,
    S.BUDGET_DECLINED: SevenStep.IMPLEMENT,
    S.FUNDED: SevenStep.IMPLEMENT,
    S.IN_PROGRESS: SevenStep.IMPLEMENT,
    S.ON_HOLD: SevenStep.IMPLEMENT,
    S.IMPLEMENTED: SevenStep.EVALUATE,
    S.UNDER_REVIEW: SevenStep.EVALUATE,
    S.CLOSED: SevenStep.FEEDBACK,
}


def seven_step(initiative: Initiative) -> list[Step]:
    """Where the initiative stands in the seven steps (seed 001), derived from its state and its
    evidence, never typed: objectives that pass the SMART check, a baseline frozen from the measurement
    store, a gap analysis or attached evidence, an approach agreed by approval, the work under way,
    the review, and the lessons carried on. The current step follows the state (for a draft, the first
    of steps 1-4 not done); an earlier step left undone is "missing", a later one "pending"."""
    state = S(initiative.state)
    objectives = list(initiative.objectives.all())
    measurable = bool(objectives) and not any(blocking(o) for o in objectives)
    baseline = list(initiative.baseline.all())
    origins = list(initiative.origins.all())
    evidence = sum(len(o.evidence.all()) for o in origins)
    done = {
        SevenStep.DEFINE_OBJECTIVES: (
            measurable,
            f"{len(objectives)} objective(s), all measurable and dated"
            if measurable
            else ("no objective yet" if not objectives else "an objective is not measurable or has no date"),
        ),
        SevenStep.COLLECT_DATA: (
            bool(baseline),
            f"baseline of {len(baseline)} KPI frozen on {initiative.baseline_date}"
            if baseline
            else "no baseline taken",
        ),
        SevenStep.ANALYSE: (
            bool(initiative.gap_analysis.strip() or evidence),
            "gap analysis written" + (f", {evidence} piece(s) of evidence" if evidence else "")
            if initiative.gap_analysis.strip()
            else (
                f"{evidence} piece(s) of evidence on its register entries" if evidence else "no gap analysis"
            ),
        ),
        SevenStep.IDENTIFY: (
            state in _APPROVED_OR_LATER,
            "approach approved"
            if state in _APPROVED_OR_LATER
            else ("proposed, waiting for approval" if state == S.PROPOSED else "approach not yet approved"),
        ),
        SevenStep.IMPLEMENT: (
            state in _IMPLEMENTED_OR_LATER,
            "implemented"
            if state in _IMPLEMENTED_OR_LATER
            else (
                f"{initiative.percent_complete}% complete"
                if state in (S.IN_PROGRESS, S.ON_HOLD)
                else "not started"
            ),
        ),
        SevenStep.EVALUATE: (
            state == S.CLOSED,
            f"closed: {initiative.get_outcome_display().lower()}"
            if state == S.CLOSED
            else ("under review" if state == S.UNDER_REVIEW else "not yet reviewed"),
        ),
        SevenStep.FEEDBACK: (
            state == S.CLOSED and bool(initiative.momentum.strip()),
            "lessons and next steps recorded"
            if state == S.CLOSED and initiative.momentum.strip()
            else (
                "lessons being written; done when the initiative is closed"
                if initiative.momentum.strip()
                else "no lessons recorded yet"
            ),
        ),
    }
    stage = _STAGE.get(state)
    if state == S.DRAFT:
        stage = next((int(step) for step in SevenStep if step <= 4 and not done[step][0]), 4)
    elif state == S.CLOSED and done[SevenStep.FEEDBACK][0]:
        stage = len(SevenStep) + 1  # through all seven: whatever was left undone is missing
    steps: list[Step] = []
    for step in SevenStep:
        is_done, why = done[step]
        if is_done:
            status = "done"
        elif stage is None:
            status = "pending"
        elif step == stage:
            status = "current"
        elif step < stage:
            status = "missing"
        else:
            status = "pending"
        steps.append(Step(int(step), step.label, status, why))
    return steps


def current_step(initiative: Initiative) -> Step | None:
    return next((s for s in seven_step(initiative) if s.status == "current"), None)
