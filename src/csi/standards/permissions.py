"""Who may change standards and calendars. Everybody signed in reads them; a service's standards are
changed by whoever may change the service (its owner, catalog managers); calendars by catalog managers."""

from __future__ import annotations

from typing import Any

import rules

from csi.accounts.permissions import is_signed_in
from csi.catalog.permissions import is_catalog_manager, owns_service


@rules.predicate
def owns_standard_service(user: Any, standard: Any) -> bool:
    return standard is not None and owns_service(user, standard.service)


rules.add_perm("standards.view_standards", is_signed_in)
rules.add_perm("standards.change_standard", is_catalog_manager | (is_signed_in & owns_standard_service))
rules.add_perm("standards.manage_calendars", is_catalog_manager)
rules.add_perm("standards.import_standards", is_catalog_manager)
