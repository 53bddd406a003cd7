"""`csi serve`: the production web server (gunicorn + whitenoise)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serve CSI Workbench with gunicorn (never runserver). Static files are collected first and served "
        "by whitenoise with far-future caching. Stop with Ctrl+C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("CSI_BIND", "127.0.0.1:8000"),
            help="Address and port to listen on (default: 127.0.0.1:8000, or $CSI_BIND).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CSI_WORKERS", "2")),
            help="Worker processes (default: 2, or $CSI_WORKERS).",
        )
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker (default: 4).")
        parser.add_argument(
            "--timeout", type=int, default=60, help="Seconds before a stuck request is killed."
        )
        parser.add_argument(
            "--skip-collectstatic", action="store_true", help="Serve the static files collected before."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker beside the server (run `csi worker` yourself).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        env = {
            **os.environ,
            "CSI_COLLECTED_STATIC": "1",
            "DJANGO_SETTINGS_MODULE": "csi.settings",
            "CSI_SERVE_WORKER": "0" if options["no_worker"] else "1",
        }
        if not options["skip_collectstatic"]:
            # Run in a child so that the manifest storage (chosen when settings load) is the one used.
            code = subprocess.call(
                [sys.executable, "-m", "csi.cli", "collectstatic", "--noinput", "--verbosity", "0"], env=env
            )
            if code != 0:
                raise CommandError("collectstatic failed; see the error above.")
        bind = options["bind"]
        self.stdout.write(f"CSI Workbench is serving on http://{bind} (Ctrl+C to stop)", ending="\n")
        self.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "csi.wsgi:application",
            "--config",
            "python:csi.core.gunicorn_conf",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread",
            "--timeout",
            str(options["timeout"]),
            "--graceful-timeout",
            "10",
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("CSI_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            # The control socket would live in the user's home, shared by every installation on the
            # machine; nothing here uses it.
            "--no-control-socket",
        ]
        os.execve(sys.executable, argv, env)  # noqa: S606 - replaces this process with gunicorn
