"""The organisation's objectives, which plan objectives align to."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from csi.catalog.models import OrganisationObjective
from csi.core.permissions import require
from csi.core.services import model_create, model_delete, model_update


@transaction.atomic
def objective_create(*, actor: Any, data: dict[str, Any]) -> OrganisationObjective:
    require(actor, "catalog.manage_objectives")
    return model_create(actor=actor, model=OrganisationObjective, data=data)


@transaction.atomic
def objective_update(
    *, actor: Any, objective: OrganisationObjective, data: dict[str, Any]
) -> OrganisationObjective:
    require(actor, "catalog.manage_objectives")
    return model_update(actor=actor, instance=objective, data=data)


@transaction.atomic
def objective_delete(*, actor: Any, objective: OrganisationObjective) -> None:
    require(actor, "catalog.manage_objectives")
    model_delete(actor=actor, instance=objective)
