"""Who may change the catalog. Everybody signed in reads it; administrators and the service strategy
manager manage it; a service owner edits their own services (with their stakeholders, delivery model
and standards); a process owner edits their processes."""

from __future__ import annotations

from typing import Any

import rules

from csi.accounts.choices import Role
from csi.accounts.permissions import is_signed_in
from csi.core.permissions import is_administrator, role_predicate

is_catalog_manager = is_administrator | role_predicate(Role.SERVICE_STRATEGY_MANAGER)


@rules.predicate
def owns_service(user: Any, service: Any) -> bool:
    return service is not None and user.is_authenticated and service.owner_id == user.pk


@rules.predicate
def owns_process(user: Any, process: Any) -> bool:
    return process is not None and user.is_authenticated and process.owner_id == user.pk


rules.add_perm("catalog.view_catalog", is_signed_in)
rules.add_perm("catalog.add_service", is_catalog_manager)
rules.add_perm("catalog.change_service", is_catalog_manager | (is_signed_in & owns_service))
rules.add_perm("catalog.delete_service", is_catalog_manager)
rules.add_perm("catalog.assign_service_owner", is_catalog_manager)
rules.add_perm("catalog.manage_stakeholders", is_catalog_manager | role_predicate(Role.SERVICE_OWNER))
rules.add_perm("catalog.add_process", is_catalog_manager)
rules.add_perm("catalog.change_process", is_catalog_manager | (is_signed_in & owns_process))
rules.add_perm("catalog.manage_objectives", is_catalog_manager)
rules.add_perm("catalog.manage_skills", is_catalog_manager | role_predicate(Role.HR_SKILLS_MANAGER))
rules.add_perm("catalog.import_catalog", is_catalog_manager)
