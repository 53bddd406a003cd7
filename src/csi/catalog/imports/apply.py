"""Applying desired catalog state: upsert a service's own fields and make its parts match a list.

Every write goes through the catalog services, so it is permission-checked and audited; an unchanged
object is not written at all, which is what makes re-importing the same files change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from csi.catalog import services
from csi.catalog.choices import LifecycleStatus
from csi.catalog.models import (
    DeliveryRole,
    DeliveryTimeline,
    PortfolioRisk,
    Process,
    RaciAssignment,
    Service,
    ServiceActivity,
    ServiceDependency,
    ServiceLevelPackage,
    ServiceProcess,
    ServiceStakeholder,
    ServiceTool,
    Stakeholder,
)
from csi.core.errors import ConflictError

# How to get from one lifecycle status to another through the transition table.
LIFECYCLE_PATHS: dict[tuple[str, str], list[str]] = {
    (LifecycleStatus.PIPELINE, LifecycleStatus.LIVE): ["go_live"],
    (LifecycleStatus.PIPELINE, LifecycleStatus.RETIRED): ["retire"],
    (LifecycleStatus.LIVE, LifecycleStatus.RETIRED): ["retire"],
    (LifecycleStatus.RETIRED, LifecycleStatus.LIVE): ["reinstate"],
}


def upsert_service(actor: Any, key: str, fields: dict[str, Any], lifecycle: str | None) -> Service:
    """Create the service or update the fields given; then move it to `lifecycle` if asked."""
    service = Service.objects.filter(key=key).first()
    if service is None:
        service = services.service_create(actor=actor, data={"key": key, **fields})
    else:
        changed = differing_fields(service, fields)
        if changed:
            service = services.service_update(actor=actor, service=service, data=changed)
    if lifecycle and lifecycle != service.lifecycle_status:
        path = LIFECYCLE_PATHS.get((service.lifecycle_status, lifecycle))
        if path is None:
            raise ConflictError(
                f"A {service.lifecycle_status} service cannot go back to {lifecycle}.", field="lifecycle"
            )
        for verb in path:
            service = services.service_transition(actor=actor, service=service, verb=verb)
    return service


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    return value.pk if hasattr(value, "pk") else value


def _comparable(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def differing_fields(obj: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The items of `data` whose value differs from the object's (related objects compared by key)."""
    return {name: value for name, value in data.items() if _value(obj, name) != _comparable(value)}


def sync_parts(
    actor: Any,
    service: Service,
    existing: list[Any],
    key_of: Callable[[Any], Any],
    desired: dict[Any, dict[str, Any]],
    create: Callable[[dict[str, Any]], Any],
) -> dict[Any, Any]:
    """Make the service's parts of one kind match `desired` (natural key -> field values): create the
    missing, update the different, delete the ones no longer listed. Returns key -> part."""
    current = {key_of(part): part for part in existing}
    result = {}
    for key, data in desired.items():
        part = current.pop(key, None)
        if part is None:
            part = create(data)
        else:
            changes = differing_fields(part, data)
            if changes:
                part = services.part_update(actor=actor, part=part, data=changes)
        result[key] = part
    for part in current.values():
        services.part_delete(actor=actor, part=part)
    return result


def apply_service_parts(actor: Any, service: Service, spec: Any) -> None:
    """Make every part of the service match a native ServiceSpec (packages, timelines, risks,
    dependencies, stakeholders, delivery model)."""

    def simple(model: type[Any], key_field: str, items: list[dict[str, Any]]) -> None:
        sync_parts(
            actor,
            service,
            list(model.objects.filter(service=service)),
            lambda p: getattr(p, key_field),
            {item[key_field]: item for item in items},
            lambda data: services.part_create(actor=actor, service=service, model=model, data=data),
        )

    simple(ServiceLevelPackage, "name", [p.model_dump() for p in spec.packages])
    simple(DeliveryTimeline, "request_type", [t.model_dump() for t in spec.timelines])
    simple(PortfolioRisk, "title", [r.model_dump() for r in spec.portfolio.risks])
    simple(ServiceTool, "name", [t.model_dump() for t in spec.delivery.tools])

    targets = {}
    for index, dep in enumerate(spec.depends_on):
        target = Service.objects.filter(key=dep.service).first()
        if target is None:
            raise ValidationError(
                {f"spec.dependsOn[{index}].service": f"No service has the key '{dep.service}'."}
            )
        targets[target.pk] = {"depends_on": target, "description": dep.description}
    sync_parts(
        actor,
        service,
        list(ServiceDependency.objects.filter(service=service)),
        lambda d: d.depends_on_id,
        targets,
        lambda data: services.dependency_add(actor=actor, service=service, **data),
    )

    links = {}
    for index, link in enumerate(spec.stakeholders):
        stakeholder = Stakeholder.objects.filter(name=link.stakeholder).first()
        if stakeholder is None:
            raise ValidationError(
                {f"spec.stakeholders[{index}].stakeholder": f"No stakeholder is called '{link.stakeholder}'."}
            )
        data = link.model_dump(exclude={"stakeholder"})
        links[(stakeholder.pk, link.relation)] = {**data, "stakeholder": stakeholder}
    sync_parts(
        actor,
        service,
        list(ServiceStakeholder.objects.filter(service=service)),
        lambda s: (s.stakeholder_id, s.relation),
        links,
        lambda data: services.stakeholder_link(
            actor=actor, service=service, stakeholder=data.pop("stakeholder"), data=data
        ),
    )

    processes = {}
    for index, link in enumerate(spec.delivery.processes):
        process = Process.objects.filter(key=link.process).first()
        if process is None:
            raise ValidationError(
                {f"spec.delivery.processes[{index}].process": f"No process has the key '{link.process}'."}
            )
        processes[process.pk] = {"process": process, "notes": link.notes}
    sync_parts(
        actor,
        service,
        list(ServiceProcess.objects.filter(service=service)),
        lambda p: p.process_id,
        processes,
        lambda data: services.service_process_link(actor=actor, service=service, **data),
    )

    roles = sync_parts(
        actor,
        service,
        list(DeliveryRole.objects.filter(service=service)),
        lambda r: r.name,
        {r.name: {"name": r.name, "description": r.description} for r in spec.delivery.roles},
        lambda data: services.role_create(actor=actor, service=service, data=data),
    )
    for role_spec in spec.delivery.roles:
        role = roles[role_spec.name]
        wanted = {need.skill.lower(): need for need in role_spec.skills}
        for requirement in list(role.skills.select_related("skill")):
            if requirement.skill.name.lower() not in wanted:
                services.role_skill_set(actor=actor, role=role, skill_name=requirement.skill.name, level=None)
        for need in role_spec.skills:
            current = role.skills.filter(skill__name__iexact=need.skill).first()
            if current is None or current.level != need.level:
                services.role_skill_set(actor=actor, role=role, skill_name=need.skill, level=need.level)

    activities = sync_parts(
        actor,
        service,
        list(ServiceActivity.objects.filter(service=service)),
        lambda a: a.name,
        {a.name: {"name": a.name, "position": index} for index, a in enumerate(spec.delivery.activities)},
        lambda data: services.activity_create(actor=actor, service=service, data=data),
    )
    for index, activity_spec in enumerate(spec.delivery.activities):
        activity = activities[activity_spec.name]
        unknown = sorted(set(activity_spec.raci) - set(roles))
        if unknown:
            raise ValidationError(
                {f"spec.delivery.activities[{index}].raci": f"No role is called {', '.join(unknown)}."}
            )
        cells = {
            a.role.name: a for a in RaciAssignment.objects.filter(activity=activity).select_related("role")
        }
        # Clear first, so that moving the single Accountable role from one role to another works.
        for role_name, cell in cells.items():
            if activity_spec.raci.get(role_name) != cell.letter:
                services.raci_set(actor=actor, activity=activity, role=cell.role, letter=None)
        for role_name, letter in activity_spec.raci.items():
            if cells.get(role_name) is None or cells[role_name].letter != letter:
                services.raci_set(actor=actor, activity=activity, role=roles[role_name], letter=letter)
