"""The measurement store: immutable Parquet batches on disk, one folder per committed import.

Layout (Hive-style, so Spark, Trino or DuckDB can read it as one partitioned dataset):

    <CSI_DATA_DIR>/measures/source=<source id>/batch=<batch id>/events.parquet

A batch is written into a hidden temporary folder beside it and renamed into place when complete; the
app database row is marked committed only after that, in one transaction. Readers list the committed
batches from the database, so a batch being written, or left behind by a killed process, is never
read; `sweep_orphans` removes such leftovers. Files are never changed once in place.

Rows are in the imported file's order; where a file stores `line` as null, `read` computes it from the
row's position and the file's `line_base` (see `csi.measures.schema`).
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
from django.conf import settings

from csi.measures.choices import DATA_FILE
from csi.measures.schema import ANSWER_COLUMNS, EVENT_COLUMNS, EVENT_SCHEMA, LINE_BASE, SAMPLE_COLUMNS

COLUMNS = {
    "events.parquet": EVENT_COLUMNS,
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
        if item.name not in COLUMNS:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    for item in temp.iterdir():
        with item.open("rb") as handle:
            os.fsync(handle.fileno())
    os.rename(temp, target)
    _fsync_dir(target.parent)
    return target


def remove_batch(source_id: int, batch_id: int) -> None:
    shutil.rmtree(batch_dir(source_id, batch_id), ignore_errors=True)


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


def ticket_events(con: ibis.BaseBackend, batches: list[tuple[int, int]]) -> ibis.Table:
    """The events of the given committed batches (source_id, batch_id) as one Ibis table with the
    canonical columns plus `source_id` and `batch_id`, each ticket's events taken from the latest
    batch that holds the ticket (a later export supersedes earlier versions of its tickets)."""
    if not batches:
        schema = pa.schema(
            [*EVENT_SCHEMA, pa.field("source_id", pa.int64()), pa.field("batch_id", pa.int64())]
        )
        return ibis.memtable(schema.empty_table())
    paths = [str(batch_dir(s, b) / "events.parquet") for s, b in batches]
    table = read(con, paths)
    table = table.select(
        *EVENT_COLUMNS, source_id=table["source"].cast("int64"), batch_id=table["batch"].cast("int64")
    )
    if len(batches) == 1:
        return table
    latest = table.batch_id.max().over(group_by=[table.source_id, table.ticket_id])
    return table.filter(table.batch_id == latest)


def records(con: ibis.BaseBackend, batches: list[tuple[int, int]], kind: str) -> ibis.Table | None:
    """Metric samples or survey answers of the given committed batches as one Ibis table (canonical
    columns); None when there are none. Samples and answers are never superseded: each is a
    measurement of its own (the same file twice is refused at import)."""
    if not batches:
        return None
    name = DATA_FILE[kind]
    paths = [str(batch_dir(s, b) / name) for s, b in batches]
    return read(con, paths).select(*COLUMNS[name])


def read(con: ibis.BaseBackend, paths: list[str]) -> ibis.Table:
    """Batch files as one Ibis table (with their Hive `source` and `batch` columns), `line` complete."""
    table = con.read_parquet(paths, hive_partitioning=True, union_by_name=True, file_row_number=True)
    if LINE_BASE in table.columns:
        table = table.mutate(line=table.line.coalesce(table.file_row_number + table[LINE_BASE]))
    return table


LINE_SQL = f"coalesce(line, file_row_number + {LINE_BASE})"  # `line` where a query reads a file directly
