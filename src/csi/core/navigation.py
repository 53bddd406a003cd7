"""The product's areas in the main navigation. An area appears once its app provides the URL and the
user may see it, so nothing links to a page that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Area:
    label: str
    url_name: str
    permission: str | None = None


AREAS = [
    Area("Catalog", "catalog:service_list"),
    Area("Standards", "standards:standard_list"),
    Area("Measures", "measures:overview"),
    Area("Performance", "analytics:board"),
    Area("Register", "improvement:register"),
    Area("Plans", "improvement:plan_list"),
    Area("Initiatives", "improvement:initiative_list"),
    Area("Reviews", "reviews:review_list"),
    Area("Reports", "reporting:report_list"),
    Area("Admin", "accounts:user_list", "accounts.manage_users"),
]


def visible_areas(user: Any, current_path: str) -> list[dict[str, Any]]:
    areas = []
    for area in AREAS:
        if area.permission and not user.has_perm(area.permission):
            continue
        try:
            url = reverse(area.url_name)
        except NoReverseMatch:
            continue
        prefix = url if area.label != "Admin" else "/admin/"
        areas.append({"label": area.label, "url": url, "current": current_path.startswith(prefix)})
    return areas
