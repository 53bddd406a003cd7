"""Comparing an import run's ticket events with what its source already holds (docs/decisions/0006).

After the file is read and checked (`csi.measures.importer`), its staged events.parquet holds every
good record with its `event_key`. `compare` joins it, on (ticket_id, event_key), with the source's
visible events (`store.ticket_events`, the one reader of them) and counts: events new to the source,
events already there, tickets that gain events and, for a replace batch, the visible events of the
file's tickets that the file lacks (hidden once it commits). With `write`, a merge batch whose file
holds events already there is then split: the staged file is kept whole, unchanged, as all.parquet;
events.parquet is written with only the new events (their line written out, since positions change;
not necessarily in file order, readers order events by time, batch and line); seen.parquet lists the
others by their row in all.parquet (`row`) with `seen_in`, the batch whose copy was visible. Writing
the already-held events out again cost more than the whole rest of the comparison (docs/decisions/0006),
so they are kept where the read put them. Nothing is rewritten when the source holds none of the file's
events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import ibis

from csi.measures import store
from csi.measures.batchref import BatchRef
from csi.measures.choices import ImportMode
from csi.measures.readers import quote_ident, sql_string
from csi.measures.schema import EVENT_KEY, EVENT_KEY_SQL, LINE_BASE, SEEN_IN, STORED_EVENT_COLUMNS


@dataclass
class MergeCounts:
    """What a ticket-event batch changes in its source."""

    new_events: int = 0
    seen_events: int = 0
    gaining_tickets: int = 0
    removed_events: int = 0
    seen_in: list[int] = field(default_factory=list)


def keyed_select(select: str) -> str:
    """The mapped SELECT of a ticket-event file with its `event_key` added (see `csi.measures.schema`)."""
    return f"SELECT *, {EVENT_KEY_SQL} AS {EVENT_KEY} FROM ({select})"


def compare(staged: Path, workdir: Path, refs: list[BatchRef], mode: str, *, write: bool) -> MergeCounts:
    """Count (and, with `write`, split for a merge batch) the staged events against the visible events
    of the committed batches `refs` (see the module docstring)."""
    con = store.engine()
    try:
        return _compare(con, staged, workdir, refs, mode, write)
    finally:
        con.close()


def _compare(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    workdir: Path,
    refs: list[BatchRef],
    mode: str,
    write: bool,
) -> MergeCounts:
    file = f"read_parquet({sql_string(str(staged))}, file_row_number = true)"
    con.execute(f"CREATE TEMP VIEW staged AS SELECT * FROM {file} WHERE _reject IS NULL")
    if not refs:
        row = con.execute("SELECT count(*), count(DISTINCT ticket_id) FROM staged").fetchone() or (0, 0)
        return MergeCounts(new_events=int(row[0]), gaining_tickets=int(row[1]))
    backend = ibis.duckdb.from_connection(con)
    visible = store.ticket_events(backend, refs).select("ticket_id", EVENT_KEY, "batch_id")
    con.execute(f"CREATE TEMP VIEW visible AS {ibis.to_sql(visible, dialect='duckdb')}")
    # The file's rows that the source holds, with the earliest batch holding each (one row per file row).
    con.execute(
        "CREATE TEMP TABLE matched AS SELECT s.file_row_number AS n, min(v.batch_id) AS seen_in "
        f"FROM staged s JOIN visible v ON s.ticket_id = v.ticket_id AND s.{EVENT_KEY} = v.{EVENT_KEY} "
        "GROUP BY s.file_row_number"
    )
    row = con.execute(
        "SELECT count(*), count(DISTINCT ticket_id) FROM staged ANTI JOIN matched ON file_row_number = n"
    ).fetchone() or (0, 0)
    counts = MergeCounts(new_events=int(row[0]), gaining_tickets=int(row[1]))
    counts.seen_events = int((con.execute("SELECT count(*) FROM matched").fetchone() or (0,))[0])
    counts.seen_in = [
        int(r[0]) for r in con.execute("SELECT DISTINCT seen_in FROM matched ORDER BY 1").fetchall()
    ]
    if mode == ImportMode.REPLACE:
        removed = con.execute(
            "SELECT count(*) FROM visible v WHERE v.ticket_id IN (SELECT ticket_id FROM staged) "
            f"AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.ticket_id = v.ticket_id AND s.{EVENT_KEY} = v.{EVENT_KEY})"
        ).fetchone()
        counts.removed_events = int(removed[0]) if removed else 0
        counts.seen_in = []  # a replace batch stores all its events: it refers to no other batch
    elif write and counts.seen_events:
        _split(con, staged, workdir)
    return counts


def _split(con: duckdb.DuckDBPyConnection, staged: Path, workdir: Path) -> None:
    """events.parquet <- the staged rows not matched, seen.parquet <- (row, seen_in) of the matched ones,
    all.parquet <- the staged file as it is."""
    columns = [
        f"{store.LINE_SQL}::BIGINT AS line" if name == "line" else quote_ident(name)
        for name in STORED_EVENT_COLUMNS
    ]
    tail = f"NULL::BIGINT AS {LINE_BASE}, NULL::VARCHAR AS _reject"
    new = workdir / "new-events.parquet"
    con.execute(
        f"COPY (SELECT {', '.join(columns)}, {tail} FROM staged ANTI JOIN matched ON file_row_number = n) "
        f"TO {sql_string(str(new))} (FORMAT parquet, COMPRESSION zstd)"
    )
    con.execute(
        f"COPY (SELECT n AS {store.SEEN_ROW}, seen_in AS {SEEN_IN} FROM matched) "
        f"TO {sql_string(str(workdir / store.SEEN_FILE))} (FORMAT parquet, COMPRESSION zstd)"
    )
    staged.replace(workdir / store.ALL_FILE)
    new.replace(staged)
