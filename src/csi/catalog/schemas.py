"""API schemas of the catalog."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import StrictInt

from csi.api.schemas import InSchema, IsoDate
from csi.catalog.choices import (
    ChargingModel,
    InformChannel,
    InformFrequency,
    LifecycleStatus,
    Raci,
    ServiceType,
    StakeholderKind,
    StakeholderRelation,
    ToolKind,
)

KEY = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
Score = Field(ge=1, le=5)


class UserRef(Schema):
    id: int
    username: str


class ServiceOut(Schema):
    id: int
    key: str
    name: str
    description: str
    category: str
    service_type: ServiceType
    lifecycle_status: LifecycleStatus
    tier: int
    tier_reason: str
    owner: UserRef | None
    charging_model: ChargingModel
    price_unit: str
    price: Decimal | None
    currency: str
    strengths: str
    weaknesses: str
    portfolio_priority: int | None
    source: str
    created_at: datetime
    updated_at: datetime


class ServiceIn(InSchema):
    key: str = Field(pattern=KEY, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: str = Field("", max_length=100)
    service_type: ServiceType = ServiceType.BUSINESS
    tier: StrictInt = Field(3, ge=1, le=4)
    tier_reason: str = Field("", max_length=2_000)
    owner: str | None = Field(None, max_length=150, description="Username of the service owner")
    charging_model: ChargingModel = ChargingModel.FREE
    price_unit: str = Field("", max_length=50)
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3)
    strengths: str = Field("", max_length=5_000)
    weaknesses: str = Field("", max_length=5_000)
    portfolio_priority: StrictInt | None = Field(None, ge=1, le=5)


class ServicePatch(InSchema):
    key: str | None = Field(None, pattern=KEY, max_length=63)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    category: str | None = Field(None, max_length=100)
    service_type: ServiceType | None = None
    tier: StrictInt | None = Field(None, ge=1, le=4)
    tier_reason: str | None = Field(None, max_length=2_000)
    owner: str | None = Field(None, max_length=150, description="Username; null removes the owner")
    charging_model: ChargingModel | None = None
    price_unit: str | None = Field(None, max_length=50)
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    strengths: str | None = Field(None, max_length=5_000)
    weaknesses: str | None = Field(None, max_length=5_000)
    portfolio_priority: StrictInt | None = Field(None, ge=1, le=5)


class ServiceFilter(Schema):
    search: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)
    status: LifecycleStatus | None = None
    tier: int | None = Field(None, ge=1, le=4)
    owner: str | None = Field(None, max_length=150, description="Username of the owner")
    ordering: str = Field("name", pattern=r"^(-?name|-?tier|category|status|updated|priority)$")


class GraphNodeOut(Schema):
    key: str
    name: str
    depth: int


class DependencyGraphOut(Schema):
    upstream: list[GraphNodeOut]
    downstream: list[GraphNodeOut]
    edges: list[tuple[str, str]]


class DependencyIn(InSchema):
    depends_on: str = Field(pattern=KEY, max_length=63, description="Key of the service depended on")
    description: str = Field("", max_length=500)


class DependencyOut(Schema):
    id: int
    service: str
    depends_on: str
    description: str


# --- parts of a service --------------------------------------------------------------------------------
class PackageOut(Schema):
    id: int
    name: str
    description: str
    rank: int


class PackageIn(InSchema):
    name: str = Field(min_length=1, max_length=50)
    description: str = Field("", max_length=2_000)
    rank: StrictInt = Field(1, ge=1, le=100)


class PackagePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=2_000)
    rank: StrictInt | None = Field(None, ge=1, le=100)


class TimelineOut(Schema):
    id: int
    request_type: str
    lead_time_hours: Decimal
    description: str


class TimelineIn(InSchema):
    request_type: str = Field(min_length=1, max_length=100)
    lead_time_hours: Decimal = Field(ge=0, le=100_000, max_digits=8, decimal_places=2)
    description: str = Field("", max_length=2_000)


class TimelinePatch(InSchema):
    request_type: str | None = Field(None, min_length=1, max_length=100)
    lead_time_hours: Decimal | None = Field(None, ge=0, le=100_000, max_digits=8, decimal_places=2)
    description: str | None = Field(None, max_length=2_000)


class RiskOut(Schema):
    id: int
    title: str
    description: str
    likelihood: int
    impact: int
    score: int
    mitigation: str


class RiskIn(InSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    likelihood: StrictInt = Score
    impact: StrictInt = Score
    mitigation: str = Field("", max_length=5_000)


class RiskPatch(InSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5_000)
    likelihood: StrictInt | None = Field(None, ge=1, le=5)
    impact: StrictInt | None = Field(None, ge=1, le=5)
    mitigation: str | None = Field(None, max_length=5_000)


class ToolOut(Schema):
    id: int
    name: str
    kind: ToolKind
    description: str


class ToolIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    kind: ToolKind = ToolKind.TOOL
    description: str = Field("", max_length=2_000)


class ToolPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: ToolKind | None = None
    description: str | None = Field(None, max_length=2_000)


class DeliveryRolePartOut(Schema):
    id: int
    name: str
    description: str


class DeliveryRoleIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2_000)


class DeliveryRolePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2_000)


class ActivityOut(Schema):
    id: int
    name: str
    position: int


class ActivityIn(InSchema):
    name: str = Field(min_length=1, max_length=200)
    position: StrictInt = Field(0, ge=0, le=1000)


class ActivityPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    position: StrictInt | None = Field(None, ge=0, le=1000)


class RaciCellIn(InSchema):
    activity_id: int = Field(ge=1, le=2**63 - 1)
    role_id: int = Field(ge=1, le=2**63 - 1)
    letter: Raci | None = Field(None, description="R, A, C or I; null clears the cell")


class RoleSkillIn(InSchema):
    role_id: int = Field(ge=1, le=2**63 - 1)
    skill: str = Field(min_length=1, max_length=100, description="Skill name; created when new")
    level: StrictInt | None = Field(None, ge=1, le=5, description="1 to 5; null removes the requirement")


class RoleSkillOut(Schema):
    skill: str
    level: int


class RaciRowOut(Schema):
    activity: ActivityOut
    cells: list[str]


class ProcessRef(Schema):
    key: str
    name: str
    owner: UserRef | None


class ServiceProcessOut(Schema):
    id: int
    process: ProcessRef
    notes: str


class ServiceProcessIn(InSchema):
    process: str = Field(pattern=KEY, max_length=63, description="Key of the process")
    notes: str = Field("", max_length=500)


class DeliveryRoleOut(DeliveryRolePartOut):
    skills: list[RoleSkillOut]


class DeliveryModelOut(Schema):
    processes: list[ServiceProcessOut]
    roles: list[DeliveryRoleOut]
    raci: list[RaciRowOut]
    tools: list[ToolOut]


# --- stakeholders ----------------------------------------------------------------------------------------
class StakeholderOut(Schema):
    id: int
    name: str
    kind: StakeholderKind
    description: str
    contact_name: str
    contact_email: str
    contact_phone: str
    inform_channel: InformChannel
    inform_frequency: InformFrequency


class StakeholderIn(InSchema):
    name: str = Field(min_length=1, max_length=200)
    kind: StakeholderKind
    description: str = Field("", max_length=5_000)
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Field("", max_length=50)
    inform_channel: InformChannel = InformChannel.EMAIL
    inform_frequency: InformFrequency = InformFrequency.MONTHLY


class StakeholderPatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: StakeholderKind | None = None
    description: str | None = Field(None, max_length=5_000)
    contact_name: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=50)
    inform_channel: InformChannel | None = None
    inform_frequency: InformFrequency | None = None


class StakeholderLinkOut(Schema):
    id: int
    stakeholder: StakeholderOut
    relation: StakeholderRelation
    importance: int
    impact: int
    interest: int
    influence: int
    quadrant: str
    notes: str


class StakeholderLinkIn(InSchema):
    stakeholder_id: int = Field(ge=1, le=2**63 - 1)
    relation: StakeholderRelation
    importance: StrictInt = Field(3, ge=1, le=5)
    impact: StrictInt = Field(3, ge=1, le=5)
    interest: StrictInt = Field(3, ge=1, le=5)
    influence: StrictInt = Field(3, ge=1, le=5)
    notes: str = Field("", max_length=2_000)


class StakeholderLinkPatch(InSchema):
    relation: StakeholderRelation | None = None
    importance: StrictInt | None = Field(None, ge=1, le=5)
    impact: StrictInt | None = Field(None, ge=1, le=5)
    interest: StrictInt | None = Field(None, ge=1, le=5)
    influence: StrictInt | None = Field(None, ge=1, le=5)
    notes: str | None = Field(None, max_length=2_000)


# --- processes, objectives, skills ------------------------------------------------------------------------
class ProcessOut(Schema):
    id: int
    key: str
    name: str
    description: str
    owner: UserRef | None


class ProcessIn(InSchema):
    key: str = Field(pattern=KEY, max_length=63)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    owner: str | None = Field(None, max_length=150, description="Username of the process owner")


class ProcessPatch(InSchema):
    key: str | None = Field(None, pattern=KEY, max_length=63)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5_000)
    owner: str | None = Field(None, max_length=150)


class ObjectiveOut(Schema):
    id: int
    name: str
    description: str
    owner: UserRef | None
    period_start_date: date
    period_end_date: date


class ObjectiveIn(InSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    owner: str | None = Field(None, max_length=150)
    period_start_date: IsoDate
    period_end_date: IsoDate


class ObjectivePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5_000)
    owner: str | None = Field(None, max_length=150)
    period_start_date: IsoDate | None = None
    period_end_date: IsoDate | None = None


class SkillOut(Schema):
    id: int
    name: str
    description: str
