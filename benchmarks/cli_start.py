"""Start-up time of `csi` commands on the demo data: the median wall time of --repeat runs each.

    .venv/bin/python benchmarks/cli_start.py [--repeat 7]

Target: the commands that do not need the API or the analytics engine answer in under 0.5 s. For
reference it also times a bare Python and a bare `django.setup()` with the project's settings (what
every command pays). Works on a fresh demo installation (SQLite) in a temporary folder; bounded by
--repeat x commands runs of at most 120 s each. Writes JSON and Markdown into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadkit import CSI, demo_installation, machine

TARGET_SECONDS = 0.5
PYTHON = sys.executable
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass (reference)", [PYTHON, "-c", "pass"]),
    ("django.setup() (reference)", [PYTHON, "-c", "import django; django.setup()"]),
    ("csi --help", [CSI, "--help"]),
    ("csi register list", [CSI, "register", "list"]),
    ("csi plans list", [CSI, "plans", "list"]),
    ("csi initiatives list", [CSI, "initiatives", "list"]),
    ("csi catalog list", [CSI, "catalog", "list"]),
    ("csi standards list", [CSI, "standards", "list"]),
    ("csi measures sources", [CSI, "measures", "sources"]),
    ("csi measures runs", [CSI, "measures", "runs"]),
    ("csi analytics board (needs the engine)", [CSI, "analytics", "board"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="Runs per command (default 7, at most 50).")
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    if not 1 <= args.repeat <= 50:
        parser.error("--repeat must be 1..50: the run is bounded.")
    rows = {}
    with demo_installation("sqlite", "") as installation:
        env = {**installation.env, "DJANGO_SETTINGS_MODULE": "csi.settings"}
        for name, argv in COMMANDS:
            times, cpu = [], []
            for _ in range(args.repeat + 1):  # the first run warms the file cache and is not counted
                start = time.perf_counter()
                child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(child.pid, 0)
                times.append(time.perf_counter() - start)
                cpu.append(usage.ru_utime + usage.ru_stime)
                if status != 0:
                    raise SystemExit(f"{name} failed (wait status {status}); run it by hand to see why.")
                child.returncode = 0  # reaped by wait4 above
            rows[name] = {
                "median_s": round(statistics.median(times[1:]), 3),
                "min_s": round(min(times[1:]), 3),
                "cpu_median_s": round(statistics.median(cpu[1:]), 3),
            }
    m = machine()
    lines = [
        f"`csi` start-up, median of {args.repeat} runs after one warm-up, demo data on SQLite (CPU time is "
        f"the child's user+sys, which a busy machine disturbs less than wall time); {m['at']}, commit "
        f"{m['commit']}, load average at the end {m['load_average']}.",
        "",
        f"| command | wall, median s | wall, fastest s | CPU (user+sys), median s | < {TARGET_SECONDS} s |",
        "|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        verdict = ""
        if "reference" not in name and "engine" not in name:
            verdict = "met" if row["median_s"] < TARGET_SECONDS else "missed"
        lines.append(f"| `{name}` | {row['median_s']} | {row['min_s']} | {row['cpu_median_s']} | {verdict} |")
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"cli-start-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    stem.with_suffix(".json").write_text(json.dumps({"machine": m, "commands": rows}, indent=2))
    stem.with_suffix(".md").write_text(text)
    print(text)
    print(f"Written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
