"""Scheduled jobs: tasks enqueued at fixed intervals by `csi worker`.

A job's time slots are aligned to the Unix epoch (every day: at 00:00 UTC), so every worker computes
the same slot, and `ScheduledRun`'s unique (job, slot) row lets exactly one of them enqueue it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from csi.core.models import ScheduledRun

logger = logging.getLogger("csi.scheduler")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    task: Any  # a django_tasks Task
    every: timedelta


_jobs: dict[str, ScheduledJob] = {}


def schedule(*, every: timedelta, name: str | None = None) -> Any:
    """Decorate a django-tasks Task to have `csi worker` enqueue it once every `every`."""

    def register(task: Any) -> Any:
        job_name = name or task.module_path
        _jobs[job_name] = ScheduledJob(name=job_name, task=task, every=every)
        return task

    return register


def scheduled_jobs() -> list[ScheduledJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def slot_start(every: timedelta, now: datetime) -> datetime:
    """The start of the slot `now` falls in."""
    periods = (now - EPOCH) // every
    return EPOCH + periods * every


def run_due_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; return their names.

    Safe to call from any number of workers at once, and as often as wished.
    """
    now = now or timezone.now()
    enqueued = []
    for job in scheduled_jobs():
        slot = slot_start(job.every, now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot_at=slot)
                result = job.task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another worker (or an earlier tick) took this slot
        logger.info("Enqueued scheduled job %s for slot %s", job.name, slot.isoformat())
        enqueued.append(job.name)
    return enqueued
