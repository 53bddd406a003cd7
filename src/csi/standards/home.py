"""The standards app's items for the home page's to-do list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from csi.catalog.models import Service
from csi.core.home import ActionItem


def standards_actions(user: Any) -> Iterator[ActionItem]:
    if not user.is_authenticated:
        return
    without = list(
        Service.objects.filter(owner=user, lifecycle_status="live", standards__isnull=True).order_by("name")[
            :5
        ]
    )
    for service in without:
        yield ActionItem(
            title=f"{service.name} has no service standards",
            detail="Agree what it promises (response, resolution, availability...) so that it can be measured.",
            url=reverse("standards:standard_create", kwargs={"service_key": service.key}),
            link_text="Add a standard",
        )
