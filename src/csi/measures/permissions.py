"""Who may do what with measured data. Everybody signed in reads sources, runs and analytics; data
managers (administrators, the service strategy manager and process owners, who run the service-desk
and monitoring processes the data comes from) create sources and profiles, import, delete batches and
edit the rules that assign tickets to services."""

from __future__ import annotations

import rules

from csi.accounts.choices import Role
from csi.accounts.permissions import is_signed_in
from csi.core.permissions import is_administrator, role_predicate

is_data_manager = (
    is_administrator | role_predicate(Role.SERVICE_STRATEGY_MANAGER) | role_predicate(Role.PROCESS_OWNER)
)

rules.add_perm("measures.view_measures", is_signed_in)
rules.add_perm("measures.manage_sources", is_data_manager)
rules.add_perm("measures.import_data", is_data_manager)
