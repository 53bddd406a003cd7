"""Endpoints for the catalog-wide directories: stakeholders, processes, organisation objectives, skills."""

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import MAX_ID, Pagination
from csi.catalog import selectors, services
from csi.catalog.api.common import with_user_fields
from csi.catalog.api.services import KeyPath
from csi.catalog.choices import StakeholderKind
from csi.catalog.schemas import (
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
    ProcessIn,
    ProcessOut,
    ProcessPatch,
    SkillOut,
    StakeholderIn,
    StakeholderOut,
    StakeholderPatch,
)

router = Router(tags=["catalog directories"])
IdPath = Path(..., ge=1, le=MAX_ID)


class StakeholderFilter(Schema):
    search: str | None = Field(None, max_length=200)
    kind: StakeholderKind | None = None


@router.get(
    "/stakeholders", response={200: list[StakeholderOut], **ERROR_RESPONSES}, summary="List stakeholders"
)
@paginate(Pagination)
def stakeholder_list(request: HttpRequest, filters: Query[StakeholderFilter]):
    return selectors.stakeholder_list(actor=request.user, search=filters.search, kind=filters.kind)


@router.post("/stakeholders", response={201: StakeholderOut, **ERROR_RESPONSES}, summary="Add a stakeholder")
def stakeholder_create(request: HttpRequest, payload: StakeholderIn):
    """Catalog managers and service owners keep the stakeholder directory."""
    return Status(201, services.stakeholder_create(actor=request.user, data=payload.dict()))


@router.get(
    "/stakeholders/{stakeholder_id}",
    response={200: StakeholderOut, **ERROR_RESPONSES},
    summary="Get a stakeholder",
)
def stakeholder_get(request: HttpRequest, stakeholder_id: int = IdPath):
    return selectors.stakeholder_get(actor=request.user, stakeholder_id=stakeholder_id)


@router.patch(
    "/stakeholders/{stakeholder_id}",
    response={200: StakeholderOut, **ERROR_RESPONSES},
    summary="Change a stakeholder",
)
def stakeholder_update(request: HttpRequest, payload: StakeholderPatch, stakeholder_id: int = IdPath):
    stakeholder = selectors.stakeholder_get(actor=request.user, stakeholder_id=stakeholder_id)
    return services.stakeholder_update(
        actor=request.user, stakeholder=stakeholder, data=payload.dict(exclude_unset=True)
    )


@router.delete(
    "/stakeholders/{stakeholder_id}", response={204: None, **ERROR_RESPONSES}, summary="Remove a stakeholder"
)
def stakeholder_delete(request: HttpRequest, stakeholder_id: int = IdPath):
    stakeholder = selectors.stakeholder_get(actor=request.user, stakeholder_id=stakeholder_id)
    services.stakeholder_delete(actor=request.user, stakeholder=stakeholder)
    return Status(204, None)


@router.get("/processes", response={200: list[ProcessOut], **ERROR_RESPONSES}, summary="List processes")
@paginate(Pagination)
def process_list(request: HttpRequest):
    return selectors.process_list(actor=request.user)


@router.post("/processes", response={201: ProcessOut, **ERROR_RESPONSES}, summary="Add a process")
def process_create(request: HttpRequest, payload: ProcessIn):
    data = with_user_fields(payload.dict(), "owner")
    return Status(201, services.process_create(actor=request.user, data=data))


@router.get("/processes/{key}", response={200: ProcessOut, **ERROR_RESPONSES}, summary="Get a process")
def process_get(request: HttpRequest, key: str = KeyPath):
    return selectors.process_get(actor=request.user, key=key)


@router.patch("/processes/{key}", response={200: ProcessOut, **ERROR_RESPONSES}, summary="Change a process")
def process_update(request: HttpRequest, payload: ProcessPatch, key: str = KeyPath):
    """Its process owner or a catalog manager; only catalog managers change the owner or key."""
    process = selectors.process_get(actor=request.user, key=key)
    data = with_user_fields(payload.dict(exclude_unset=True), "owner")
    return services.process_update(actor=request.user, process=process, data=data)


@router.delete("/processes/{key}", response={204: None, **ERROR_RESPONSES}, summary="Remove a process")
def process_delete(request: HttpRequest, key: str = KeyPath):
    """Catalog managers; the process's links to services go with it."""
    services.process_delete(actor=request.user, process=selectors.process_get(actor=request.user, key=key))
    return Status(204, None)


@router.get(
    "/objectives",
    response={200: list[ObjectiveOut], **ERROR_RESPONSES},
    summary="List organisation objectives",
)
@paginate(Pagination)
def objective_list(request: HttpRequest):
    return selectors.objective_list(actor=request.user)


@router.post(
    "/objectives", response={201: ObjectiveOut, **ERROR_RESPONSES}, summary="Add an organisation objective"
)
def objective_create(request: HttpRequest, payload: ObjectiveIn):
    data = with_user_fields(payload.dict(), "owner")
    return Status(201, services.objective_create(actor=request.user, data=data))


@router.get(
    "/objectives/{objective_id}", response={200: ObjectiveOut, **ERROR_RESPONSES}, summary="Get an objective"
)
def objective_get(request: HttpRequest, objective_id: int = IdPath):
    return selectors.objective_get(actor=request.user, objective_id=objective_id)


@router.patch(
    "/objectives/{objective_id}",
    response={200: ObjectiveOut, **ERROR_RESPONSES},
    summary="Change an objective",
)
def objective_update(request: HttpRequest, payload: ObjectivePatch, objective_id: int = IdPath):
    objective = selectors.objective_get(actor=request.user, objective_id=objective_id)
    data = with_user_fields(payload.dict(exclude_unset=True), "owner")
    return services.objective_update(actor=request.user, objective=objective, data=data)


@router.delete(
    "/objectives/{objective_id}", response={204: None, **ERROR_RESPONSES}, summary="Remove an objective"
)
def objective_delete(request: HttpRequest, objective_id: int = IdPath):
    objective = selectors.objective_get(actor=request.user, objective_id=objective_id)
    services.objective_delete(actor=request.user, objective=objective)
    return Status(204, None)


@router.get("/skills", response={200: list[SkillOut], **ERROR_RESPONSES}, summary="List skills")
@paginate(Pagination)
def skill_list(request: HttpRequest):
    return selectors.skill_list(actor=request.user)
