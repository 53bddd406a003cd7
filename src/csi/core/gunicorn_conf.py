"""Gunicorn hooks for `csi serve`: the background worker (`csi worker`) runs beside the web workers, so
that imports, rollup refreshes and scheduled jobs run without a second command. `csi serve --no-worker`
leaves it out (when `csi worker` runs elsewhere)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

_worker: subprocess.Popen[bytes] | None = None

# The longest request line gunicorn reads (its maximum; the default 4,094 bytes answered a bare-HTML 414 to
# a search of a few hundred non-ASCII characters, which the API's own 422 should answer). Still bounded.
limit_request_line = 8190


def when_ready(server: Any) -> None:
    global _worker
    if os.environ.get("CSI_SERVE_WORKER", "1") == "1":
        _worker = subprocess.Popen([sys.executable, "-m", "csi.cli", "worker"])
        server.log.info("Started the background worker (pid %s)", _worker.pid)


def on_exit(server: Any) -> None:
    if _worker is not None and _worker.poll() is None:
        _worker.terminate()
        try:
            _worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _worker.kill()
