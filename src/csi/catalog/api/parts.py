"""Endpoints for the parts of a service: packages, delivery timelines, risks, tools, delivery roles,
activities and stakeholder links (list, add, change, remove), the delivery model and its RACI matrix."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status

from csi.api.errors import ERROR_RESPONSES
from csi.api.pagination import MAX_ID
from csi.catalog import selectors, services
from csi.catalog.api.services import KeyPath
from csi.catalog.models import (
    DeliveryRole,
    DeliveryTimeline,
    PortfolioRisk,
    Process,
    ServiceActivity,
    ServiceLevelPackage,
    ServiceProcess,
    ServiceStakeholder,
    ServiceTool,
    Stakeholder,
)
from csi.catalog.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    DeliveryModelOut,
    DeliveryRoleIn,
    DeliveryRolePartOut,
    DeliveryRolePatch,
    PackageIn,
    PackageOut,
    PackagePatch,
    RaciCellIn,
    RiskIn,
    RiskOut,
    RiskPatch,
    RoleSkillIn,
    ServiceProcessIn,
    ServiceProcessOut,
    StakeholderLinkIn,
    StakeholderLinkOut,
    StakeholderLinkPatch,
    TimelineIn,
    TimelineOut,
    TimelinePatch,
    ToolIn,
    ToolOut,
    ToolPatch,
)

router = Router(tags=["service parts"])
IdPath = Path(..., ge=1, le=MAX_ID)


def _register(
    path: str,
    label: str,
    model: type[Any],
    schema_in: type[Schema],
    schema_patch: type[Schema],
    schema_out: type[Schema],
) -> None:
    """list / add / change / remove endpoints for one kind of part under /services/{key}/<path>."""
    name = path.replace("-", "_")

    @router.get(
        f"/services/{{key}}/{path}",
        response={200: list[schema_out], **ERROR_RESPONSES},  # type: ignore[valid-type]
        summary=f"List a service's {label}s",
        operation_id=f"{name}_list",
    )
    def part_list(request: HttpRequest, key: str = KeyPath):
        service = selectors.service_get(actor=request.user, key=key)
        return list(selectors.part_list(actor=request.user, service=service, model=model))

    @router.post(
        f"/services/{{key}}/{path}",
        response={201: schema_out, **ERROR_RESPONSES},
        summary=f"Add a {label}",
        operation_id=f"{name}_create",
    )
    def part_create(request: HttpRequest, payload: schema_in, key: str = KeyPath):  # type: ignore[valid-type]
        service = selectors.service_get(actor=request.user, key=key)
        part = services.part_create(actor=request.user, service=service, model=model, data=payload.dict())  # type: ignore[attr-defined]
        return Status(201, part)

    @router.patch(
        f"/services/{{key}}/{path}/{{part_id}}",
        response={200: schema_out, **ERROR_RESPONSES},
        summary=f"Change a {label}",
        operation_id=f"{name}_update",
    )
    def part_update(request: HttpRequest, payload: schema_patch, key: str = KeyPath, part_id: int = IdPath):  # type: ignore[valid-type]
        service = selectors.service_get(actor=request.user, key=key)
        part = selectors.part_get(actor=request.user, service=service, model=model, part_id=part_id)
        return services.part_update(actor=request.user, part=part, data=payload.dict(exclude_unset=True))  # type: ignore[attr-defined]

    @router.delete(
        f"/services/{{key}}/{path}/{{part_id}}",
        response={204: None, **ERROR_RESPONSES},
        summary=f"Remove a {label}",
        operation_id=f"{name}_delete",
    )
    def part_delete(request: HttpRequest, key: str = KeyPath, part_id: int = IdPath):
        service = selectors.service_get(actor=request.user, key=key)
        part = selectors.part_get(actor=request.user, service=service, model=model, part_id=part_id)
        services.part_delete(actor=request.user, part=part)
        return Status(204, None)


_register("packages", "service level package", ServiceLevelPackage, PackageIn, PackagePatch, PackageOut)
_register("timelines", "delivery timeline", DeliveryTimeline, TimelineIn, TimelinePatch, TimelineOut)
_register("risks", "portfolio risk", PortfolioRisk, RiskIn, RiskPatch, RiskOut)
_register("tools", "tool or technology", ServiceTool, ToolIn, ToolPatch, ToolOut)
_register("roles", "delivery role", DeliveryRole, DeliveryRoleIn, DeliveryRolePatch, DeliveryRolePartOut)
_register("activities", "activity", ServiceActivity, ActivityIn, ActivityPatch, ActivityOut)


@router.get(
    "/services/{key}/stakeholders",
    response={200: list[StakeholderLinkOut], **ERROR_RESPONSES},
    summary="A service's stakeholders",
)
def stakeholder_links(request: HttpRequest, key: str = KeyPath):
    """The service's stakeholders with relation, importance, impact, interest, influence and map quadrant."""
    service = selectors.service_get(actor=request.user, key=key)
    return selectors.service_stakeholders(actor=request.user, service=service)


@router.post(
    "/services/{key}/stakeholders",
    response={201: StakeholderLinkOut, **ERROR_RESPONSES},
    summary="Relate a stakeholder to a service",
)
def stakeholder_link(request: HttpRequest, payload: StakeholderLinkIn, key: str = KeyPath):
    service = selectors.service_get(actor=request.user, key=key)
    data = payload.dict()
    try:
        stakeholder = selectors.stakeholder_get(actor=request.user, stakeholder_id=data.pop("stakeholder_id"))
    except Stakeholder.DoesNotExist as exc:
        raise ValidationError({"stakeholder_id": "No stakeholder has this id."}) from exc
    link = services.stakeholder_link(actor=request.user, service=service, stakeholder=stakeholder, data=data)
    return Status(201, link)


@router.patch(
    "/services/{key}/stakeholders/{part_id}",
    response={200: StakeholderLinkOut, **ERROR_RESPONSES},
    summary="Change a stakeholder's relation to a service",
)
def stakeholder_link_update(
    request: HttpRequest, payload: StakeholderLinkPatch, key: str = KeyPath, part_id: int = IdPath
):
    service = selectors.service_get(actor=request.user, key=key)
    link = selectors.part_get(actor=request.user, service=service, model=ServiceStakeholder, part_id=part_id)
    return services.part_update(actor=request.user, part=link, data=payload.dict(exclude_unset=True))


@router.delete(
    "/services/{key}/stakeholders/{part_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a stakeholder from a service",
)
def stakeholder_unlink(request: HttpRequest, key: str = KeyPath, part_id: int = IdPath):
    service = selectors.service_get(actor=request.user, key=key)
    link = selectors.part_get(actor=request.user, service=service, model=ServiceStakeholder, part_id=part_id)
    services.part_delete(actor=request.user, part=link)
    return Status(204, None)


@router.get(
    "/services/{key}/delivery-model",
    response={200: DeliveryModelOut, **ERROR_RESPONSES},
    summary="A service's delivery model",
)
def delivery_model(request: HttpRequest, key: str = KeyPath):
    """Processes, delivery roles with the skills they need, the RACI matrix (one letter per role, in the
    order of `roles`) and tools."""
    service = selectors.service_get(actor=request.user, key=key)
    model = selectors.service_delivery_model(actor=request.user, service=service)
    return {
        "processes": model.processes,
        "roles": [
            {
                "id": role.pk,
                "name": role.name,
                "description": role.description,
                "skills": [{"skill": r.skill.name, "level": r.level} for r in model.skills.get(role.pk, [])],
            }
            for role in model.roles
        ],
        "raci": [{"activity": row.activity, "cells": row.cells} for row in model.raci],
        "tools": model.tools,
    }


@router.post(
    "/services/{key}/processes",
    response={201: ServiceProcessOut, **ERROR_RESPONSES},
    summary="Record a process the service depends on",
)
def service_process_link(request: HttpRequest, payload: ServiceProcessIn, key: str = KeyPath):
    service = selectors.service_get(actor=request.user, key=key)
    try:
        process = selectors.process_get(actor=request.user, key=payload.process)
    except Process.DoesNotExist as exc:
        raise ValidationError({"process": f"No process has the key '{payload.process}'."}) from exc
    link = services.service_process_link(
        actor=request.user, service=service, process=process, notes=payload.notes
    )
    return Status(201, link)


@router.delete(
    "/services/{key}/processes/{part_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a process from a service",
)
def service_process_unlink(request: HttpRequest, key: str = KeyPath, part_id: int = IdPath):
    service = selectors.service_get(actor=request.user, key=key)
    link = selectors.part_get(actor=request.user, service=service, model=ServiceProcess, part_id=part_id)
    services.part_delete(actor=request.user, part=link)
    return Status(204, None)


@router.put(
    "/services/{key}/raci",
    response={200: DeliveryModelOut, **ERROR_RESPONSES},
    summary="Set one cell of the RACI matrix",
)
def raci_set(request: HttpRequest, payload: RaciCellIn, key: str = KeyPath):
    """Set a role's letter for an activity (R, A, C, I) or clear it; one Accountable role per activity."""
    service = selectors.service_get(actor=request.user, key=key)
    try:
        activity = selectors.part_get(
            actor=request.user, service=service, model=ServiceActivity, part_id=payload.activity_id
        )
        role = selectors.part_get(
            actor=request.user, service=service, model=DeliveryRole, part_id=payload.role_id
        )
    except (ServiceActivity.DoesNotExist, DeliveryRole.DoesNotExist) as exc:
        raise ValidationError(
            {"activity_id": "The activity and the role must both belong to this service."}
        ) from exc
    services.raci_set(actor=request.user, activity=activity, role=role, letter=payload.letter)
    return delivery_model(request, key=key)


@router.put(
    "/services/{key}/role-skills",
    response={200: DeliveryModelOut, **ERROR_RESPONSES},
    summary="Set the level of a skill a role needs",
)
def role_skill_set(request: HttpRequest, payload: RoleSkillIn, key: str = KeyPath):
    service = selectors.service_get(actor=request.user, key=key)
    try:
        role = selectors.part_get(
            actor=request.user, service=service, model=DeliveryRole, part_id=payload.role_id
        )
    except DeliveryRole.DoesNotExist as exc:
        raise ValidationError({"role_id": "The role must belong to this service."}) from exc
    services.role_skill_set(actor=request.user, role=role, skill_name=payload.skill, level=payload.level)
    return delivery_model(request, key=key)
