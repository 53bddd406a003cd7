"""The measurement store: immutable Parquet batches on disk, one folder per committed import.

Layout (Hive-style, so Spark, Trino or DuckDB can read it as one partitioned dataset):

    <CSI_DATA_DIR>/measures/source=<source id>/batch=<batch id>/events.parquet
                                                              /seen.parquet, all.parquet (see below)

A batch is written into a hidden temporary folder beside it and renamed into place when complete; the
app database row is marked committed only after that, in one transaction. Readers list the committed
batches from the database, so a batch being written, or left behind by a killed process, is never
read; `sweep_orphans` removes such leftovers. Files are never changed once in place.

Rows are in the imported file's order; where a file stores `line` as null, `read` computes it from the
row's position and the file's `line_base` (see `csi.measures.schema`).

Ticket events merge (docs/decisions/0006): a ticket's history is the union of the events of the
committed batches, each event, identified by (ticket_id, event_key), once. A `merge` batch stores in
events.parquet only the events not visible when it was imported; when the file held events already
visible, all.parquet keeps the file's records as read and seen.parquet lists those already visible (their
`row` in all.parquet), each with the batch whose copy was visible (`seen_in`); a `replace` batch stores all its events and hides,
for the tickets it holds, the events of earlier batches. `ticket_events` is the one reader of the
visible events.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
from django.conf import settings

from csi.measures.batchref import BatchRef
from csi.measures.choices import DATA_FILE
from csi.measures.schema import (
    ANSWER_COLUMNS,
    EVENT_COLUMNS,
    EVENT_KEY,
    EVENT_SCHEMA,
    LINE_BASE,
    SAMPLE_COLUMNS,
    SEEN_IN,
    STORED_EVENT_COLUMNS,
)

SEEN_FILE = "seen.parquet"  # a merge batch's already-held events: (row in ALL_FILE, seen_in)
ALL_FILE = "all.parquet"  # a merge batch's file as read, every record, when some were already held
SEEN_ROW = "row"
COLUMNS = {
    "events.parquet": STORED_EVENT_COLUMNS,
    "samples.parquet": SAMPLE_COLUMNS,
    "answers.parquet": ANSWER_COLUMNS,
}
ENGINE_MEMORY_LIMIT = os.environ.get("CSI_ENGINE_MEMORY", "1GB")


def root() -> Path:
    return Path(settings.DATA_DIR) / "measures"


def source_dir(source_id: int) -> Path:
    return root() / f"source={source_id}"


def batch_dir(source_id: int, batch_id: int) -> Path:
    return source_dir(source_id) / f"batch={batch_id}"


def temp_dir(source_id: int, batch_id: int) -> Path:
    """A fresh hidden folder for writing a batch (readers never look at dot-folders)."""
    path = source_dir(source_id) / f".tmp-batch={batch_id}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def publish(temp: Path, source_id: int, batch_id: int) -> Path:
    """Move a completely written batch folder into place (an atomic rename on one file system)."""
    target = batch_dir(source_id, batch_id)
    for item in temp.iterdir():
        if item.name not in COLUMNS and item.name not in {SEEN_FILE, ALL_FILE}:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    for item in temp.iterdir():
        with item.open("rb") as handle:
            os.fsync(handle.fileno())
    os.rename(temp, target)
    _fsync_dir(target.parent)
    return target


def remove_batch(source_id: int, batch_id: int) -> None:
    shutil.rmtree(batch_dir(source_id, batch_id), ignore_errors=True)


@contextmanager
def source_lock(source_id: int) -> Iterator[None]:
    """Hold the source's merge lock (an exclusive lock on a file under .locks, across processes): a
    merge batch is compared with the visible events and committed under it, so two imports of one
    source never both take the same event for new."""
    import fcntl

    folder = root() / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"source={source_id}").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def process_alive(host: str, pid: int | None) -> bool:
    """Whether the process that started a run is still running (only knowable on this host)."""
    if pid is None or host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(source_id: int, live_among: Callable[[set[int]], set[int]]) -> int:
    """Remove temporary folders and batch folders of batches the database does not hold as committed or
    running; returns how many were removed. The folders are listed first and `live_among(ids)` asked
    about those ids afterwards: a run's row is written before its folder, so a run that starts meanwhile
    is never taken for an orphan."""
    folder = source_dir(source_id)
    if not folder.exists():
        return 0
    found: list[tuple[int, Path]] = []
    for item in folder.iterdir():
        name = item.name
        if name.startswith(".tmp-batch="):
            number = name.split("=", 1)[1].split("-", 1)[0]
        elif name.startswith("batch="):
            number = name.split("=", 1)[1]
        else:
            continue
        if number.isdigit():
            found.append((int(number), item))
    live = live_among({batch_id for batch_id, _ in found}) if found else set()
    removed = 0
    for batch_id, item in found:
        if batch_id not in live:
            shutil.rmtree(item, ignore_errors=True)
            removed += 1
    return removed


def engine() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for one piece of work, bounded in memory (spilling to disk beyond it)."""
    spill = root() / ".spill"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": ENGINE_MEMORY_LIMIT, "temp_directory": str(spill)})
    con.execute("SET TimeZone = 'UTC'")
    return con


def ibis_connection() -> ibis.BaseBackend:
    """An Ibis backend over a fresh bounded DuckDB connection."""
    return ibis.duckdb.from_connection(engine())


def batch_files(batches: list[tuple[int, int, str]]) -> list[Path]:
    """The data files of committed batches given as (source_id, batch_id, kind)."""
    return [batch_dir(source_id, batch_id) / DATA_FILE[kind] for source_id, batch_id, kind in batches]


def _ref(batch: Sequence[int] | BatchRef) -> BatchRef:
    return batch if isinstance(batch, BatchRef) else BatchRef(int(batch[0]), int(batch[1]))


def ticket_events(con: ibis.BaseBackend, batches: Sequence[BatchRef | tuple[int, int]]) -> ibis.Table:
    """The visible events of the given committed batches (all of them, of one or more sources) as one
    Ibis table with the canonical columns plus `event_key`, `source_id` and `batch_id`: every batch's
    events.parquet (a plain union); plus, only when a batch that some `seen_in` names is no longer
    among them (deleted), the seen rows that referred to it; less, for the tickets a replace batch holds,
    the rows of earlier batches. Each event once: where a deletion could have left one event in two
    batches (promoted seen rows, a deleted replace batch), the earliest batch's copy is kept.
    Plain (source_id, batch_id) pairs are read as merge batches with nothing seen."""
    refs = [_ref(b) for b in batches]
    if not refs:
        schema = pa.schema(
            [
                *EVENT_SCHEMA,
                pa.field(EVENT_KEY, pa.int64()),
                pa.field("source_id", pa.int64()),
                pa.field("batch_id", pa.int64()),
            ]
        )
        return ibis.memtable(schema.empty_table())
    paths = [str(batch_dir(r.source_id, r.batch_id) / "events.parquet") for r in refs]
    table = _events_table(read(con, paths))
    committed = {r.batch_id for r in refs}
    promoted = [r for r in refs if any(seen not in committed for seen in r.seen_in)]
    dedupe = bool(promoted) or any(r.rebased for r in refs)
    if promoted:
        table = table.union(_promoted(con, promoted, committed))
    replaced = [r.batch_id for r in refs if r.mode == "replace"]
    if replaced and len(refs) > 1:
        cut = (
            ibis.cases((table.batch_id.isin(replaced), table.batch_id), else_=None)
            .max()
            .over(group_by=[table.source_id, table.ticket_id])
        )
        table = table.filter(cut.isnull() | (table.batch_id >= cut))
    if dedupe:
        first = table.batch_id.min().over(group_by=[table.source_id, table.ticket_id, table[EVENT_KEY]])
        table = table.filter(table.batch_id == first)
    return table


def _promoted(con: ibis.BaseBackend, refs: list[BatchRef], committed: set[int]) -> ibis.Table:
    """The events of these merge batches that were already held when imported, by a batch no longer
    committed: their rows of all.parquet named in seen.parquet with such a `seen_in`."""
    folders = [batch_dir(r.source_id, r.batch_id) for r in refs]
    records = read(con, [str(folder / ALL_FILE) for folder in folders])
    seen = con.read_parquet([str(folder / SEEN_FILE) for folder in folders], hive_partitioning=True)
    gone = seen.filter(~seen[SEEN_IN].isin(sorted(committed)))
    gone = gone.select(_gone_source=gone["source"], _gone_batch=gone["batch"], _gone_row=gone[SEEN_ROW])
    rows = records.join(
        gone,
        [
            records["source"] == gone._gone_source,
            records["batch"] == gone._gone_batch,
            records.file_row_number == gone._gone_row,
        ],
    )
    return _events_table(rows)


def _events_table(table: ibis.Table) -> ibis.Table:
    # Batches written before event keys existed have none: their events match nothing (each is new).
    key = table[EVENT_KEY] if EVENT_KEY in table.columns else ibis.null("int64")
    return table.select(
        *EVENT_COLUMNS,
        **{EVENT_KEY: key},
        source_id=table["source"].cast("int64"),
        batch_id=table["batch"].cast("int64"),
    )


def records(
    con: ibis.BaseBackend, batches: Sequence[BatchRef | tuple[int, int]], kind: str
) -> ibis.Table | None:
    """Metric samples or survey answers of the given committed batches as one Ibis table (canonical
    columns); None when there are none. Samples and answers are never superseded: each is a
    measurement of its own (the same file twice is refused at import)."""
    if not batches:
        return None
    name = DATA_FILE[kind]
    paths = [str(batch_dir(b[0], b[1]) / name) for b in batches]
    return read(con, paths).select(*COLUMNS[name])


def read(con: ibis.BaseBackend, paths: list[str]) -> ibis.Table:
    """Batch files as one Ibis table (with their Hive `source` and `batch` columns), `line` complete."""
    table = con.read_parquet(paths, hive_partitioning=True, union_by_name=True, file_row_number=True)
    if LINE_BASE in table.columns:
        table = table.mutate(line=table.line.coalesce(table.file_row_number + table[LINE_BASE]))
    return table


LINE_SQL = f"coalesce(line, file_row_number + {LINE_BASE})"  # `line` where a query reads a file directly
