"""Services, their parts (packages, timelines, risks, dependencies...) and their lifecycle."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from csi.catalog.choices import LIFECYCLE_TRANSITIONS, LifecycleStatus
from csi.catalog.models import Service, ServiceDependency
from csi.core.errors import ConflictError
from csi.core.permissions import refuse_self_grant, require
from csi.core.services import audit_record, model_create, model_delete, model_update

SERVICE_FIELDS = {
    "key",
    "name",
    "description",
    "category",
    "service_type",
    "tier",
    "tier_reason",
    "owner",
    "owner_id",
    "owning_team",
    "charging_model",
    "price_unit",
    "price",
    "currency",
    "strengths",
    "weaknesses",
    "portfolio_priority",
    "source",
}


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


@transaction.atomic
def service_create(*, actor: Any, data: dict[str, Any]) -> Service:
    """Create a service in the pipeline. Catalog managers only."""
    require(actor, "catalog.add_service")
    _check_fields(data, SERVICE_FIELDS)
    _refuse_self_owner(actor, data)
    return model_create(actor=actor, model=Service, data=data)


def _refuse_self_owner(actor: Any, data: dict[str, Any]) -> None:
    owner = data.get("owner", data.get("owner_id"))
    if owner is not None:
        refuse_self_grant(actor, owner, "the owner of a service")


@transaction.atomic
def service_update(*, actor: Any, service: Service, data: dict[str, Any]) -> Service:
    """Change a service's catalog and portfolio fields. Its owner may edit it but only catalog managers
    may hand it to another owner or change its key."""
    require(actor, "catalog.change_service", service)
    _check_fields(data, SERVICE_FIELDS)
    owner_change = ("owner" in data and getattr(data["owner"], "pk", None) != service.owner_id) or (
        "owner_id" in data and data["owner_id"] != service.owner_id
    )
    if owner_change or ("key" in data and data["key"] != service.key):
        require(actor, "catalog.assign_service_owner")
    if owner_change:
        _refuse_self_owner(actor, data)
    return model_update(actor=actor, instance=service, data=data)


@transaction.atomic
def service_transition(*, actor: Any, service: Service, verb: str) -> Service:
    """Move the service along its lifecycle with one of the verbs of the transition table (go_live,
    retire, reinstate): its owner or a catalog manager. A verb the current status does not allow is a
    409 naming what is allowed. Audited with the status before and after."""
    require(actor, "catalog.change_service", service)
    # Lock the row and read the status afresh, so two concurrent transitions cannot both pass the check.
    service.lifecycle_status = Service.objects.select_for_update().get(pk=service.pk).lifecycle_status
    allowed = LIFECYCLE_TRANSITIONS.get(service.lifecycle_status, {})
    targets = [to for to, name in allowed.items() if name == verb]
    if not targets:
        names = ", ".join(allowed.values()) or "none"
        raise ConflictError(
            f"A {service.lifecycle_status} service cannot {verb.replace('_', ' ')}. Allowed now: {names}.",
            field="lifecycle_status",
        )
    before = {"lifecycle_status": service.lifecycle_status}
    service.lifecycle_status = targets[0]
    service.save(update_fields=["lifecycle_status", "updated_at"])
    audit_record(actor=actor, verb=verb, obj=service, before=before, after={"lifecycle_status": targets[0]})
    return service


@transaction.atomic
def service_delete(*, actor: Any, service: Service) -> None:
    """Delete a service still in the pipeline (a live service is retired instead, keeping its history)."""
    require(actor, "catalog.delete_service", service)
    if service.lifecycle_status != LifecycleStatus.PIPELINE:
        raise ConflictError("Only a pipeline service can be deleted; retire a live service instead.")
    try:
        model_delete(actor=actor, instance=service)
    except models.ProtectedError as exc:
        raise ConflictError(
            "Other records still refer to this service (for example initiatives' objectives measured on it); "
            "change them first or retire the service."
        ) from exc


def _service_of(part: models.Model) -> Service:
    return part.service if isinstance(part.service, Service) else Service.objects.get(pk=part.service_id)  # type: ignore[attr-defined]


@transaction.atomic
def part_create(*, actor: Any, service: Service, model: type[models.Model], data: dict[str, Any]) -> Any:
    """Add a part of a service (package, timeline, risk, stakeholder link, delivery role, tool...).
    Needs permission to change the service; audited in the service's history."""
    require(actor, "catalog.change_service", service)
    return model_create(actor=actor, model=model, data={**data, "service": service}, scope=service)


@transaction.atomic
def part_update(*, actor: Any, part: Any, data: dict[str, Any]) -> Any:
    service = _service_of(part)
    require(actor, "catalog.change_service", service)
    if "service" in data or "service_id" in data:
        raise ValidationError({"service": "A part cannot move to another service."})
    return model_update(actor=actor, instance=part, data=data, scope=service)


@transaction.atomic
def part_delete(*, actor: Any, part: Any) -> None:
    service = _service_of(part)
    require(actor, "catalog.change_service", service)
    model_delete(actor=actor, instance=part, scope=service)


def _reaches(start_id: int, target_id: int) -> bool:
    """True when `target` can be reached from `start` by following depends-on edges."""
    edges: dict[int, list[int]] = {}
    for service_id, depends_on_id in ServiceDependency.objects.values_list("service_id", "depends_on_id"):
        edges.setdefault(service_id, []).append(depends_on_id)
    seen, stack = set(), [start_id]
    while stack:
        node = stack.pop()
        if node == target_id:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, []))
    return False


@transaction.atomic
def dependency_add(
    *, actor: Any, service: Service, depends_on: Service, description: str = ""
) -> ServiceDependency:
    """Record that `service` depends on `depends_on`. Refuses a self-dependency and any edge that would
    close a cycle (409), naming the path that already exists."""
    require(actor, "catalog.change_service", service)
    if service.pk == depends_on.pk:
        raise ValidationError({"depends_on": "A service cannot depend on itself."})
    if _reaches(depends_on.pk, service.pk):
        raise ConflictError(
            f"{depends_on.key} already depends (directly or not) on {service.key}: this would make a cycle.",
            field="depends_on",
        )
    return model_create(
        actor=actor,
        model=ServiceDependency,
        data={"service": service, "depends_on": depends_on, "description": description},
        scope=service,
    )
