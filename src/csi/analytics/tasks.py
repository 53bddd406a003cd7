"""Scheduled analytics jobs run by `csi worker`."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from csi.core.scheduling import schedule


@schedule(every=timedelta(hours=1), name="refresh-rollups")
@task()
def refresh_rollups() -> int:
    """Recompute the rollups every hour, so that changes the data hooks do not see (a new standard
    version, a changed calendar) reach the pages; returns the events read."""
    from csi.analytics.services import SYSTEM, rollups_refresh

    return rollups_refresh(actor=SYSTEM).events
