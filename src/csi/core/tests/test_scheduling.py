from datetime import UTC, datetime, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from csi.core.models import ScheduledRun
from csi.core.scheduling import run_due_jobs, scheduled_jobs, slot_start

pytestmark = pytest.mark.django_db


def test_housekeeping_jobs_are_registered():
    assert {job.name for job in scheduled_jobs()} >= {"clear-expired-sessions", "prune-task-history"}


def test_slots_align_to_the_epoch():
    now = datetime(2026, 3, 29, 17, 45, tzinfo=UTC)
    assert slot_start(timedelta(days=1), now) == datetime(2026, 3, 29, tzinfo=UTC)
    assert slot_start(timedelta(hours=6), now) == datetime(2026, 3, 29, 12, tzinfo=UTC)


def test_each_slot_is_enqueued_once():
    now = datetime(2026, 3, 29, 17, 45, tzinfo=UTC)
    first = run_due_jobs(now)
    assert set(first) >= {"clear-expired-sessions", "prune-task-history"}
    assert run_due_jobs(now + timedelta(seconds=5)) == []  # the shortest period is 30 s
    assert DBTaskResult.objects.count() == len(first)
    assert set(run_due_jobs(now + timedelta(days=1))) == set(first)
    assert ScheduledRun.objects.count() == 2 * len(first)


def test_worker_batch_runs_scheduled_jobs(cli):
    result = cli("worker", "--batch", "--no-startup-delay", check=True)
    assert "Enqueued scheduled job clear-expired-sessions" in result.stdout
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() >= 2
    again = cli("worker", "--batch", "--no-startup-delay", check=True)
    assert "Enqueued scheduled job clear-expired-sessions" not in again.stdout
