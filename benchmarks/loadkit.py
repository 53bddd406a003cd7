"""Shared parts of the page and load benchmarks: a throw-away demo installation served by the real
`csi serve` (gunicorn) on 127.0.0.1, and a small HTTP client with a session (cookies, CSRF) or a token.

Guarantees: everything is loopback only (the server binds 127.0.0.1 and the client refuses any other
host); each installation lives in its own temporary folder (SQLite) or its own PostgreSQL database,
created fresh and dropped at the end; the server is stopped when the `with` block ends, also on errors.
The standard library only, so that the benchmarks need nothing beyond the project's dependencies.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

BIN = Path(sys.executable).parent
CSI = str(BIN / "csi")
LOOPBACK = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of values sorted ascending (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(share * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarise(timings: list[float]) -> dict[str, float]:
    """Count, p50, p95, p99 and max of timings in seconds, as milliseconds."""
    values = sorted(timings)
    return {
        "requests": len(values),
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round((values[-1] if values else 0) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else 0.0,
    }


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    """One user's keep-alive connection to the server, with its cookies (a session) or a bearer token."""

    port: int
    token: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    _conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        if urlsplit(path).netloc:
            raise ValueError(f"Loopback only: {path!r} names a host.")
        sent = {"Host": f"{LOOPBACK}:{self.port}", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                raw = conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # gunicorn closed an idle keep-alive connection: open a new one, once.
                self.close()
                if attempt == 2:
                    raise
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if raw.headers.get("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, data, {k.lower(): v for k, v in raw.headers.items()})

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict[str, Any], referer: str | None = None) -> Response:
        """A form POST the way a browser sends it: the CSRF token from the cookie, the Referer."""
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        return self.request(
            "POST",
            path,
            body=urlencode(fields, doseq=True).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{LOOPBACK}:{self.port}{referer or path}",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            },
        )

    def post_json(self, path: str, data: Any) -> Response:
        return self.request(
            "POST", path, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
        )

    def post_file(self, path: str, name: str, filename: str, content: bytes) -> Response:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", path, body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login page (its CSRF cookie and token), as a browser does."""
        page = self.get("/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        token = match.group(1).decode() if match else self.cookies.get("csrftoken", "")
        answer = self.request(
            "POST",
            "/accounts/login/",
            body=urlencode(
                {"csrfmiddlewaretoken": token, "username": username, "password": password}
            ).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{LOOPBACK}:{self.port}/accounts/login/",
            },
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"Sign-in of {username} failed: HTTP {answer.status}")


@dataclass
class Installation:
    """A demo installation: its environment, the demo passwords, and a token per demo user."""

    env: dict[str, str]
    folder: Path
    database: str
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def csi(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CSI, *args], env=self.env, check=True, capture_output=True, text=True, **kwargs
        )

    def token_for(self, username: str) -> str:
        if username not in self.tokens:
            out = self.csi("token", "create", username, "--name", "benchmark").stdout
            self.tokens[username] = out.strip().splitlines()[-1].strip()
        return self.tokens[username]


def _postgres_database(admin_url: str) -> tuple[str, str]:
    """Create a fresh database on the PostgreSQL server of admin_url; its URL and name."""
    import psycopg

    parts = urlsplit(admin_url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"Loopback only: the PostgreSQL server {parts.hostname} is not on this machine.")
    name = f"csi_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl(), name


def _postgres_drop(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def demo_installation(database: str, postgres_url: str) -> Iterator[Installation]:
    """`csi migrate` and `csi demo` in a new folder on a new database ("sqlite" or "postgres")."""
    folder = Path(tempfile.mkdtemp(prefix="csi-bench-"))
    env = {**os.environ, "CSI_DATA_DIR": str(folder)}
    pg_name = None
    if database == "postgres":
        env["DATABASE_URL"], pg_name = _postgres_database(postgres_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{folder / 'csi.sqlite3'}"
    try:
        subprocess.run([CSI, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        subprocess.run([CSI, "demo"], env=env, check=True, capture_output=True)
        passwords = json.loads((folder / "demo-logins.json").read_text())
        yield Installation(env=env, folder=folder, database=database, passwords=passwords)
    finally:
        if pg_name:
            _postgres_drop(postgres_url, pg_name)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def served(installation: Installation, workers: int, threads: int, worker: bool) -> Iterator[int]:
    """`csi serve` on a free loopback port until the block ends; yields the port. The server's output
    goes to server.log in the installation's folder."""
    port = free_port()
    args = [
        CSI,
        "serve",
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    if not worker:
        args.append("--no-worker")
    log = (installation.folder / "server.log").open("w")
    # A session of its own, so that stopping it stops gunicorn's workers and the background worker too.
    server = subprocess.Popen(
        args, env=installation.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        probe = Client(port)
        while True:
            try:
                if probe.get("/api/v1/health").status == 200:
                    break
            except OSError:
                probe.close()
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("csi serve did not answer within 90 s; see server.log")
            time.sleep(0.3)
        probe.close()
        yield port
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def server_log_problems(installation: Installation) -> dict[str, int]:
    """Lines of the server's log that show trouble: tracebacks, locked SQLite, worker timeouts."""
    text = (installation.folder / "server.log").read_text(errors="replace")
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "database_is_locked": text.count("database is locked"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
    }


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def markdown_table(rows: dict[str, dict[str, float]], target_ms: float, extra: str = "") -> str:
    lines = [
        f"| page | requests | errors | p50 ms | p95 ms | p99 ms | max ms | p95 < {target_ms:.0f} ms |{extra}",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        met = "met" if row["p95_ms"] < target_ms and not row.get("errors") else "missed"
        lines.append(
            f"| {name} | {row['requests']} | {row.get('errors', 0)} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['p99_ms']} | {row['max_ms']} | {met} |"
        )
    return "\n".join(lines)
