"""Scheduled measures jobs run by `csi worker`."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from csi.core.scheduling import schedule

RECOVERY_JOB = "recover-interrupted-imports"
# The worker's scheduler ticks every 30 s, and a job fires at most once a tick: with this period a killed
# import shows as interrupted at most about a minute after it died (a tick, then the task's pick-up).
RECOVERY_EVERY = timedelta(seconds=30)
RECOVERY_HISTORY = timedelta(
    hours=1
)  # this job's own task results and slots kept (it runs 2,880 times a day)


@schedule(every=RECOVERY_EVERY, name=RECOVERY_JOB)
@task()
def recover_interrupted_imports() -> int:
    """Mark import runs whose process died as interrupted and remove their leftovers (see
    `csi.measures.housekeeping`); forget this job's own finished runs older than an hour. Returns how
    many runs were marked."""
    from django_tasks_db.models import DBTaskResult

    from csi.core.models import ScheduledRun
    from csi.measures.housekeeping import recover_all_interrupted

    cutoff = timezone.now() - RECOVERY_HISTORY
    DBTaskResult.objects.filter(
        task_path=recover_interrupted_imports.module_path, finished_at__lt=cutoff
    ).delete()
    ScheduledRun.objects.filter(job=RECOVERY_JOB, slot_at__lt=cutoff).delete()
    return recover_all_interrupted()
