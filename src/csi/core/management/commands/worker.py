"""`csi worker`: runs background tasks (the django-tasks database worker) and fires scheduled jobs."""

from __future__ import annotations

import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from csi.core.scheduling import run_due_jobs, scheduled_jobs

SCHEDULER_TICK_SECONDS = 30


def _scheduler_loop(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            run_due_jobs()
        finally:
            close_old_connections()
        stop.wait(SCHEDULER_TICK_SECONDS)


class Command(DbWorkerCommand):
    help = (
        "Run background tasks (imports, report builds, notifications) from the database queue, and "
        "enqueue scheduled jobs when they fall due. Run one or more; they coordinate through the database. "
        "With --batch: enqueue due jobs, run everything outstanding, then exit."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Only run tasks; do not enqueue scheduled jobs."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        no_scheduler = options.pop("no_scheduler")
        if not no_scheduler:
            names = ", ".join(job.name for job in scheduled_jobs())
            self.stdout.write(f"Scheduled jobs: {names or 'none'}")
            if options.get("batch"):
                for name in run_due_jobs():
                    self.stdout.write(f"Enqueued scheduled job {name}")
            else:
                stop = threading.Event()
                threading.Thread(
                    target=_scheduler_loop, args=(stop,), daemon=True, name="csi-scheduler"
                ).start()
                time.sleep(0)  # let the scheduler enqueue what is due before the first poll
        super().handle(*args, **options)
