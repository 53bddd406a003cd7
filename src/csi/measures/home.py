"""The measures app's items for the home page's to-do list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from csi.core.home import ActionItem
from csi.measures.choices import BatchStatus
from csi.measures.models import ImportBatch

WINDOW = timedelta(days=7)


def measures_actions(user: Any) -> Iterator[ActionItem]:
    """For data managers: the import runs of the last week that were rejected, failed or interrupted."""
    if not user.is_authenticated or not user.has_perm("measures.import_data"):
        return
    since = timezone.now() - WINDOW
    rows = (
        ImportBatch.objects.filter(
            started_at__gte=since,
            status__in=[BatchStatus.REJECTED, BatchStatus.FAILED, BatchStatus.INTERRUPTED],
        )
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    counts = {row["status"]: row["count"] for row in rows}
    for status, verb in [
        (BatchStatus.REJECTED, "rejected"),
        (BatchStatus.FAILED, "failed"),
        (BatchStatus.INTERRUPTED, "interrupted"),
    ]:
        count = counts.get(status, 0)
        if count:
            yield ActionItem(
                title=f"{count} import run{'s' if count != 1 else ''} {'were' if count != 1 else 'was'} {verb} this week",
                detail="Nothing of those files was stored: see what was wrong, fix the export or the profile, "
                "and import again.",
                url=reverse("measures:run_list") + f"?status={status.value}",
                link_text="See the runs",
                urgency="normal" if status == BatchStatus.REJECTED else "high",
            )
