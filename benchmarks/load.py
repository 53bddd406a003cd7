"""Load benchmark: many people using one CSI Workbench at once, on the demo data.

    .venv/bin/python benchmarks/load.py                      # 50 users, 10 minutes, SQLite
    .venv/bin/python benchmarks/load.py --database postgres  # the same on PostgreSQL (127.0.0.1:5432)
    .venv/bin/python benchmarks/load.py --minutes 1 --users 10

It starts the real server (`csi serve`: gunicorn and the background worker) on 127.0.0.1 over a fresh
database loaded with `csi migrate` and `csi demo`, then runs simulated users, each a thread signed in
as one of the demo users (round robin over the ten roles) with a session (pages, forms with CSRF) and
an API token (the API). Each user repeats: pick an action from a weighted mix, do it, think 1-3 s.
Reads: home, register and entries, initiatives list/board/pages, plans, portfolio, the service and its
performance page, the analytics board, notifications, import history, the audit log (administrators),
the analytics and initiative API. Writes: raising register entries (the page's form), status updates
(the initiative page's form), hold/resume of initiatives (the API, with the version seen), and one
importer who uploads a slice of the ServiceNow event log every minute (the API), which queues a rollup
refresh for the background worker.

Bounded: the users stop at --minutes (at most 60); a request gives up after 30 s; the whole run is
stopped at --minutes + 5 minutes whatever happens; nothing leaves the machine (loopback only), and the
temporary installation (folder, PostgreSQL database) is removed at the end.

Counts per page: requests, errors (a 5xx, an unexpected status, a refused connection or a timeout),
p50/p95/p99/max; 409 (someone else changed it first, the answer the product gives by design) is
counted as a conflict, not an error. Writes the result as JSON and Markdown into --out.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import threading
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadkit import (
    Client,
    Installation,
    demo_installation,
    machine,
    markdown_table,
    served,
    server_log_problems,
    summarise,
)

TARGET_P95_MS = 300.0
SHARED_LOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow-incident-event-log"
IMPORT_EVERY_SECONDS = 60
IMPORT_LINES = 2000


@dataclass
class Demo:
    """What the users pick from: numbers and keys read once through the API before the run."""

    initiatives: list[str]
    entries: list[str]
    services: list[str]
    changeable: dict[str, list[str]]  # username -> initiatives they may hold, resume and update


@dataclass
class Recorder:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, name: str, call: Any, ok: tuple[int, ...] = (200,)) -> Any:
        """Time one request; count it as an error on a refused connection, a timeout or an unexpected
        status (409 is a conflict, not an error)."""
        start = time.perf_counter()
        try:
            answer = call()
        except OSError as exc:
            with self.lock:
                self.errors[name] += 1
                self.timings[name].append(time.perf_counter() - start)
                if len(self.samples) < 20:
                    self.samples.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - start
        if answer is None:  # the action found nothing to do (its reads were counted on their own)
            return None
        with self.lock:
            self.timings[name].append(elapsed)
            if answer.status == 409:
                self.conflicts[name] += 1
            elif answer.status not in ok:
                self.errors[name] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{name}: HTTP {answer.status}: {answer.text[:200]}")
        return answer


def read_demo(port: int, installation: Installation) -> Demo:
    admin = Client(port, token=installation.token_for("ada.admin"))
    initiatives = [i["number"] for i in admin.get("/api/v1/initiatives?page_size=200").json()["items"]]
    entries = [e["number"] for e in admin.get("/api/v1/register?page_size=200").json()["items"]]
    services = [s["key"] for s in admin.get("/api/v1/services?page_size=200").json()["items"]]
    changeable: dict[str, list[str]] = {}
    for username in installation.passwords:
        api = Client(port, token=installation.token_for(username))
        for number in initiatives:
            detail = api.get(f"/api/v1/initiatives/{number}").json()
            if {a["action"] for a in detail.get("actions", [])} & {"hold", "resume"}:
                changeable.setdefault(username, []).append(number)
        api.close()
    admin.close()
    return Demo(initiatives=initiatives, entries=entries, services=services, changeable=changeable)


class User:
    """One simulated person: a session for the pages, a token for the API."""

    def __init__(
        self, index: int, username: str, port: int, installation: Installation, demo: Demo, recorder: Recorder
    ) -> None:
        self.recorder = recorder
        self.username = username
        self.rng = random.Random(index)  # noqa: S311 - a reproducible mix, not a secret
        self.demo = demo
        self.page = Client(port)
        self.page.sign_in(username, installation.passwords[username])
        self.api = Client(port, token=installation.token_for(username))
        self.index = index
        self.raised = 0

    def actions(self) -> list[tuple[int, str, Any]]:
        d, rng = self.demo, self.rng
        mix: list[tuple[int, str, Any]] = [
            (10, "home", lambda: self.page.get("/")),
            (8, "register", lambda: self.page.get("/register/")),
            (4, "register entry", lambda: self.page.get(f"/register/{rng.choice(d.entries)}/")),
            (8, "initiatives", lambda: self.page.get("/initiatives/")),
            (4, "initiative board", lambda: self.page.get("/initiatives/board/")),
            (10, "initiative page", lambda: self.page.get(f"/initiatives/{rng.choice(d.initiatives)}/")),
            (3, "plans", lambda: self.page.get("/plans/")),
            (3, "portfolio", lambda: self.page.get("/portfolio/")),
            (4, "service page", lambda: self.page.get(f"/catalog/services/{rng.choice(d.services)}/")),
            (
                6,
                "service performance",
                lambda: self.page.get(f"/analytics/services/{rng.choice(d.services)}/"),
            ),
            (4, "analytics board", lambda: self.page.get("/analytics/board/")),
            (2, "notifications", lambda: self.page.get("/notifications/")),
            (2, "import history", lambda: self.page.get("/measures/runs/")),
            (
                4,
                "API attainment",
                lambda: self.api.get(f"/api/v1/analytics/attainment?service={rng.choice(d.services)}"),
            ),
            (2, "API analytics board", lambda: self.api.get("/api/v1/analytics/board")),
            (2, "API initiatives", lambda: self.api.get("/api/v1/initiatives")),
        ]
        if self.username == "ada.admin":
            mix.append((4, "audit log", lambda: self.page.get("/admin/audit/")))
        if self.username != "vera.viewer":
            mix.append((2, "raise entry (form)", self.raise_entry))
        if self.demo.changeable.get(self.username):
            mix.append((2, "status update (form)", self.status_update))
            mix.append((1, "hold/resume", self.hold_or_resume))
        return mix

    def raise_entry(self) -> Any:
        self.raised += 1
        answer = self.page.post_form(
            "/register/raise/",
            {
                "title": f"Load test idea {self.index}-{self.raised}: shorter queues at the desk",
                "source": "staff-suggestion",
                "description": "Raised by the load benchmark to measure writes under load.",
                "impact": "3",
                "urgency": "2",
                "benefit": "3",
                "effort": "2",
                "size": "small",
                "timescale": "short",
            },
        )
        return answer

    def status_update(self) -> Any:
        number = self.rng.choice(self.demo.changeable[self.username])
        return self.page.post_form(
            f"/initiatives/{number}/status/",
            {
                "status-health": self.rng.choice(["green", "amber", "red"]),
                "status-percent_complete": str(self.rng.randint(0, 100)),
                "status-note": "Progress noted during the load benchmark.",
            },
            referer=f"/initiatives/{number}/",
        )

    def hold_or_resume(self) -> None:
        """Read the initiative (its version and the actions open to this user), then hold or resume it:
        two requests, each counted on its own."""
        number = self.rng.choice(self.demo.changeable[self.username])
        detail = self.recorder.timed("API initiative", lambda: self.api.get(f"/api/v1/initiatives/{number}"))
        if detail is None or detail.status != 200:
            return None
        body = detail.json()
        possible = {a["action"] for a in body["actions"]} & {"hold", "resume"}
        if possible:  # else someone else moved it on: nothing to post
            action = possible.pop()
            self.recorder.timed(
                "hold/resume (API)",
                lambda: self.api.post_json(
                    f"/api/v1/initiatives/{number}/{action}",
                    {"version": body["version"], "reason": "Load benchmark"},
                ),
                ok=(200,),
            )
        return None


def import_slices() -> list[bytes]:
    """Consecutive slices of the ServiceNow event log (header + IMPORT_LINES lines each), as CSV."""
    archive = SHARED_LOG / "incident_event_log.zip"
    with zipfile.ZipFile(archive) as zipped:
        member = zipped.namelist()[0]
        lines = io.TextIOWrapper(zipped.open(member), encoding="utf-8").readlines()
    header, rows = lines[0], lines[1:]
    return [
        (header + "".join(rows[i : i + IMPORT_LINES])).encode()
        for i in range(0, 20 * IMPORT_LINES, IMPORT_LINES)
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    recorder = Recorder()
    with (
        demo_installation(args.database, args.postgres_url) as installation,
        served(installation, args.workers, args.threads, worker=True) as port,
    ):
        demo = read_demo(port, installation)
        names = list(installation.passwords)
        users = [
            User(i, names[i % len(names)], port, installation, demo, recorder) for i in range(args.users)
        ]
        stop = time.monotonic() + args.minutes * 60
        started = time.monotonic()

        def simulate(user: User) -> None:
            mix = user.actions()
            weights = [w for w, *_ in mix]
            time.sleep(user.rng.uniform(0, args.think_max))  # people do not all start at once
            while time.monotonic() < stop:
                _, name, call = user.rng.choices(mix, weights)[0]
                ok = (200, 302) if "(form)" in name else (200, 201)
                try:
                    recorder.timed(name, call, ok=ok)
                except Exception as exc:  # an answer the benchmark could not read: an error, and go on
                    with recorder.lock:
                        recorder.errors[name] += 1
                        recorder.samples.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
                time.sleep(user.rng.uniform(args.think_min, args.think_max))

        def importer() -> None:
            client = Client(port, token=installation.token_for("peter.process"))
            slices = import_slices() if (SHARED_LOG / "incident_event_log.zip").exists() else []
            turn = 0
            while slices and time.monotonic() < stop:
                data = slices[turn % len(slices)]
                recorder.timed(
                    "import (API)",
                    lambda data=data: client.post_file(
                        "/api/v1/sources/servicenow-incidents/imports", "file", "events.csv", data
                    ),
                    ok=(200, 201),
                )
                turn += 1
                time.sleep(min(IMPORT_EVERY_SECONDS, max(0.0, stop - time.monotonic())))

        threads = [threading.Thread(target=simulate, args=(u,), daemon=True) for u in users]
        threads.append(threading.Thread(target=importer, daemon=True))
        for thread in threads:
            thread.start()
        hard_stop = stop + 300
        for thread in threads:
            thread.join(timeout=max(0.0, hard_stop - time.monotonic()))
        elapsed = time.monotonic() - started
        for user in users:
            user.page.close()
            user.api.close()
        problems = server_log_problems(installation)
        args.out.mkdir(parents=True, exist_ok=True)
        server_log = (
            args.out / f"load-{args.database}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-server.log"
        )
        server_log.write_text((installation.folder / "server.log").read_text(errors="replace"))
    pages = {}
    for name in sorted(recorder.timings):
        pages[name] = {
            **summarise(recorder.timings[name]),
            "errors": recorder.errors[name],
            "conflicts": recorder.conflicts[name],
        }
    every = [t for values in recorder.timings.values() for t in values]
    overall = {
        **summarise(every),
        "errors": sum(recorder.errors.values()),
        "conflicts": sum(recorder.conflicts.values()),
        "requests_per_second": round(len(every) / elapsed, 1),
    }
    return {
        "settings": {
            "database": args.database,
            "users": args.users,
            "minutes": args.minutes,
            "think_seconds": [args.think_min, args.think_max],
            "gunicorn": f"{args.workers} workers x {args.threads} threads, background worker on",
        },
        "machine": machine(),
        "elapsed_seconds": round(elapsed, 1),
        "overall": overall,
        "pages": pages,
        "server_log": problems,
        "server_log_file": str(server_log),
        "error_samples": recorder.samples,
    }


def markdown(result: dict[str, Any]) -> str:
    s, o, m = result["settings"], result["overall"], result["machine"]
    head = (
        f"Load: {s['users']} users, think {s['think_seconds'][0]}-{s['think_seconds'][1]} s, "
        f"{s['minutes']} min on {s['database']} ({s['gunicorn']}); {m['at']}, commit {m['commit']}, "
        f"{m['cores']} cores, load average at the end {m['load_average']}.\n\n"
        f"Overall: {o['requests']} requests ({o['requests_per_second']}/s), {o['errors']} errors, "
        f"{o['conflicts']} conflicts (409), p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms, p99 {o['p99_ms']} ms. "
        f"Server log: {result['server_log']}.\n\n"
    )
    return head + markdown_table(result["pages"], TARGET_P95_MS) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="How long the users work (default 10, at most 60)."
    )
    parser.add_argument("--users", type=int, default=50, help="Simulated users (default 50, at most 200).")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="A loopback PostgreSQL server where a fresh database is created and dropped afterwards.",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as csi serve).")
    parser.add_argument(
        "--threads", type=int, default=4, help="Threads per worker (default 4, as csi serve)."
    )
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument(
        "--out", type=Path, default=Path("var/bench"), help="Folder for the JSON and Markdown."
    )
    args = parser.parse_args()
    if not 0 < args.minutes <= 60 or not 0 < args.users <= 200:
        parser.error("--minutes must be in (0, 60] and --users in 1..200: the run is bounded.")
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"load-{args.database}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    for sample in result["error_samples"]:
        print("error:", sample)
    print(f"Written: {stem}.json, {stem}.md")
    missed = [name for name, page in result["pages"].items() if page["p95_ms"] >= TARGET_P95_MS]
    print(
        f"Targets: 0 errors ({'met' if not result['overall']['errors'] else 'missed'}); p95 < 300 ms on every "
        f"page ({'met' if not missed else 'missed on ' + ', '.join(missed)})."
    )


if __name__ == "__main__":
    main()
