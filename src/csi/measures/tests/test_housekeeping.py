"""A killed import shows as interrupted within a minute, by `csi worker`'s housekeeping, without waiting
for the next import of its source; the housekeeping never touches a run that is still alive."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from csi.core.management.commands.worker import SCHEDULER_TICK_SECONDS
from csi.core.scheduling import scheduled_jobs
from csi.measures import services, store
from csi.measures.choices import BatchStatus
from csi.measures.housekeeping import recover_all_interrupted
from csi.measures.models import ImportBatch, MappingProfile
from csi.measures.tasks import RECOVERY_JOB
from csi.measures.tests.conftest import CLI, kill_an_import


def test_the_recovery_job_fires_often_enough_to_report_within_a_minute():
    (job,) = [job for job in scheduled_jobs() if job.name == RECOVERY_JOB]
    # A job fires at most once a scheduler tick: a death is seen at the latest one period plus one tick later.
    assert job.every + timedelta(seconds=SCHEDULER_TICK_SECONDS) <= timedelta(seconds=60)


def test_a_killed_import_shows_interrupted_after_the_workers_housekeeping(cli, make_user, tmp_path: Path):
    root = kill_an_import(cli, tmp_path, "--source", "desk", "--profile", "csi-event-log")
    runs = json.loads(cli("measures", "runs", "--json", check=True).stdout)
    assert [r["status"] for r in runs] == ["running"]

    worker = cli("worker", "--batch", "--no-startup-delay", check=True)
    assert f"Enqueued scheduled job {RECOVERY_JOB}" in worker.stdout
    (run,) = json.loads(cli("measures", "runs", "--json", check=True).stdout)
    assert run["status"] == "interrupted" and run["message"].startswith("Interrupted:")
    assert not list(root.glob("source=*/.tmp-batch=*"))

    page = Client()
    page.force_login(make_user(roles=["viewer"]))
    history = page.get("/measures/runs/?status=interrupted").content.decode()
    assert "Interrupted (the importing process stopped)" in history and "big.csv" in history


@pytest.mark.django_db
def test_the_housekeeping_leaves_live_runs_and_committed_batches_alone():
    source = services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    host, pid = store.this_process()

    def run(status: str, pid: int) -> ImportBatch:
        return ImportBatch.objects.create(
            source=source,
            status=status,
            profile_key="csi-event-log",
            file_name="x.csv",
            file_sha256="",
            started_at=timezone.now(),
            host=host,
            pid=pid,
        )

    alive = run(BatchStatus.RUNNING, pid)
    writing = store.temp_dir(source.pk, alive.pk)
    committed = run(BatchStatus.COMMITTED, pid)
    kept = store.batch_dir(source.pk, committed.pk)
    kept.mkdir()
    dead = run(BatchStatus.RUNNING, 2**22 + 4321)
    orphan = store.temp_dir(source.pk, dead.pk)
    unknown = store.temp_dir(source.pk, 999_999)  # no row: a folder nobody will ever publish

    assert recover_all_interrupted() == 1
    assert ImportBatch.objects.get(pk=dead.pk).status == BatchStatus.INTERRUPTED
    assert ImportBatch.objects.get(pk=alive.pk).status == BatchStatus.RUNNING
    assert writing.exists() and kept.exists() and not orphan.exists() and not unknown.exists()
    assert recover_all_interrupted() == 0
