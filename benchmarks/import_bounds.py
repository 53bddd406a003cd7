"""Benchmark: how fast hostile files are refused by `csi measures import` (issue 11, section 2).

On a throw-away data directory and SQLite database, each case runs the real command in a subprocess and
reports its wall time (with the run's own duration, without starting `csi`), exit code and the one
line it printed on stderr:
  1. a 200 MB file holding one line (refused when its first line passes 8,000,000 bytes; it took 70 s
     before the bound);
  2. a zip of a CSV expanding to 2 GiB of one repeated event (refused by its compression ratio before
     anything is expanded; it was committed as 17 M events before);
  3. the same bomb read as XLSX (a workbook is a zip: the same bounds);
  4. the ServiceNow incident event log as it is (the cost of the new checks on a real import), 3 runs.
Usage: .venv/bin/python benchmarks/import_bounds.py [--keep]. Nothing is asserted: the targets are read
from the table (refusals well under a second; the ServiceNow import within its < 5 s target).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CSI = str(Path(sys.executable).parent / "csi")
SERVICENOW = ROOT.parent / "shared" / "data" / "servicenow-incident-event-log" / "incident_event_log.zip"
ROW = b"T1,2024-01-01T10:00:00Z,New,P1,Email\n"
XLSX_PROFILE = """apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {name: bench-xlsx}
spec:
  name: Bench XLSX
  sourceKind: ticket_events
  format: {type: xlsx}
  fields: {ticket_id: ticket_id, event_at: event_at, state: state}
"""


def one_line_file(path: Path, size: int) -> Path:
    chunk = b"a," * (1 << 20)
    with path.open("wb") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
    return path


def bomb(path: Path, expanded: int, member: str = "export.csv") -> Path:
    """A zip whose one member expands to `expanded` bytes of the same event, written in chunks."""
    rows = ROW * ((1 << 20) // len(ROW))
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=True) as out,
    ):
        out.write(b"ticket_id,event_at,state,priority,category\n")
        written = 0
        while written < expanded:
            out.write(rows)
            written += len(rows)
    return path


def run(env: dict[str, str], *args: str) -> tuple[str, int, str]:
    """The command's wall time with the run's own duration (what `--json` reports, without the start of
    the `csi` process), its exit code and the last line of its stderr."""
    started = time.perf_counter()
    done = subprocess.run([CSI, *args, "--json"], env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - started
    own = json.loads(done.stdout)["duration_seconds"]
    last = (done.stderr.strip().splitlines() or ["-"])[-1]
    return f"{elapsed:.2f} s ({own:.2f} s)", done.returncode, last


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csi-bench-bounds-"))
    env = {
        **os.environ,
        "CSI_DATA_DIR": str(folder / "data"),
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
    }
    rows: list[tuple[str, str, str, str]] = []
    try:
        subprocess.run([CSI, "migrate", "-v", "0"], env=env, check=True)
        line = one_line_file(folder / "one-line.csv", 200 * 1024 * 1024)
        seconds, code, said = run(
            env, "measures", "import", str(line), "--source", "a", "--profile", "csi-event-log"
        )
        rows.append(("200 MB file of one line", seconds, str(code), said))

        zipped = bomb(folder / "bomb.zip", 2 * 1024**3 - (1 << 20))
        size = f"{zipped.stat().st_size / 1e6:.1f} MB zip expanding to 2 GiB"
        seconds, code, said = run(
            env, "measures", "import", str(zipped), "--source", "b", "--profile", "csi-event-log"
        )
        rows.append((size, seconds, str(code), said))

        (folder / "bench-xlsx.yaml").write_text(XLSX_PROFILE)
        subprocess.run(
            [CSI, "measures", "profile", "add", str(folder / "bench-xlsx.yaml")], env=env, check=True
        )
        workbook = shutil.copy(zipped, folder / "bomb.xlsx")
        seconds, code, said = run(
            env, "measures", "import", str(workbook), "--source", "c", "--profile", "bench-xlsx"
        )
        rows.append(("the same bomb as an XLSX workbook", seconds, str(code), said))

        if SERVICENOW.exists():
            times = []
            for attempt in range(3):
                seconds, code, _ = run(
                    env,
                    "measures",
                    "import",
                    str(SERVICENOW),
                    "--source",
                    f"servicenow-{attempt}",
                    "--profile",
                    "servicenow-incident-event-log",
                )
                times.append(seconds)
            rows.append(("ServiceNow log, 3 runs", "; ".join(times), str(code), "committed"))
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print("| case | wall time (the run's own) | exit | what the command said |")
    print("|---|---|---|---|")
    for case, seconds, code, said in rows:
        print(f"| {case} | {seconds} | {code} | {said[:160]} |")


if __name__ == "__main__":
    main()
