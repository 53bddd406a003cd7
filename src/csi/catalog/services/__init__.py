"""Every write to the catalog. Each checks permission, validates, writes in one transaction and audits;
on any error nothing is stored."""

from csi.catalog.services.delivery import (
    activity_create,
    process_create,
    process_delete,
    process_update,
    raci_set,
    role_create,
    role_skill_set,
    service_process_link,
    skill_get_or_create,
    tool_create,
)
from csi.catalog.services.objectives import objective_create, objective_delete, objective_update
from csi.catalog.services.service import (
    dependency_add,
    part_create,
    part_delete,
    part_update,
    service_create,
    service_delete,
    service_transition,
    service_update,
)
from csi.catalog.services.stakeholders import (
    stakeholder_create,
    stakeholder_delete,
    stakeholder_link,
    stakeholder_update,
)

__all__ = [
    "activity_create",
    "dependency_add",
    "objective_create",
    "objective_delete",
    "objective_update",
    "part_create",
    "part_delete",
    "part_update",
    "process_create",
    "process_delete",
    "process_update",
    "raci_set",
    "role_create",
    "role_skill_set",
    "service_create",
    "service_delete",
    "service_process_link",
    "service_transition",
    "service_update",
    "skill_get_or_create",
    "stakeholder_create",
    "stakeholder_delete",
    "stakeholder_link",
    "stakeholder_update",
    "tool_create",
]
