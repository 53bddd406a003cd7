"""API schemas of initiatives: sections, objectives with their SMART check, baseline, status updates,
tasks, risks, responsibilities, transitions, the board and the decisions waiting."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from csi.api.schemas import InSchema, IsoDate
from csi.improvement.choices import (
    ExecutionMode,
    Health,
    InitiativeState,
    KpiKind,
    Measure,
    Outcome,
    Raci,
)
from csi.improvement.schemas.common import (
    INITIATIVE_NUMBER,
    KEY,
    MAX_ID,
    USERNAME,
    Money,
    key_field,
    money_field,
    text_field,
    username_field,
    username_of,
)
from csi.improvement.selectors.initiatives import available_actions, rollup, seven_step
from csi.improvement.smart import smart


class InitiativeFilter(Schema):
    plan: str | None = Field(None, max_length=63, description="Plan key")
    state: InitiativeState | Literal["open"] | None = Field(
        None, description="A state, or 'open' for every open one"
    )
    owner: str | None = Field(None, max_length=150, description="Username of the owner")
    parent: str | None = Field(None, max_length=20, description="Number of the parent initiative")
    search: str | None = Field(None, max_length=200, description="Text in the number, title or summary")
    order: Literal["newest", "number", "state"] = "newest"


class InitiativeBoardQuery(Schema):
    plan: str | None = Field(None, max_length=63, description="Plan key; all plans when not given")
    include_final: bool = Field(True, description="Also the closed, rejected and cancelled columns")


class InitiativeFields(InSchema):
    """The sections an editor writes (every field of EDITABLE but the parent)."""

    summary: str | None = text_field(5_000, None)
    scope: str | None = text_field(5_000, None)
    owner: str | None = username_field("Username of the initiative's owner; null: nobody")
    current_practices: str | None = text_field(10_000, None)
    maturity_notes: str | None = text_field(10_000, None)
    gap_analysis: str | None = text_field(10_000, None)
    approach: str | None = text_field(10_000, None)
    execution_mode: ExecutionMode | None = None
    project_reference: str | None = text_field(100, None)
    project_manager: str | None = username_field("Username; null: nobody")
    expected_benefits: str | None = text_field(10_000, None)
    cost_estimate: Decimal | None = money_field()
    budget_requested: Decimal | None = money_field(None, "The budget the business case asks for")
    budget_spent: Decimal | None = money_field()
    evaluation: str | None = text_field(10_000, None)
    momentum: str | None = text_field(10_000, None)


class InitiativeIn(InitiativeFields):
    plan: str = Field(pattern=KEY, max_length=63, description="Key of the plan")
    title: str = Field(min_length=1, max_length=200)
    parent: str | None = Field(
        None, pattern=INITIATIVE_NUMBER, max_length=20, description="The strategic initiative it carries out"
    )
    origins: list[str] = Field(
        default_factory=list, max_length=100, description="Numbers of the register entries it comes from"
    )


class InitiativePatch(InitiativeFields):
    version: StrictInt = Field(ge=1, description="The version you saw; a stale one answers 409")
    title: str | None = Field(None, min_length=1, max_length=200)
    parent: str | None = Field(None, pattern=INITIATIVE_NUMBER, max_length=20, description="null: none")


class InitiativeTransitionIn(InSchema):
    """The body of a transition that takes no input but the version (a note is kept on the timeline).
    Each action's body has only that action's fields: anything else answers 422."""

    version: StrictInt = Field(ge=1, description="The version you saw; a stale one answers 409")
    reason: str = Field("", max_length=2_000, description="A note for the timeline")


class InitiativeReasonIn(InSchema):
    """reject, decline-budget, hold and cancel: say why."""

    version: StrictInt = Field(ge=1, description="The version you saw; a stale one answers 409")
    reason: str = Field(min_length=1, max_length=2_000, description="Why (shown on the timeline)")


class InitiativeFundIn(InitiativeTransitionIn):
    """fund: the amount approved, at most the budget requested."""

    amount: Decimal = money_field(..., "The approved amount")


class InitiativeCloseIn(InitiativeTransitionIn):
    """close: the outcome of the initiative."""

    outcome: Outcome = Field(description="The outcome")


class SmartCheckOut(Schema):
    letter: str
    ok: bool
    missing: str


class InitiativeObjectiveFields(InSchema):
    description: str | None = text_field(5_000, None)
    kpi_kind: KpiKind | None = Field(None, description="standard or measure; null: no KPI yet")
    standard: str | None = key_field("kpi_kind standard: the standard's key")
    measure: Measure | None = Field(None, description="kpi_kind measure: the ticket measure")
    service: str | None = key_field("kpi_kind measure: the service's key")
    source_key: str | None = key_field("kpi_kind measure: the data source (when there are several)")
    baseline_value: float | None = Field(None, allow_inf_nan=False)
    target_value: float | None = Field(None, allow_inf_nan=False)
    unit: str | None = text_field(20, None)
    due_date: IsoDate | None = None
    plan_objective: int | None = Field(
        None, ge=1, le=MAX_ID, description="Id of the plan objective it serves"
    )
    achievability: str | None = text_field(2_000, None)
    version: StrictInt | None = Field(None, ge=1, description="The initiative's version you saw")


class InitiativeObjectiveIn(InitiativeObjectiveFields):
    title: str = Field(min_length=1, max_length=200)


class InitiativeObjectivePatch(InitiativeObjectiveFields):
    title: str | None = Field(None, min_length=1, max_length=200)


class InitiativeObjectiveOut(Schema):
    id: int
    title: str
    description: str
    kpi_kind: str
    standard: str | None
    measure: str
    service: str | None
    source_key: str
    baseline_value: float | None
    target_value: float | None
    unit: str
    due_date: date | None
    plan_objective: int | None
    achievability: str
    smart: list[SmartCheckOut]

    @staticmethod
    def resolve_standard(obj: Any) -> str | None:
        return obj.standard.key if obj.standard_id else None

    @staticmethod
    def resolve_service(obj: Any) -> str | None:
        return obj.service.key if obj.service_id else None

    @staticmethod
    def resolve_plan_objective(obj: Any) -> int | None:
        return obj.plan_objective_id

    @staticmethod
    def resolve_smart(obj: Any) -> list[Any]:
        return smart(obj)


class BaselineIn(InSchema):
    at: IsoDate | None = Field(None, ge=date(1970, 1, 1), description="The window ends here (default today)")
    window_days: StrictInt = Field(90, ge=1, le=3660)


class BaselineValueOut(Schema):
    id: int
    objective: int | None
    kpi: str
    value: float | None
    unit: str
    window_start_date: date
    window_end_date: date
    detail: dict[str, Any]
    taken_at: datetime

    @staticmethod
    def resolve_objective(obj: Any) -> int | None:
        return obj.objective_id


class StatusUpdateIn(InSchema):
    health: Health
    percent_complete: StrictInt = Field(ge=0, le=100)
    note: str = text_field(5_000)


class TimelineEntryOut(Schema):
    id: int
    action: str
    from_state: str
    to_state: str
    health: str
    percent_complete: int | None
    note: str
    amount: Money | None
    actor: str
    at: datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return username_of(obj.actor) or obj.actor_label


class TaskFields(InSchema):
    is_milestone: StrictBool | None = None
    owner: str | None = username_field("Username; null: nobody")
    due_date: IsoDate | None = None
    resources: str | None = text_field(2_000, None)
    effort_hours: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=1)
    percent_complete: StrictInt | None = Field(None, ge=0, le=100)
    depends_on: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=100, description="Ids of the initiative's tasks that must finish first"
    )


class InitiativeTaskIn(TaskFields):
    title: str = Field(min_length=1, max_length=200)


class InitiativeTaskPatch(TaskFields):
    title: str | None = Field(None, min_length=1, max_length=200)
    version: StrictInt | None = Field(None, ge=1, description="The task's version you saw")


class InitiativeTaskOut(Schema):
    id: int
    title: str
    is_milestone: bool
    owner: str | None
    due_date: date | None
    resources: str
    effort_hours: Decimal | None
    percent_complete: int
    depends_on: list[int]
    version: int

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_depends_on(obj: Any) -> list[int]:
        return sorted(t.pk for t in obj.depends_on.all())


class InitiativeRiskIn(InSchema):
    description: str = Field(min_length=1, max_length=500)
    likelihood: StrictInt = Field(3, ge=1, le=5)
    impact: StrictInt = Field(3, ge=1, le=5)
    mitigation: str = text_field(2_000)
    owner: str | None = username_field("Username of who manages it")


class InitiativeRiskOut(Schema):
    id: int
    description: str
    likelihood: int
    impact: int
    mitigation: str
    owner: str | None

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return username_of(obj.owner)


class ResponsibilityIn(InSchema):
    activity: str = Field(min_length=1, max_length=200)
    person: str = Field(pattern=USERNAME, max_length=150, description="Username")
    raci: Raci


class ResponsibilityOut(Schema):
    id: int
    activity: str
    person: str
    raci: Raci

    @staticmethod
    def resolve_person(obj: Any) -> str:
        return obj.person.get_username()


class ActionOut(Schema):
    action: str
    label: str
    needs_reason: bool


class SevenStepOut(Schema):
    number: int
    label: str
    status: Literal["done", "current", "missing", "pending"]
    why: str


class InitiativeRollupOut(Schema):
    initiatives: int
    percent_complete: int
    budget_requested: Money
    budget_approved: Money
    budget_spent: Money
    health: str
    children: list[str]


class InitiativeOut(Schema):
    number: str
    title: str
    plan: str
    parent: str | None
    owner: str | None
    state: InitiativeState
    health: str
    percent_complete: int
    budget_requested: Money
    budget_approved: Money | None
    budget_spent: Money
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_plan(obj: Any) -> str:
        return obj.plan.key

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.number if obj.parent_id else None

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return username_of(obj.owner)


class InitiativeDetailOut(InitiativeOut):
    summary: str
    scope: str
    baseline_date: date | None
    current_practices: str
    maturity_notes: str
    gap_analysis: str
    approach: str
    execution_mode: ExecutionMode
    project_reference: str
    project_manager: str | None
    expected_benefits: str
    cost_estimate: Money | None
    evaluation: str
    momentum: str
    outcome: str
    state_reason: str
    proposed_by: str | None
    proposed_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    funded_by: str | None
    funded_at: datetime | None
    started_at: datetime | None
    implemented_at: datetime | None
    closed_at: datetime | None
    created_by: str | None
    origins: list[str] = Field(description="Numbers of the register entries it comes from")
    children: list[str] = Field(description="Numbers of the initiatives carrying out part of it")
    objectives: list[InitiativeObjectiveOut]
    baseline: list[BaselineValueOut]
    tasks: list[InitiativeTaskOut]
    risks: list[InitiativeRiskOut]
    responsibilities: list[ResponsibilityOut]
    timeline: list[TimelineEntryOut]
    seven_step: list[SevenStepOut]
    rollup: InitiativeRollupOut
    actions: list[ActionOut] = Field(description="The transitions you may take now")

    @staticmethod
    def resolve_project_manager(obj: Any) -> str | None:
        return username_of(obj.project_manager)

    @staticmethod
    def resolve_proposed_by(obj: Any) -> str | None:
        return username_of(obj.proposed_by)

    @staticmethod
    def resolve_approved_by(obj: Any) -> str | None:
        return username_of(obj.approved_by)

    @staticmethod
    def resolve_funded_by(obj: Any) -> str | None:
        return username_of(obj.funded_by)

    @staticmethod
    def resolve_created_by(obj: Any) -> str | None:
        return username_of(obj.created_by)

    @staticmethod
    def resolve_origins(obj: Any) -> list[str]:
        return sorted(o.number for o in obj.origins.all())

    @staticmethod
    def resolve_children(obj: Any) -> list[str]:
        return sorted(c.number for c in obj.children.all())

    @staticmethod
    def resolve_seven_step(obj: Any) -> list[Any]:
        return seven_step(obj)

    @staticmethod
    def resolve_rollup(obj: Any) -> dict[str, Any]:
        return rollup(obj).as_dict()

    @staticmethod
    def resolve_actions(obj: Any, context: Any) -> list[Any]:
        return available_actions(context["request"].user, obj)


class BoardColumnOut(Schema):
    state: InitiativeState
    label: str
    initiatives: list[InitiativeOut]


class DecisionOut(Schema):
    initiative: InitiativeOut
    what: Literal["approval", "funding"]
    actions: list[str]
