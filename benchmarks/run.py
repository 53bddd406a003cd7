"""Benchmarks: request latency and throughput of a real `csi serve` (gunicorn) on 127.0.0.1.

Run with `make bench`. It uses a throw-away data directory and SQLite database, loads the demo, and
measures, over keep-alive connections:
  - GET /api/v1/health (database round trip, no auth)
  - GET /api/v1/me with a bearer token (token lookup + user + roles)
  - GET /accounts/login/ (a rendered page with the base layout)
  - GET /api/v1/users?page_size=50 as an administrator (a paginated list)
Latency is sequential (one client); throughput uses 8 client threads against 2 gunicorn workers.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CSI = str(BIN / "csi")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed_requests(port: int, path: str, headers: dict[str, str], count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        timings.append(time.perf_counter() - start)
        assert response.status == 200, (path, response.status)
    conn.close()
    return timings


def throughput(port: int, path: str, headers: dict[str, str], threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
            done[i] += 1
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(done) / seconds


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="csi-bench-"))
    env = {**os.environ, "CSI_DATA_DIR": str(work), "DATABASE_URL": f"sqlite:///{work / 'csi.sqlite3'}"}
    subprocess.run([CSI, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    subprocess.run([CSI, "demo"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [CSI, "token", "create", "ada.admin", "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [CSI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                timed_requests(port, "/api/v1/health", {}, 1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        cases = [
            ("GET /api/v1/health", "/api/v1/health", {}),
            ("GET /api/v1/me (token)", "/api/v1/me", auth),
            ("GET /accounts/login/ (page)", "/accounts/login/", {}),
            ("GET /api/v1/users?page_size=50", "/api/v1/users?page_size=50", auth),
        ]
        print(f"csi serve, 2 gunicorn workers x 4 threads, SQLite; {REQUESTS} sequential requests per case")
        print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s (8 clients)':>18}")
        for label, path, headers in cases:
            timed_requests(port, path, headers, 20)  # warm-up
            timings = sorted(timed_requests(port, path, headers, REQUESTS))
            p50 = statistics.median(timings) * 1000
            p95 = timings[int(len(timings) * 0.95) - 1] * 1000
            rate = throughput(port, path, headers, threads=8, seconds=3)
            print(f"{label:<34} {p50:8.2f} {p95:8.2f} {timings[-1] * 1000:8.2f} {rate:18.0f}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
