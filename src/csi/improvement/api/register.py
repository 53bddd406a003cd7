"""API endpoints of the CSI register: entries, their evidence, their transitions, the likely
duplicates of a new entry and the priority weights."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import Pagination
from csi.improvement.api import common
from csi.improvement.api.common import IdPath, OpportunityPath
from csi.improvement.choices import OPPORTUNITY_TRANSITIONS
from csi.improvement.schemas.register import (
    DuplicateOut,
    DuplicateQueryIn,
    EvidenceIn,
    EvidenceOut,
    OpportunityDetailOut,
    OpportunityFilter,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OpportunityTransitionIn,
    PriorityWeightsIn,
    PriorityWeightsOut,
)
from csi.improvement.selectors import register as selectors
from csi.improvement.services import evidence as evidence_services
from csi.improvement.services import register as services

router = Router(tags=["register"])


def _entry_fields(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Keys and usernames of an entry's body replaced by the objects they name."""
    return common.resolve(
        data,
        {
            "service": lambda f, v: common.service(request, f, v),
            "process": lambda f, v: common.process(request, f, v),
            "standard": lambda f, v: common.standard(request, f, v),
            "actioned_by": common.user,
        },
    )


def _detail(request: HttpRequest, number: str) -> Any:
    return selectors.opportunity_get(actor=request.user, number=number)


# Fixed paths first: /register/weights and /register/duplicates are not entry numbers.


@router.get(
    "/register/weights",
    response={200: PriorityWeightsOut, **ERROR_RESPONSES},
    summary="The priority weights",
)
def weights_get(request: HttpRequest):
    """The weights of the register's priority score: score = (impact*w_i + urgency*w_u + benefit*w_b +
    (6 - effort)*w_e) / (w_i + w_u + w_b + w_e) * 20, from 20 to 100."""
    return services.weights_get()


@router.put(
    "/register/weights",
    response={200: PriorityWeightsOut, **ERROR_RESPONSES},
    summary="Change the priority weights",
)
def weights_update(request: HttpRequest, payload: PriorityWeightsIn):
    """Each weight 0..10, not all 0; every entry is scored again. Administrators."""
    return services.weights_update(actor=request.user, data=payload.dict())


@router.post(
    "/register/duplicates",
    response={200: list[DuplicateOut], **ERROR_RESPONSES},
    summary="Entries a new entry likely repeats",
)
def duplicates(request: HttpRequest, query: DuplicateQueryIn):
    """The open entries (new, under assessment, deferred) whose title and description read like the ones
    given, most alike first, at most five, each with its similarity (0..1, from 0.6). Nothing is stored:
    it is a POST only because a whole description does not fit in a URL."""
    service = common.service(request, "service", query.service)
    excluded = common.opportunity(request, "exclude", query.exclude)
    found = selectors.likely_duplicates(
        actor=request.user,
        title=query.title,
        description=query.description,
        service_id=service.pk if service is not None else None,
        exclude_id=excluded.pk if excluded is not None else None,
    )
    return [
        {
            "number": entry.number,
            "title": entry.title,
            "state": entry.state,
            "service": entry.service.key if entry.service is not None else None,
            "similarity": score,
        }
        for entry, score in found
    ]


@router.get(
    "/register", response={200: list[OpportunityOut], **ERROR_RESPONSES}, summary="List the CSI register"
)
@paginate(Pagination)
def opportunity_list(request: HttpRequest, filters: Query[OpportunityFilter]):
    """The register, highest priority first (`order=rank`), or newest, oldest, by number; filtered by
    state, source, service key and text."""
    return selectors.opportunity_list(
        actor=request.user,
        state=filters.state,
        source=filters.source,
        service_key=filters.service,
        search=filters.search,
        order=filters.order,
    )


@router.post(
    "/register", response={201: OpportunityDetailOut, **ERROR_RESPONSES}, summary="Raise a register entry"
)
def opportunity_raise(request: HttpRequest, payload: OpportunityIn):
    """A new entry (state new), raised by you now, numbered CSI-0001..., scored with the current weights.
    Any role but viewer."""
    data = _entry_fields(request, payload.dict())
    data = {k: v for k, v in data.items() if v is not None}
    entry = services.opportunity_raise(actor=request.user, data=data)
    return Status(201, _detail(request, entry.number))


@router.get(
    "/register/{number}",
    response={200: OpportunityDetailOut, **ERROR_RESPONSES},
    summary="A register entry",
)
def opportunity_get(request: HttpRequest, number: str = OpportunityPath):
    """The entry with its evidence."""
    return _detail(request, number)


@router.patch(
    "/register/{number}",
    response={200: OpportunityDetailOut, **ERROR_RESPONSES},
    summary="Change a register entry",
)
def opportunity_update(request: HttpRequest, payload: OpportunityPatch, number: str = OpportunityPath):
    """The fields sent, as you saw the entry at `version` (409 when someone saved it since). Whoever raised
    it while it is new, and whoever may assess it; a decided entry does not change (409)."""
    entry = _detail(request, number)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    services.opportunity_update(
        actor=request.user, opportunity=entry, data=_entry_fields(request, data), version=version
    )
    return _detail(request, number)


@router.post(
    "/register/{number}/evidence",
    response={201: EvidenceOut, **ERROR_RESPONSES},
    summary="Attach evidence to an entry",
)
def evidence_attach(request: HttpRequest, payload: EvidenceIn, number: str = OpportunityPath):
    """Runs an analytics query now and attaches its rows, frozen: `attainment` (standard_key, period),
    `tickets` (source_key, by, start, end) or `pareto` (standard_key, attribute)."""
    entry = _detail(request, number)
    data = payload.dict(exclude_none=True)
    kind = data.pop("kind")
    evidence = evidence_services.evidence_attach(
        actor=request.user, opportunity=entry, kind=kind, params=data
    )
    return Status(201, evidence)


@router.delete(
    "/register/{number}/evidence/{evidence_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove evidence from an entry",
)
def evidence_remove(request: HttpRequest, number: str = OpportunityPath, evidence_id: int = IdPath):
    entry = _detail(request, number)
    evidence_services.evidence_remove(actor=request.user, evidence=entry.evidence.get(pk=evidence_id))
    return Status(204, None)


ACTIONS = ", ".join(OPPORTUNITY_TRANSITIONS)


@router.post(
    "/register/{number}/{action}",
    response={200: OpportunityDetailOut, **ERROR_RESPONSES},
    summary="Take a register entry's transition",
)
def opportunity_transition(
    request: HttpRequest,
    payload: OpportunityTransitionIn,
    number: str = OpportunityPath,
    action: str = common.action_path(OPPORTUNITY_TRANSITIONS),
):
    """`assess`, `accept` (with `plan` to create an initiative in, or `initiative` to join), `reject`
    (with a `reason`), `mark-duplicate` (with `duplicate_of`), `defer` (with `deferred_until_date`) or
    `reopen`. The owner of the entry's service or process, the owner or maintainer of a plan covering
    them, or the service strategy manager. A wrong state answers 409."""
    entry = _detail(request, number)
    services.opportunity_transition(
        actor=request.user,
        opportunity=entry,
        action=action,
        reason=payload.reason,
        duplicate_of=common.opportunity(request, "duplicate_of", payload.duplicate_of),
        deferred_until_date=payload.deferred_until_date,
        plan=common.plan(request, "plan", payload.plan),
        initiative=common.initiative(request, "initiative", payload.initiative),
        initiative_title=payload.initiative_title,
        version=payload.version,
    )
    return _detail(request, number)
