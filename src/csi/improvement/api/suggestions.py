"""API endpoints of suggestions for strategic initiatives: anyone who may raise register entries
suggests; the service strategy manager accepts (creating the initiative in the strategic plan) or
declines with a reason."""

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import Pagination
from csi.improvement.api import common
from csi.improvement.api.common import IdPath
from csi.improvement.schemas.suggestions import (
    SuggestionAcceptIn,
    SuggestionDeclineIn,
    SuggestionFilter,
    SuggestionIn,
    SuggestionOut,
)
from csi.improvement.selectors import suggestions as selectors
from csi.improvement.services import suggestions as services

router = Router(tags=["suggestions"])


@router.get(
    "/suggestions", response={200: list[SuggestionOut], **ERROR_RESPONSES}, summary="List suggestions"
)
@paginate(Pagination)
def suggestion_list(request: HttpRequest, filters: Query[SuggestionFilter]):
    """Newest first; filtered by state (open, accepted, declined)."""
    return selectors.suggestion_list(actor=request.user, state=filters.state)


@router.post(
    "/suggestions",
    response={201: SuggestionOut, **ERROR_RESPONSES},
    summary="Suggest a strategic initiative",
)
def suggestion_create(request: HttpRequest, payload: SuggestionIn):
    """A title, a description and where it comes from: a register entry, an initiative or a service
    review (at least one). Any role but viewer; the service strategy managers are notified."""
    data = common.resolve(
        payload.dict(),
        {
            "opportunity": lambda f, v: common.opportunity(request, f, v),
            "initiative": lambda f, v: common.initiative(request, f, v),
        },
    )
    suggestion = services.suggestion_create(actor=request.user, data=data)
    return Status(201, selectors.suggestion_get(actor=request.user, pk=suggestion.pk))


@router.get(
    "/suggestions/{suggestion_id}", response={200: SuggestionOut, **ERROR_RESPONSES}, summary="A suggestion"
)
def suggestion_get(request: HttpRequest, suggestion_id: int = IdPath):
    return selectors.suggestion_get(actor=request.user, pk=suggestion_id)


@router.post(
    "/suggestions/{suggestion_id}/accept",
    response={200: SuggestionOut, **ERROR_RESPONSES},
    summary="Accept a suggestion",
)
def suggestion_accept(request: HttpRequest, payload: SuggestionAcceptIn, suggestion_id: int = IdPath):
    """Creates a draft initiative in the strategic plan (`plan`, or the only strategic plan), titled
    `title` or the suggestion's title. The service strategy manager; an open suggestion only (409)."""
    suggestion = selectors.suggestion_get(actor=request.user, pk=suggestion_id)
    services.suggestion_accept(
        actor=request.user,
        suggestion=suggestion,
        plan=common.plan(request, "plan", payload.plan),
        title=payload.title,
    )
    return selectors.suggestion_get(actor=request.user, pk=suggestion_id)


@router.post(
    "/suggestions/{suggestion_id}/decline",
    response={200: SuggestionOut, **ERROR_RESPONSES},
    summary="Decline a suggestion",
)
def suggestion_decline(request: HttpRequest, payload: SuggestionDeclineIn, suggestion_id: int = IdPath):
    """With the reason, which the suggester is told. The service strategy manager; an open one only (409)."""
    suggestion = selectors.suggestion_get(actor=request.user, pk=suggestion_id)
    services.suggestion_decline(actor=request.user, suggestion=suggestion, reason=payload.reason)
    return selectors.suggestion_get(actor=request.user, pk=suggestion_id)
