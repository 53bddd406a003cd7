"""Write the first N traces of an XES event log (whole cases, in file order) as a CSV event log.

One CSV row per event, in file order, in pm4py's column layout: `case:concept:name` (the trace's name),
then the event attributes named on the command line by their XES keys (a missing attribute is an empty
cell). Values are written as the XES file holds them (timestamps keep their UTC offset). Reads `.xes` or
`.xes.gz`. Used to cut the public test logs in src/csi/measures/tests/data/ (see their SOURCE.txt):

    python scripts/xes_to_csv.py LOG.xes.gz N OUT.csv KEY [KEY ...]
"""

from __future__ import annotations

import csv
import gzip
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def convert(raw: IO[bytes], count: int, out: IO[str], keys: list[str]) -> int:
    """Write the first `count` traces of the XES stream `raw` to `out`; returns the traces written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case:concept:name", *keys])
    traces = 0
    # A maintainer runs this on a published log they chose, never on uploaded data; XES files hold no
    # DTD, and the standard parser is what is at hand (defusedxml is not a dependency).
    for _, element in ET.iterparse(raw, events=("end",)):  # noqa: S314
        if _local(element.tag) != "trace":
            continue
        children = list(element)
        name = next(
            (c.get("value") for c in children if _local(c.tag) != "event" and c.get("key") == "concept:name"),
            "",
        )
        for event in (c for c in children if _local(c.tag) == "event"):
            values = {a.get("key"): a.get("value") for a in event}
            writer.writerow([name, *(values.get(key) or "" for key in keys)])
        element.clear()
        traces += 1
        if traces == count:
            break
    return traces


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    source, count, target, keys = Path(argv[0]), int(argv[1]), Path(argv[2]), argv[3:]
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as raw, target.open("w", newline="", encoding="utf-8") as out:
        written = convert(raw, count, out, keys)
    print(f"{written} traces written to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
