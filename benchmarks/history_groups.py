"""What grouping by a ticket's first or ever-had value costs beside its latest value.

    .venv/bin/python benchmarks/history_groups.py --tickets 200000 --repeat 3

Generates a synthetic event log (`csi.measures.generate`, the same as benchmarks/measures.py), writes it
as one Parquet batch with the canonical columns, materialises the ticket facts once (as
`csi.analytics.engine.source_tables` does), then times `ticket_summary` grouped by `assignment_group`,
`first:assignment_group` and `ever:assignment_group` (median of --repeat runs each, wall time), and the
events-by-state count. Runs in a throw-away folder; needs no database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import ibis

from csi.analytics import tickets
from csi.measures.generate import generate_event_log

RULES = tickets.TicketRules(resolved_states=("Resolved",), closed_states=("Closed",), new_states=("New",))
CASTS = {
    "event_at": "TIMESTAMP",
    "opened_at": "TIMESTAMP",
    "resolved_at": "TIMESTAMP",
    "closed_at": "TIMESTAMP",
    "reassignment_count": "BIGINT",
    "reopen_count": "BIGINT",
    "version": "BIGINT",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        counts = generate_event_log(work / "events.csv", args.tickets)
        con = duckdb.connect()
        columns = con.execute(f"SELECT * FROM read_csv('{work / 'events.csv'}', all_varchar = true) LIMIT 0")
        names = [d[0] for d in columns.description]
        select = ", ".join(
            f'CAST(timezone(\'UTC\', CAST("{n}" AS TIMESTAMPTZ)) AS TIMESTAMP) AS "{n}"'
            if CASTS.get(n) == "TIMESTAMP"
            else f'CAST("{n}" AS {CASTS[n]}) AS "{n}"'
            if n in CASTS
            else f'"{n}"'
            for n in names
        )
        con.execute(
            f"COPY (SELECT {select}, row_number() OVER () + 1 AS line, 1::BIGINT AS batch_id "
            f"FROM read_csv('{work / 'events.csv'}', all_varchar = true)) TO '{work / 'events.parquet'}'"
        )
        con.close()
        backend = ibis.duckdb.connect()
        events = backend.read_parquet(work / "events.parquet")
        for name in ("impact", "urgency", "ticket_type", "subcategory", "sla_flag"):
            if name not in events.columns:
                events = events.mutate(**{name: ibis.null("boolean" if name == "sla_flag" else "string")})
        facts = backend.create_table(
            "facts", tickets.ticket_facts(events, RULES, ping_pongs=False), temp=True
        )
        print(f"{counts['tickets']:,} tickets, {counts['events']:,} events")
        for by in ("assignment_group", "first:assignment_group", "ever:assignment_group"):
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                rows = backend.to_pyarrow(tickets.ticket_summary(facts, by=by, events=events))
                times.append(time.perf_counter() - began)
            print(f"ticket_summary by {by:24} {statistics.median(times):6.3f} s ({rows.num_rows} groups)")
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            backend.to_pyarrow(tickets.event_summary(events, by="state"))
            times.append(time.perf_counter() - began)
        print(f"event_summary by state               {statistics.median(times):6.3f} s")


if __name__ == "__main__":
    main()
