"""The delivery model: processes, the service's processes, roles, activities, RACI, tools and skills."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from csi.catalog.choices import Raci
from csi.catalog.models import (
    DeliveryRole,
    Process,
    RaciAssignment,
    RoleSkill,
    Service,
    ServiceActivity,
    ServiceProcess,
    ServiceTool,
    Skill,
)
from csi.core.permissions import refuse_self_grant, require
from csi.core.services import audit_record, model_create, model_delete, model_update, snapshot


@transaction.atomic
def process_create(*, actor: Any, data: dict[str, Any]) -> Process:
    """Add a process to the catalog: catalog managers."""
    require(actor, "catalog.add_process")
    if data.get("owner") is not None:
        refuse_self_grant(actor, data["owner"], "the owner of a process")
    return model_create(actor=actor, model=Process, data=data)


@transaction.atomic
def process_update(*, actor: Any, process: Process, data: dict[str, Any]) -> Process:
    """Change a process: its process owner or a catalog manager; only managers reassign the owner."""
    require(actor, "catalog.change_process", process)
    if ("owner" in data and getattr(data["owner"], "pk", None) != process.owner_id) or (
        "key" in data and data["key"] != process.key
    ):
        require(actor, "catalog.add_process")
    if data.get("owner") is not None and getattr(data["owner"], "pk", None) != process.owner_id:
        refuse_self_grant(actor, data["owner"], "the owner of a process")
    return model_update(actor=actor, instance=process, data=data)


@transaction.atomic
def process_delete(*, actor: Any, process: Process) -> None:
    """Remove a process (and its links to services): catalog managers."""
    require(actor, "catalog.add_process")
    model_delete(actor=actor, instance=process)


@transaction.atomic
def service_process_link(
    *, actor: Any, service: Service, process: Process, notes: str = ""
) -> ServiceProcess:
    require(actor, "catalog.change_service", service)
    return model_create(
        actor=actor,
        model=ServiceProcess,
        data={"service": service, "process": process, "notes": notes},
        scope=service,
    )


@transaction.atomic
def role_create(*, actor: Any, service: Service, data: dict[str, Any]) -> DeliveryRole:
    require(actor, "catalog.change_service", service)
    return model_create(actor=actor, model=DeliveryRole, data={**data, "service": service}, scope=service)


@transaction.atomic
def activity_create(*, actor: Any, service: Service, data: dict[str, Any]) -> ServiceActivity:
    require(actor, "catalog.change_service", service)
    return model_create(actor=actor, model=ServiceActivity, data={**data, "service": service}, scope=service)


@transaction.atomic
def tool_create(*, actor: Any, service: Service, data: dict[str, Any]) -> ServiceTool:
    require(actor, "catalog.change_service", service)
    return model_create(actor=actor, model=ServiceTool, data={**data, "service": service}, scope=service)


@transaction.atomic
def raci_set(
    *, actor: Any, activity: ServiceActivity, role: DeliveryRole, letter: str | None
) -> RaciAssignment | None:
    """Set one RACI cell (R, A, C or I), or clear it with None. The role must belong to the activity's
    service, and an activity has at most one Accountable role."""
    service = activity.service
    require(actor, "catalog.change_service", service)
    if role.service_id != service.pk:
        raise ValidationError({"role": f"The role '{role}' belongs to another service."})
    cell = RaciAssignment.objects.filter(activity=activity, role=role).first()
    if letter is None:
        if cell is not None:
            model_delete(actor=actor, instance=cell, scope=service)
        return None
    if letter not in Raci.values:
        raise ValidationError({"letter": "Use R, A, C or I."})
    if letter == Raci.ACCOUNTABLE:
        other = (
            RaciAssignment.objects.filter(activity=activity, letter=Raci.ACCOUNTABLE)
            .exclude(role=role)
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "letter": f"'{activity}' already has an accountable role ({other.role}); an activity has one."
                }
            )
    if cell is None:
        return model_create(
            actor=actor,
            model=RaciAssignment,
            data={"activity": activity, "role": role, "letter": letter},
            scope=service,
        )
    return model_update(actor=actor, instance=cell, data={"letter": letter}, scope=service)


@transaction.atomic
def skill_get_or_create(*, actor: Any, name: str, description: str = "") -> Skill:
    """The skill of that name (case-insensitive), created when new. Anyone who may change a service's
    delivery model may name a new skill; the skills directory itself is kept by catalog managers and
    the HR / skills manager."""
    name = name.strip()
    existing = Skill.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    skill = Skill(name=name, description=description)
    skill.full_clean()
    skill.save()
    audit_record(actor=actor, verb="create", obj=skill, after=snapshot(skill))
    return skill


@transaction.atomic
def role_skill_set(*, actor: Any, role: DeliveryRole, skill_name: str, level: int | None) -> RoleSkill | None:
    """Set the level (1 to 5) of a skill the role needs (the skill is created when new), or remove the
    requirement with None."""
    service = role.service
    require(actor, "catalog.change_service", service)
    skill = skill_get_or_create(actor=actor, name=skill_name)
    current = RoleSkill.objects.filter(role=role, skill=skill).first()
    if level is None:
        if current is not None:
            model_delete(actor=actor, instance=current, scope=service)
        return None
    if current is None:
        return model_create(
            actor=actor, model=RoleSkill, data={"role": role, "skill": skill, "level": level}, scope=service
        )
    return model_update(actor=actor, instance=current, data={"level": level}, scope=service)
