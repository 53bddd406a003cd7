"""Single-user page benchmark: every list and detail page, one person at a time, on the demo data.

    .venv/bin/python benchmarks/pages.py                  # SQLite, 40 GETs per page
    .venv/bin/python benchmarks/pages.py --database postgres --repeat 60

Starts `csi serve` (2 workers x 4 threads, without the background worker, whose hourly rollup
refresh would otherwise land in the measurement) on 127.0.0.1 over a fresh demo installation, signs
in as the demo user who would read each page, warms each page up with 3 GETs and then times --repeat
sequential GETs over one keep-alive connection. Target: p95 under 150 ms for every page. Bounded: at
most --repeat x pages requests, each given up after 30 s; writes JSON and Markdown into --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadkit import Client, demo_installation, machine, markdown_table, served, summarise

TARGET_P95_MS = 150.0
WARM_UP = 3

# (page, path, who reads it)
PAGES = [
    ("home", "/", "olivia.owner"),
    ("register", "/register/", "olivia.owner"),
    ("register entry", "/register/CSI-0001/", "olivia.owner"),
    ("plans", "/plans/", "sam.steering"),
    ("plan", "/plans/sip-service-desk/", "sam.steering"),
    ("portfolio", "/portfolio/", "sam.steering"),
    ("initiatives", "/initiatives/", "olivia.owner"),
    ("initiative board", "/initiatives/board/", "olivia.owner"),
    ("initiative page", "/initiatives/INI-0001/", "olivia.owner"),
    ("services", "/catalog/", "olivia.owner"),
    ("service page", "/catalog/services/service-desk/", "olivia.owner"),
    ("standards", "/standards/", "olivia.owner"),
    ("measures sources", "/measures/", "peter.process"),
    ("import history", "/measures/runs/", "peter.process"),
    ("analytics board", "/analytics/board/", "olivia.owner"),
    ("service performance", "/analytics/services/service-desk/", "olivia.owner"),
    ("notifications", "/notifications/", "olivia.owner"),
    ("audit log", "/admin/audit/", "ada.admin"),
]

# Copies the demo's audit events (with their actors, types and scopes) until the trail holds `target`.
GROW_AUDIT_TRAIL = """
from csi.core.models import AuditEvent
fields = [f.attname for f in AuditEvent._meta.concrete_fields if f.name not in ("id", "created_at")]
seed = list(AuditEvent.objects.values(*fields))
while (have := AuditEvent.objects.count()) < {target}:
    batch = [AuditEvent(**seed[i % len(seed)]) for i in range(min(5000, {target} - have))]
    AuditEvent.objects.bulk_create(batch)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--repeat", type=int, default=40, help="Timed GETs per page (default 40, at most 500)."
    )
    parser.add_argument("--only", help="Only the pages whose name contains this text.")
    parser.add_argument(
        "--audit-events",
        type=int,
        default=0,
        help="Grow the audit trail to about this many events first (copies of the demo's), as after months "
        "of use; at most 1,000,000.",
    )
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    if not 1 <= args.repeat <= 500 or not 0 <= args.audit_events <= 1_000_000:
        parser.error("--repeat must be 1..500 and --audit-events 0..1,000,000: the run is bounded.")
    pages = [p for p in PAGES if not args.only or args.only in p[0]]
    rows = {}
    with demo_installation(args.database, args.postgres_url) as installation:
        if args.audit_events:
            installation.csi("shell", "-c", GROW_AUDIT_TRAIL.format(target=args.audit_events))
        with served(installation, workers=2, threads=4, worker=False) as port:
            clients: dict[str, Client] = {}
            for name, path, username in pages:
                if username not in clients:
                    clients[username] = Client(port)
                    clients[username].sign_in(username, installation.passwords[username])
                client = clients[username]
                timings, errors = [], 0
                for turn in range(WARM_UP + args.repeat):
                    start = time.perf_counter()
                    answer = client.get(path)
                    elapsed = time.perf_counter() - start
                    errors += answer.status != 200
                    if turn >= WARM_UP:
                        timings.append(elapsed)
                rows[f"{name} `{path}`"] = {**summarise(timings), "errors": errors}
    result = {
        "database": args.database,
        "repeat": args.repeat,
        "audit_events": args.audit_events,
        "machine": machine(),
        "pages": rows,
    }
    m = result["machine"]
    text = (
        f"One user, {args.repeat} sequential GETs per page after {WARM_UP} warm-ups, {args.database}"
        f"{f', audit trail grown to {args.audit_events:,} events' if args.audit_events else ''}, "
        f"csi serve 2 workers x 4 threads without the background worker; {m['at']}, commit {m['commit']}, "
        f"load average at the end {m['load_average']}.\n\n" + markdown_table(rows, TARGET_P95_MS) + "\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"pages-{args.database}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    stem.with_suffix(".md").write_text(text)
    print(text)
    print(f"Written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
