"""Housekeeping jobs run by `csi worker` on a schedule."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from csi.core.models import ScheduledRun
from csi.core.scheduling import schedule

RETENTION = timedelta(days=30)


@schedule(every=timedelta(days=1), name="clear-expired-sessions")
@task()
def clear_expired_sessions() -> int:
    """Delete expired browser sessions; returns how many sessions remain."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    from django.contrib.sessions.models import Session

    return Session.objects.count()


@schedule(every=timedelta(days=1), name="prune-task-history")
@task()
def prune_task_history() -> int:
    """Delete finished task results and scheduler marks older than 30 days; returns how many."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - RETENTION
    results, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    runs, _ = ScheduledRun.objects.filter(slot_at__lt=cutoff).delete()
    return results + runs
