"""API schemas of suggestions for strategic initiatives."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from csi.api.schemas import InSchema
from csi.improvement.choices import SuggestionState
from csi.improvement.schemas.common import (
    INITIATIVE_NUMBER,
    OPPORTUNITY_NUMBER,
    key_field,
    username_of,
)


class SuggestionFilter(Schema):
    state: SuggestionState | None = None


class SuggestionIn(InSchema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    opportunity: str | None = Field(
        None, pattern=OPPORTUNITY_NUMBER, max_length=20, description="The register entry it comes from"
    )
    initiative: str | None = Field(
        None, pattern=INITIATIVE_NUMBER, max_length=20, description="The initiative it comes from"
    )
    review_reference: str = Field("", max_length=200, description="The service review it comes from")


class SuggestionAcceptIn(InSchema):
    plan: str | None = key_field("The strategic plan (default: the only one)")
    title: str | None = Field(
        None, max_length=200, description="The initiative's title (default: the suggestion's)"
    )


class SuggestionDeclineIn(InSchema):
    reason: str = Field(min_length=1, max_length=2_000)


class SuggestionOut(Schema):
    id: int
    title: str
    description: str
    opportunity: str | None
    initiative: str | None
    review_reference: str
    suggested_by: str | None
    suggested_at: datetime
    state: SuggestionState
    decided_by: str | None
    decided_at: datetime | None
    decline_reason: str
    created_initiative: str | None

    @staticmethod
    def resolve_opportunity(obj: Any) -> str | None:
        return obj.opportunity.number if obj.opportunity_id else None

    @staticmethod
    def resolve_initiative(obj: Any) -> str | None:
        return obj.initiative.number if obj.initiative_id else None

    @staticmethod
    def resolve_created_initiative(obj: Any) -> str | None:
        return obj.created_initiative.number if obj.created_initiative_id else None

    @staticmethod
    def resolve_suggested_by(obj: Any) -> str | None:
        return username_of(obj.suggested_by)

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return username_of(obj.decided_by)
