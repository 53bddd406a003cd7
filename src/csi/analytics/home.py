"""The analytics app's items for the home page's to-do list: a service owner hears about the standards of
their services that are red in the latest measured month (two small queries on the rollups)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone

from csi.analytics.models import AttainmentDay
from csi.core.home import ActionItem

MAX_SERVICES = 5


def analytics_actions(user: Any) -> Iterator[ActionItem]:
    if not user.is_authenticated or user.pk is None or not user.has_perm("standards.view_standards"):
        return
    from csi.analytics.selectors import status_of  # here: the selectors load the analytics engine

    owned = AttainmentDay.objects.filter(standard__service__owner=user)
    last = owned.aggregate(last=Max("day"))["last"]
    if last is None:
        return
    month = last.replace(day=1)
    red: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in (
        owned.filter(day__gte=month, day__lte=last)
        .values(
            "standard_id",
            "version_id",
            "version__target_percent",
            "standard__service__key",
            "standard__service__name",
        )
        .annotate(tickets=Sum("tickets"), met=Sum("met"), near=Sum("near_breached"))
        .order_by()
    ):
        target = float(row["version__target_percent"])
        if status_of(row["tickets"], row["met"], row["near"], target) == "red":
            red[(row["standard__service__name"], row["standard__service__key"])].add(row["standard_id"])
    when = "this month" if month == timezone.localdate().replace(day=1) else f"in {month:%B %Y}"
    for (name, key), standards in sorted(red.items())[:MAX_SERVICES]:
        count = len(standards)
        yield ActionItem(
            title=f"{name}: {count} standard{'s are' if count != 1 else ' is'} red {when}",
            detail="Attainment is below target. See which tickets breached and why, and whether it is a trend.",
            url=reverse("analytics:service", kwargs={"key": key}) + "?period=month",
            link_text=f"Performance of {name}",
            urgency="high",
        )
