"""The stakeholder directory and stakeholders' relations to services."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from csi.catalog.models import Service, ServiceStakeholder, Stakeholder
from csi.core.permissions import require
from csi.core.services import model_create, model_delete, model_update


@transaction.atomic
def stakeholder_create(*, actor: Any, data: dict[str, Any]) -> Stakeholder:
    """Add a stakeholder to the directory: catalog managers and service owners."""
    require(actor, "catalog.manage_stakeholders")
    return model_create(actor=actor, model=Stakeholder, data=data)


@transaction.atomic
def stakeholder_update(*, actor: Any, stakeholder: Stakeholder, data: dict[str, Any]) -> Stakeholder:
    require(actor, "catalog.manage_stakeholders")
    return model_update(actor=actor, instance=stakeholder, data=data)


@transaction.atomic
def stakeholder_delete(*, actor: Any, stakeholder: Stakeholder) -> None:
    """Remove a stakeholder and its relations to every service."""
    require(actor, "catalog.manage_stakeholders")
    model_delete(actor=actor, instance=stakeholder)


@transaction.atomic
def stakeholder_link(
    *, actor: Any, service: Service, stakeholder: Stakeholder, data: dict[str, Any]
) -> ServiceStakeholder:
    """Relate a stakeholder to a service (customer, user, sponsor, supplier) with importance, impact,
    interest and influence. Needs permission to change the service."""
    require(actor, "catalog.change_service", service)
    return model_create(
        actor=actor,
        model=ServiceStakeholder,
        data={**data, "service": service, "stakeholder": stakeholder},
        scope=service,
    )
