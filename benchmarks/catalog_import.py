"""Benchmark: importing a large catalog and re-importing it unchanged (`make bench`).

Generates N services (default 500) in CSI Workbench YAML, each with packages, timelines, risks, two
dependencies and a small delivery model, and times `csi catalog import` on a fresh SQLite database,
then the same import again (which must change nothing), then `csi catalog export`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

N = int(os.environ.get("BENCH_SERVICES", "500"))
CSI = str(Path(sys.executable).with_name("csi"))


def documents(n: int) -> list[dict]:
    docs = [
        {
            "apiVersion": "csi-workbench/v1",
            "kind": "Stakeholder",
            "metadata": {"name": "Everyone"},
            "spec": {"kind": "internal_team"},
        }
    ]
    for i in range(n):
        deps = [{"service": f"svc-{j}", "description": ""} for j in (i // 2, i // 3) if j < i]
        docs.append(
            {
                "apiVersion": "csi-workbench/v1",
                "kind": "Service",
                "metadata": {"name": f"svc-{i}"},
                "spec": {
                    "name": f"Service {i}",
                    "description": "A generated service.",
                    "category": f"Category {i % 12}",
                    "lifecycle": "live",
                    "tier": 1 + i % 4,
                    "packages": [{"name": "Gold", "rank": 1}, {"name": "Silver", "rank": 2}],
                    "timelines": [{"requestType": "Access", "leadTimeHours": "8"}],
                    "portfolio": {
                        "priority": 1 + i % 5,
                        "risks": [{"title": "Outage", "likelihood": 2, "impact": 4}],
                    },
                    "dependsOn": list({d["service"]: d for d in deps}.values()),
                    "stakeholders": [{"stakeholder": "Everyone", "relation": "user"}],
                    "delivery": {
                        "roles": [
                            {"name": "Engineer", "skills": [{"skill": "Linux", "level": 3}]},
                            {"name": "Lead"},
                        ],
                        "activities": [{"name": "Operate", "raci": {"Engineer": "R", "Lead": "A"}}],
                        "tools": [{"name": "Monitoring"}],
                    },
                },
            }
        )
    return docs


def timed(label: str, args: list[str], env: dict[str, str]) -> str:
    start = time.perf_counter()
    result = subprocess.run([CSI, *args], env=env, capture_output=True, text=True, check=True)
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s")
    return result.stdout


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="csi-bench-import-"))
    env = {**os.environ, "CSI_DATA_DIR": str(work), "DATABASE_URL": f"sqlite:///{work / 'csi.sqlite3'}"}
    subprocess.run([CSI, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    path = work / "catalog.yaml"
    path.write_text(yaml.safe_dump_all(documents(N), sort_keys=False))
    print(f"catalog of {N} services ({path.stat().st_size // 1024} KiB of YAML), SQLite")
    first = timed("csi catalog import (fresh database)", ["catalog", "import", str(path)], env)
    again = timed("csi catalog import (same file again)", ["catalog", "import", str(path)], env)
    assert f"{N + 1} created" in first.splitlines()[-1], first.splitlines()[-1]
    assert "0 created, 0 updated" in again.splitlines()[-1], again.splitlines()[-1]
    timed("csi catalog export", ["catalog", "export", "-o", str(work / "out.yaml")], env)


if __name__ == "__main__":
    main()
