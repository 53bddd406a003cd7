"""How long the work that the bounds allow takes at the bounds: the checks themselves and the largest
calculation they let through. Targets: each well under a second, so a refusal or the largest allowed
request is cheap. `python benchmarks/bounds.py` prints one line per figure (no database needed)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as clock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csi.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from csi.api.middleware import json_depth  # noqa: E402
from csi.standards.business_time import CalendarSpec, business_seconds  # noqa: E402


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    office = CalendarSpec(time_zone="Europe/Paris", periods={d: [(clock(9), clock(17))] for d in range(5)})
    start = datetime(2016, 1, 1, tzinfo=UTC)
    end = datetime(2026, 1, 8, tzinfo=UTC)  # 3,660 days: CSI_BUSINESS_TIME_MAX_DAYS
    limit = settings.CSI_API_MAX_BODY_BYTES
    deep = b"[" * (limit // 2) + b"]" * (limit // 2)
    shallow = b"[]" * (limit // 2)
    flat = json.dumps({"items": ['a [bracketed] "quoted" text'] * (limit // 40)}).encode()[:limit]
    figures = {
        "business time over 3,660 days, office calendar": best_of(
            3, lambda: business_seconds(office, start, end)
        ),
        f"nesting check of a {limit:,}-byte body nested {limit // 2:,} deep": best_of(
            3, lambda: json_depth(deep)
        ),
        f"nesting check of a {limit:,}-byte body of {limit // 2:,} empty arrays": best_of(
            3, lambda: json_depth(shallow)
        ),
        f"nesting check of a {len(flat):,}-byte flat body": best_of(3, lambda: json_depth(flat)),
    }
    for name, seconds in figures.items():
        print(f"{name}: {seconds * 1000:,.1f} ms")


if __name__ == "__main__":
    main()
