"""The catalog's items for the home page's to-do list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from csi.catalog.models import Service
from csi.core.home import ActionItem


def catalog_actions(user: Any) -> Iterator[ActionItem]:
    if user.has_perm("catalog.assign_service_owner"):
        orphans = Service.objects.exclude(lifecycle_status="retired").filter(owner__isnull=True).count()
        if orphans:
            yield ActionItem(
                title=f"{orphans} service{'s' if orphans != 1 else ''} without an owner",
                detail="Every service needs an owner who answers for its service improvement plan.",
                url=reverse("catalog:service_list"),
                link_text="Open the catalog",
            )
