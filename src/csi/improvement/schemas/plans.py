"""API schemas of plans, their objectives and the portfolio."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import StrictInt

from csi.api.schemas import InSchema, IsoDate
from csi.improvement.choices import PlanKind
from csi.improvement.schemas.common import (
    KEY,
    MAX_ID,
    Money,
    money_field,
    text_field,
    username_field,
    username_of,
)


class PlanFilter(Schema):
    kind: PlanKind | None = None
    search: str | None = Field(None, max_length=200, description="Text in the name")


class PlanIn(InSchema):
    key: str = Field(pattern=KEY, max_length=63)
    kind: PlanKind
    name: str = Field(min_length=1, max_length=200)
    scope: str = text_field(5_000)
    services: list[str] = Field(default_factory=list, max_length=500, description="Service keys")
    processes: list[str] = Field(default_factory=list, max_length=500, description="Process keys")
    period_start_date: IsoDate
    period_end_date: IsoDate
    vision: str = text_field(5_000)
    owner: str | None = username_field("Username of the owner")
    maintainer: str | None = username_field("Username of the maintainer")
    budget_limit: Decimal = money_field(Decimal(0), "What the owner approves alone")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")


class PlanPatch(InSchema):
    version: StrictInt = Field(ge=1, description="The version you saw; a stale one answers 409")
    name: str | None = Field(None, min_length=1, max_length=200)
    scope: str | None = text_field(5_000, None)
    services: list[str] | None = Field(None, max_length=500, description="Service keys (replace the set)")
    processes: list[str] | None = Field(None, max_length=500, description="Process keys (replace the set)")
    period_start_date: IsoDate | None = None
    period_end_date: IsoDate | None = None
    vision: str | None = text_field(5_000, None)
    owner: str | None = username_field("Username; null: nobody")
    maintainer: str | None = username_field("Username; null: nobody")
    budget_limit: Decimal | None = money_field()
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")


class PlanObjectiveIn(InSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = text_field(5_000)
    organisation_objective: int | None = Field(None, ge=1, le=MAX_ID, description="Id")


class PlanObjectivePatch(InSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = text_field(5_000, None)
    organisation_objective: int | None = Field(None, ge=1, le=MAX_ID, description="Id; null: none")


class PlanObjectiveOut(Schema):
    id: int
    title: str
    description: str
    organisation_objective: int | None

    @staticmethod
    def resolve_organisation_objective(obj: Any) -> int | None:
        return obj.organisation_objective_id


class PlanOut(Schema):
    key: str
    kind: PlanKind
    name: str
    scope: str
    services: list[str]
    processes: list[str]
    period_start_date: date
    period_end_date: date
    vision: str
    owner: str | None
    maintainer: str | None
    budget_limit: Money
    currency: str
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_services(obj: Any) -> list[str]:
        return [s.key for s in obj.services.all()]

    @staticmethod
    def resolve_processes(obj: Any) -> list[str]:
        return [p.key for p in obj.processes.all()]

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return username_of(obj.owner)

    @staticmethod
    def resolve_maintainer(obj: Any) -> str | None:
        return username_of(obj.maintainer)


class PlanDetailOut(PlanOut):
    objectives: list[PlanObjectiveOut]


class PortfolioQuery(Schema):
    kind: PlanKind | None = None


class PortfolioLineOut(Schema):
    plan: str
    name: str
    kind: PlanKind
    currency: str
    initiatives: int
    open: int
    by_state: dict[str, int]
    budget_requested: Money
    budget_approved: Money
    budget_spent: Money
    health: dict[str, int]
    worst_health: str


class PortfolioBudgetOut(Schema):
    requested: Money
    approved: Money
    spent: Money


class PortfolioTotalsOut(Schema):
    initiatives: int
    by_state: dict[str, int]
    budget: dict[str, PortfolioBudgetOut] = Field(description="Per currency")


class PortfolioOut(Schema):
    plans: list[PortfolioLineOut]
    totals: PortfolioTotalsOut
