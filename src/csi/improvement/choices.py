"""Choices of the improvement app and its two transition tables (register entries and initiatives).

A transition is named by its action (the verb in `POST /api/v1/initiatives/{id}/<action>`); the tables
say from which states it may be taken and which state it leads to. Who may take it is in
`csi.improvement.permissions`; the one function that applies a transition is in the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class OpportunitySource(models.TextChoices):
    STANDARD_BREACH = "standard-breach", "Standard breach"
    TREND = "trend", "Trend"
    CUSTOMER_FEEDBACK = "customer-feedback", "Customer feedback"
    SERVICE_REVIEW = "service-review", "Service review"
    MATURITY_ASSESSMENT = "maturity-assessment", "Maturity assessment"
    AUDIT = "audit", "Audit"
    INCIDENT_PROBLEM = "incident-problem", "Incident / problem"
    STAFF_SUGGESTION = "staff-suggestion", "Staff suggestion"


class OpportunityState(models.TextChoices):
    NEW = "new", "New"
    UNDER_ASSESSMENT = "under-assessment", "Under assessment"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    DUPLICATE = "duplicate", "Duplicate"
    DEFERRED = "deferred", "Deferred"


class Size(models.TextChoices):
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"
    VERY_LARGE = "very-large", "Very large"


class Timescale(models.TextChoices):
    SHORT = "short", "Short term (under 3 months)"
    MEDIUM = "medium", "Medium term (3 to 12 months)"
    LONG = "long", "Long term (over 12 months)"


class PlanKind(models.TextChoices):
    STRATEGIC = "strategic", "Strategic plan"
    SERVICE = "service", "Service improvement plan"
    PROCESS = "process", "Process improvement plan"
    SECURITY = "security", "Security improvement plan"
    CONTINUITY = "continuity", "Continuity improvement plan"
    SKILLS = "skills", "Skill development plan"


# YaSM: the role that owns each kind of plan (and, for the strategic plan, the role that maintains it).
PLAN_OWNER_ROLE: dict[str, str] = {
    PlanKind.STRATEGIC: "steering-committee",
    PlanKind.SERVICE: "service-owner",
    PlanKind.PROCESS: "process-owner",
    PlanKind.SECURITY: "security-manager",
    PlanKind.CONTINUITY: "continuity-manager",
    PlanKind.SKILLS: "hr-skills-manager",
}
PLAN_MAINTAINER_ROLE: dict[str, str] = {PlanKind.STRATEGIC: "service-strategy-manager"}


class InitiativeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    BUDGET_REQUESTED = "budget-requested", "Budget requested"
    BUDGET_DECLINED = "budget-declined", "Budget declined"
    FUNDED = "funded", "Funded"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    IMPLEMENTED = "implemented", "Implemented"
    UNDER_REVIEW = "under-review", "Under review"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = InitiativeState
FINAL_STATES = frozenset({S.REJECTED, S.CLOSED, S.CANCELLED})
OPEN_STATES = frozenset(set(S) - FINAL_STATES)
# After approval, a change of objectives, scope or budget needs a new approval.
APPROVED_STATES = frozenset(
    {S.APPROVED, S.BUDGET_REQUESTED, S.BUDGET_DECLINED, S.FUNDED, S.IN_PROGRESS, S.ON_HOLD, S.IMPLEMENTED}
)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    label: str
    needs_reason: bool = False


def _t(
    action: str, sources: set[str] | frozenset[str], target: str, label: str, reason: bool = False
) -> Transition:
    return Transition(action, frozenset(sources), target, label, reason)


INITIATIVE_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("propose", {S.DRAFT}, S.PROPOSED, "Propose"),
        _t("approve", {S.PROPOSED}, S.APPROVED, "Approve"),
        _t("reject", {S.PROPOSED}, S.REJECTED, "Reject", reason=True),
        _t("request-budget", {S.APPROVED, S.BUDGET_DECLINED}, S.BUDGET_REQUESTED, "Request budget"),
        _t("fund", {S.BUDGET_REQUESTED}, S.FUNDED, "Fund"),
        _t("decline-budget", {S.BUDGET_REQUESTED}, S.BUDGET_DECLINED, "Decline budget", reason=True),
        _t("start", {S.FUNDED, S.APPROVED}, S.IN_PROGRESS, "Start"),
        _t("hold", {S.IN_PROGRESS}, S.ON_HOLD, "Put on hold", reason=True),
        _t("resume", {S.ON_HOLD}, S.IN_PROGRESS, "Resume"),
        _t("implement", {S.IN_PROGRESS}, S.IMPLEMENTED, "Mark implemented"),
        _t("review", {S.IMPLEMENTED}, S.UNDER_REVIEW, "Start review"),
        _t("close", {S.UNDER_REVIEW}, S.CLOSED, "Close"),
        _t("cancel", OPEN_STATES, S.CANCELLED, "Cancel", reason=True),
    )
}

OS = OpportunityState
ASSESSABLE = frozenset({OS.NEW, OS.UNDER_ASSESSMENT})
OPPORTUNITY_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("assess", {OS.NEW}, OS.UNDER_ASSESSMENT, "Start assessment"),
        _t("accept", ASSESSABLE, OS.ACCEPTED, "Accept into a plan"),
        _t("reject", ASSESSABLE, OS.REJECTED, "Reject", reason=True),
        _t("mark-duplicate", ASSESSABLE, OS.DUPLICATE, "Mark as duplicate"),
        _t("defer", ASSESSABLE, OS.DEFERRED, "Defer"),
        _t("reopen", {OS.DEFERRED, OS.REJECTED}, OS.UNDER_ASSESSMENT, "Reopen"),
    )
}


class Health(models.TextChoices):
    GREEN = "green", "Green: on track"
    AMBER = "amber", "Amber: at risk"
    RED = "red", "Red: off track"


class Outcome(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTIALLY_ACHIEVED = "partially-achieved", "Partially achieved"
    NOT_ACHIEVED = "not-achieved", "Not achieved"


class ExecutionMode(models.TextChoices):
    INFORMAL = "informal", "Informal (within normal operations)"
    PROJECT = "project", "Formal project"


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class SuggestionState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class KpiKind(models.TextChoices):
    STANDARD = "standard", "Attainment of a standard"
    MEASURE = "measure", "Ticket measure"


class Measure(models.TextChoices):
    """Ticket measures an objective may target: the columns of `csi analytics tickets` per service."""

    MEDIAN_RESOLUTION_HOURS = "median_resolution_hours", "Median resolution time (hours)"
    P90_RESOLUTION_HOURS = "p90_resolution_hours", "90th percentile resolution time (hours)"
    P95_RESOLUTION_HOURS = "p95_resolution_hours", "95th percentile resolution time (hours)"
    SLA_FLAG_MET_RATE = "sla_flag_met_rate", "Share of tickets the tool flags as made SLA"
    REOPENED_RATE = "reopened_rate", "Share of tickets reopened"
    REASSIGNED_RATE = "reassigned_rate", "Share of tickets reassigned"
    FIRST_CONTACT_RESOLUTION_RATE = "first_contact_resolution_rate", "First contact resolution rate"
    ARRIVALS_PER_DAY = "arrivals_per_day", "Tickets opened per day"


# For each measure, whether a higher value is better (used for the SMART "achievable" check and reviews).
HIGHER_IS_BETTER: dict[str, bool] = {
    Measure.MEDIAN_RESOLUTION_HOURS: False,
    Measure.P90_RESOLUTION_HOURS: False,
    Measure.P95_RESOLUTION_HOURS: False,
    Measure.SLA_FLAG_MET_RATE: True,
    Measure.REOPENED_RATE: False,
    Measure.REASSIGNED_RATE: False,
    Measure.FIRST_CONTACT_RESOLUTION_RATE: True,
    Measure.ARRIVALS_PER_DAY: False,
}


class SevenStep(models.IntegerChoices):
    """The seven-step improvement process (seed 001), in order."""

    DEFINE_OBJECTIVES = 1, "Define the improvement objectives"
    COLLECT_DATA = 2, "Collect relevant data"
    ANALYSE = 3, "Analyse performance"
    IDENTIFY = 4, "Identify improvement opportunities"
    IMPLEMENT = 5, "Implement improvements"
    EVALUATE = 6, "Evaluate the results"
    FEEDBACK = 7, "Continuous feedback loop"
