"""API schemas of the CSI register: entries, their evidence and transitions, the priority weights."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from csi.api.schemas import InSchema, IsoDate
from csi.improvement.choices import OpportunitySource, OpportunityState, Size, Timescale
from csi.improvement.schemas.common import (
    INITIATIVE_NUMBER,
    OPPORTUNITY_NUMBER,
    key_field,
    level_field,
    text_field,
    username_field,
    username_of,
)


class OpportunityFilter(Schema):
    state: OpportunityState | None = None
    source: OpportunitySource | None = None
    service: str | None = Field(None, max_length=63, description="Service key")
    search: str | None = Field(None, max_length=200, description="Text in the number, title or description")
    order: Literal["rank", "newest", "oldest", "number"] = "rank"


class OpportunityIn(InSchema):
    title: str = Field(min_length=1, max_length=200)
    source: OpportunitySource
    description: str = Field(min_length=1, max_length=10_000)
    service: str | None = key_field("Key of the service concerned")
    process: str | None = key_field("Key of the process concerned")
    size: Size = Size.MEDIUM
    timescale: Timescale = Timescale.MEDIUM
    kpi: str = text_field(200)
    standard: str | None = key_field("Key of the service standard concerned")
    justification: str = text_field(5_000)
    impact: StrictInt = level_field()
    urgency: StrictInt = level_field()
    effort: StrictInt = level_field()
    benefit: StrictInt = level_field()
    expected_benefit: str = text_field(5_000)
    actioned_by: str | None = username_field("Username of who actions it")
    required_by_date: IsoDate | None = None


class OpportunityPatch(InSchema):
    version: StrictInt = Field(ge=1, description="The version you saw; a stale one answers 409")
    title: str | None = Field(None, min_length=1, max_length=200)
    source: OpportunitySource | None = None
    description: str | None = Field(None, min_length=1, max_length=10_000)
    service: str | None = key_field("Service key; null: none")
    process: str | None = key_field("Process key; null: none")
    size: Size | None = None
    timescale: Timescale | None = None
    kpi: str | None = text_field(200, None)
    standard: str | None = key_field("Standard key; null: none")
    justification: str | None = text_field(5_000, None)
    impact: StrictInt | None = level_field(None)
    urgency: StrictInt | None = level_field(None)
    effort: StrictInt | None = level_field(None)
    benefit: StrictInt | None = level_field(None)
    expected_benefit: str | None = text_field(5_000, None)
    actioned_by: str | None = username_field("Username; null: nobody")
    required_by_date: IsoDate | None = None


class OpportunityTransitionIn(InSchema):
    version: StrictInt | None = Field(None, ge=1, description="The version you saw (refused when stale)")
    reason: str = Field("", max_length=2_000, description="Required to reject")
    plan: str | None = key_field("accept: key of the plan to create an initiative in")
    initiative: str | None = Field(
        None, pattern=INITIATIVE_NUMBER, max_length=20, description="accept: number of an initiative to join"
    )
    initiative_title: str = Field("", max_length=200, description="accept: the new initiative's title")
    duplicate_of: str | None = Field(
        None, pattern=OPPORTUNITY_NUMBER, max_length=20, description="mark-duplicate: the entry it repeats"
    )
    deferred_until_date: IsoDate | None = Field(None, description="defer: a date after today")


class EvidenceIn(InSchema):
    kind: Literal["attainment", "tickets", "pareto"]
    standard_key: str | None = key_field("attainment, pareto")
    period: str | None = Field(None, max_length=20, description="attainment: day, week, month, quarter, year")
    source_key: str | None = key_field("tickets: the data source")
    by: str | None = Field(None, max_length=40, description="tickets: the attribute to group by")
    start: str | None = Field(None, max_length=40, description="tickets: from (YYYY-MM-DD)")
    end: str | None = Field(None, max_length=40, description="tickets: to (YYYY-MM-DD)")
    attribute: str | None = Field(None, max_length=40, description="pareto: the attribute")


class EvidenceOut(Schema):
    id: int
    kind: str
    title: str
    query: dict[str, Any]
    result: list[Any]
    link: str
    attached_at: datetime
    attached_by: str | None

    @staticmethod
    def resolve_attached_by(obj: Any) -> str | None:
        return username_of(obj.attached_by)


class OpportunityOut(Schema):
    number: str
    title: str
    state: OpportunityState
    source: OpportunitySource
    service: str | None
    process: str | None
    description: str
    size: Size
    timescale: Timescale
    kpi: str
    standard: str | None
    justification: str
    impact: int
    urgency: int
    effort: int
    benefit: int
    expected_benefit: str
    actioned_by: str | None
    required_by_date: date | None
    score: float
    raised_at: datetime
    raised_by: str | None
    state_reason: str
    deferred_until_date: date | None
    initiative: str | None
    decided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_service(obj: Any) -> str | None:
        return obj.service.key if obj.service_id else None

    @staticmethod
    def resolve_process(obj: Any) -> str | None:
        return obj.process.key if obj.process_id else None

    @staticmethod
    def resolve_standard(obj: Any) -> str | None:
        return obj.standard.key if obj.standard_id else None

    @staticmethod
    def resolve_initiative(obj: Any) -> str | None:
        return obj.initiative.number if obj.initiative_id else None

    @staticmethod
    def resolve_raised_by(obj: Any) -> str | None:
        return username_of(obj.raised_by)

    @staticmethod
    def resolve_actioned_by(obj: Any) -> str | None:
        return username_of(obj.actioned_by)


class OpportunityDetailOut(OpportunityOut):
    duplicate_of: str | None
    decided_by: str | None
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_duplicate_of(obj: Any) -> str | None:
        return obj.duplicate_of.number if obj.duplicate_of_id else None

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return username_of(obj.decided_by)


class DuplicateQueryIn(InSchema):
    """A search, sent as a body: a whole description does not fit in a URL."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    service: str | None = key_field("Key of the entry's service (entries of the same service score higher)")
    exclude: str | None = Field(
        None, pattern=OPPORTUNITY_NUMBER, max_length=20, description="The entry being edited"
    )


class DuplicateOut(Schema):
    number: str
    title: str
    state: OpportunityState
    service: str | None
    similarity: float = Field(description="0..1; listed from 0.6")


class PriorityWeightsIO(Schema):
    impact: StrictInt = Field(ge=0, le=10)
    urgency: StrictInt = Field(ge=0, le=10)
    benefit: StrictInt = Field(ge=0, le=10)
    effort: StrictInt = Field(ge=0, le=10, description="Less effort scores higher")


class PriorityWeightsIn(PriorityWeightsIO, InSchema):
    pass


class PriorityWeightsOut(PriorityWeightsIO):
    updated_at: datetime
