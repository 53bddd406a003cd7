"""The schema of CSI Workbench's own catalog YAML (apiVersion csi-workbench/v1): what `csi catalog export`
writes and `csi catalog import` reads back to the same state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
Text = Field("", max_length=10_000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Metadata(Strict):
    name: str = Field(min_length=1, max_length=200)


class KeyMetadata(Strict):
    name: str = Field(pattern=KEY, max_length=63)


class Charging(Strict):
    model: ChargingModel = ChargingModel.FREE
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3)
    unit: str = Field("", max_length=50)


class Risk(Strict):
    title: str = Field(min_length=1, max_length=200)
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    description: str = Field("", max_length=5_000)
    mitigation: str = Field("", max_length=5_000)


class Portfolio(Strict):
    priority: int | None = Field(None, ge=1, le=5)
    strengths: str = Field("", max_length=5_000)
    weaknesses: str = Field("", max_length=5_000)
    risks: list[Risk] = Field(default_factory=list, max_length=500)


class Package(Strict):
    name: str = Field(min_length=1, max_length=50)
    rank: int = Field(1, ge=1, le=100)
    description: str = Field("", max_length=2_000)


class Timeline(Strict):
    request_type: str = Field(alias="requestType", min_length=1, max_length=100)
    lead_time_hours: Decimal = Field(alias="leadTimeHours", ge=0, le=100_000, max_digits=8, decimal_places=2)
    description: str = Field("", max_length=2_000)


class Dependency(Strict):
    service: str = Field(pattern=KEY, max_length=63)
    description: str = Field("", max_length=500)


class StakeholderLink(Strict):
    stakeholder: str = Field(min_length=1, max_length=200)
    relation: StakeholderRelation
    importance: int = Field(3, ge=1, le=5)
    impact: int = Field(3, ge=1, le=5)
    interest: int = Field(3, ge=1, le=5)
    influence: int = Field(3, ge=1, le=5)
    notes: str = Field("", max_length=2_000)


class ProcessLink(Strict):
    process: str = Field(pattern=KEY, max_length=63)
    notes: str = Field("", max_length=500)


class SkillNeed(Strict):
    skill: str = Field(min_length=1, max_length=100)
    level: int = Field(ge=1, le=5)


class Role(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2_000)
    skills: list[SkillNeed] = Field(default_factory=list, max_length=100)


class Activity(Strict):
    name: str = Field(min_length=1, max_length=200)
    raci: dict[str, Raci] = Field(default_factory=dict, description="role name -> R, A, C or I")


class Tool(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: ToolKind = ToolKind.TOOL
    description: str = Field("", max_length=2_000)


class Delivery(Strict):
    processes: list[ProcessLink] = Field(default_factory=list, max_length=100)
    roles: list[Role] = Field(default_factory=list, max_length=100)
    activities: list[Activity] = Field(default_factory=list, max_length=500)
    tools: list[Tool] = Field(default_factory=list, max_length=200)


class ServiceSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    category: str = Field("", max_length=100)
    type: ServiceType = ServiceType.BUSINESS
    lifecycle: LifecycleStatus = LifecycleStatus.PIPELINE
    tier: int = Field(3, ge=1, le=4)
    tier_reason: str = Field("", alias="tierReason", max_length=2_000)
    owner: str | None = Field(None, max_length=150, description="username")
    owning_team: str | None = Field(None, alias="owningTeam", max_length=200, description="stakeholder name")
    charging: Charging = Field(default_factory=lambda: Charging())
    portfolio: Portfolio = Field(default_factory=lambda: Portfolio())
    packages: list[Package] = Field(default_factory=list, max_length=20)
    timelines: list[Timeline] = Field(default_factory=list, max_length=200)
    depends_on: list[Dependency] = Field(default_factory=list, alias="dependsOn", max_length=500)
    stakeholders: list[StakeholderLink] = Field(default_factory=list, max_length=500)
    delivery: Delivery = Field(default_factory=lambda: Delivery())


class ServiceDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Service"]
    metadata: KeyMetadata
    spec: ServiceSpec


class StakeholderSpec(Strict):
    kind: StakeholderKind
    description: str = Field("", max_length=5_000)
    contact_name: str = Field("", alias="contactName", max_length=200)
    contact_email: str = Field("", alias="contactEmail", max_length=254)
    contact_phone: str = Field("", alias="contactPhone", max_length=50)
    inform_channel: InformChannel = Field(InformChannel.EMAIL, alias="informChannel")
    inform_frequency: InformFrequency = Field(InformFrequency.MONTHLY, alias="informFrequency")


class StakeholderDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Stakeholder"]
    metadata: Metadata
    spec: StakeholderSpec


class ProcessSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5_000)
    owner: str | None = Field(None, max_length=150)


class ProcessDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Process"]
    metadata: KeyMetadata
    spec: ProcessSpec


class ObjectiveSpec(Strict):
    description: str = Field("", max_length=5_000)
    owner: str | None = Field(None, max_length=150)
    period_start: date = Field(alias="periodStart")
    period_end: date = Field(alias="periodEnd")


class ObjectiveDoc(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["Objective"]
    metadata: Metadata
    spec: ObjectiveSpec


NATIVE_KINDS: dict[str, type[Strict]] = {
    "Stakeholder": StakeholderDoc,
    "Process": ProcessDoc,
    "Objective": ObjectiveDoc,
    "Service": ServiceDoc,
}
