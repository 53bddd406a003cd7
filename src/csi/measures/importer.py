"""Import runs: one file into one data source, all or nothing.

The file is read by DuckDB straight into a Parquet file in a hidden folder of the store (one pass, in
bounded memory, records with bad values marked rather than failing the read), checked, and only then
published and recorded as committed. So:

- more rejected records than `max_rejects` (default 0): nothing is stored; the run is recorded as
  rejected with its reject report (line, column, value, reason);
- the same content (SHA-256 of the file) already committed to the source: nothing changes;
- records identical in every field but their line (ticket events, snapshots, metric samples) are
  stored once; how many were dropped is the run's `repeated` count;
- ticket events merge with what the source holds (`mode` merge, the default) or replace the history
  of the file's tickets (`mode` replace): see `csi.measures.merging` and docs/decisions/0006; the
  comparison and the commit happen under the source's lock, and a dry run counts the same;
- a process killed at any point leaves at most a hidden folder and a `running` row, which the worker's
  housekeeping (within a minute) or the next import of the source marks interrupted and removes
  (`csi.measures.housekeeping`); readers only ever see committed batches;
- a run that stores nothing (a dry run, a rejected or failed run, a duplicate) says so: its `events` and
  `tickets` (what was stored) are 0 and `valid` / `valid_tickets` say what passed the checks; it leaves
  no folder in the store (not even the source's, on a first import), and a source that does not exist
  yet (an unsaved `DataSource`, see `services.source_for_import`) is created only when the run commits.
  Rejected and failed runs of an existing source stay in the history with their reject report.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import duckdb
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from csi.core.permissions import require
from csi.core.services import Actor, audit_record, snapshot
from csi.measures import merging, store
from csi.measures.choices import DATA_FILE, TICKET_KINDS, BatchStatus, ImportMode, SourceKind
from csi.measures.housekeeping import recover_interrupted
from csi.measures.mapping import MissingColumns, mapped_select, parse_reject, reason_for
from csi.measures.models import DataSource, ImportBatch, ImportReject
from csi.measures.profiles import ProfileDocument
from csi.measures.readers import (
    RawRead,
    ReadError,
    Reject,
    collect_structural_rejects,
    open_raw,
    quote_ident,
    sql_string,
)
from csi.measures.schema import EVENT_KEY
from csi.measures.selectors import visible_batches
from csi.measures.services import data_changed
from csi.measures.staging import keep_good_records, repeated_records
from csi.measures.summaries import run_summary

TIME_COLUMN = {
    "ticket_events": "event_at",
    "ticket_snapshots": "event_at",
    "metric_samples": "sampled_at",
    "survey_answers": "answered_at",
}
REPORT_LIMIT = 10_000  # reject rows kept per run (all are counted)
PREVIEW_ROWS = 20
# Kinds whose identical records in one file are one record sent twice. Survey answers are not: two
# anonymous answers with the same score on the same day are two answers.
ONCE_ONLY = {SourceKind.TICKET_EVENTS, SourceKind.TICKET_SNAPSHOTS, SourceKind.METRIC_SAMPLES}


@dataclass
class ImportResult:
    """What a run did. `status` is committed, rejected, failed, duplicate or dry-run."""

    status: str
    source: str
    file_name: str
    batch_id: int | None = None
    rows_read: int = 0
    events: int = 0  # records stored by this run: 0 unless committed
    tickets: int = 0  # tickets of the stored records: 0 unless committed
    valid: int = 0  # records that passed every check, each once: what a commit stores
    valid_tickets: int = 0
    rejected: int = 0
    repeated: int = 0  # records identical to an earlier one of the file, stored once
    rejects: list[Reject] = field(default_factory=list)
    duplicate_of: int | None = None
    max_rejects: int | None = None
    advice: str = ""  # what to change in the profile (records not in its encoding)
    duration_seconds: float = 0.0
    message: str = ""
    first_at: datetime | None = None  # the earliest and latest instant of the stored records (UTC)
    last_at: datetime | None = None
    preview_columns: list[str] = field(default_factory=list)
    preview: list[list[Any]] = field(default_factory=list)
    mode: str = ImportMode.MERGE  # ticket events: how the file joins the source's history
    merge: merging.MergeCounts = field(default_factory=merging.MergeCounts)

    @property
    def ok(self) -> bool:
        return self.status in {"committed", "duplicate", "dry-run"}

    @property
    def summary(self) -> str:
        """The run in one line (`csi.measures.summaries`): "stored nothing" unless committed."""
        return run_summary(
            status=self.status,
            rows_read=self.rows_read,
            valid=self.valid,
            stored=self.events,
            tickets=self.tickets if self.status == "committed" else self.valid_tickets,
            rejected=self.rejected,
            repeated=self.repeated,
            max_rejects=self.max_rejects,
            new_events=self.merge.new_events,
            seen_events=self.merge.seen_events,
            removed_events=self.merge.removed_events,
            mode=self.mode,
        )


class _Hasher(threading.Thread):
    """SHA-256 of the file, computed beside DuckDB's read (hashlib releases the GIL). `cancel` stops it
    at the next chunk: a refused file is not read to its end for a digest nobody needs."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.digest = ""
        self.cancelled = threading.Event()

    def run(self) -> None:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                if self.cancelled.is_set():
                    return
                digest.update(chunk)
        self.digest = digest.hexdigest()

    def cancel(self) -> None:
        self.cancelled.set()
        self.join()


def import_file(
    *,
    actor: Actor,
    source: DataSource,
    path: Path,
    file_name: str | None = None,
    dry_run: bool = False,
    max_rejects: int = 0,
    progress: bool = False,
    mode: str = ImportMode.MERGE,
) -> ImportResult:
    """Import `path` into `source` with the source's profile (see the module docstring). Needs
    `measures.import_data`. Audited when committed; returns the result in every case except a
    permission error. `mode` (merge or replace) applies to ticket sources only. An unsaved `source` (pk
    None) is saved for a real run and removed again, with the run, unless the run commits."""
    require(actor, "measures.import_data", source)
    if max_rejects < 0:
        raise ValueError("max_rejects cannot be negative")
    if mode not in ImportMode.values:
        raise ValidationError({"mode": f"'{mode}' is not a mode: merge or replace."})
    if mode == ImportMode.REPLACE and source.kind not in TICKET_KINDS:
        raise ValidationError(
            {
                "mode": f"Replace applies to ticket sources; {source.get_kind_display().lower()} are only added."
            }
        )
    new_source = source.pk is None and not dry_run
    if new_source:
        require(actor, "measures.manage_sources")
        source.full_clean()
        source.save()
    started = time.perf_counter()
    name = file_name or path.name
    profile: ProfileDocument = source.profile.parsed
    result = ImportResult(
        status="failed", source=source.key, file_name=name, max_rejects=max_rejects, mode=mode
    )
    held = ExitStack()
    if not dry_run:
        recover_interrupted(source)
    hasher = _Hasher(path) if path.exists() else None
    if hasher:
        hasher.start()
    batch = None if dry_run else _start_batch(actor, source, path, name, max_rejects)
    workdir = (
        Path(tempfile.mkdtemp(prefix="csi-dry-run-"))
        if batch is None
        else store.temp_dir(source.pk, batch.pk)
    )
    try:
        _read_into(workdir, source, profile, path, result, progress)
        if hasher and result.status == "failed":
            hasher.cancel()
        elif hasher:
            hasher.join()
        if result.status == "failed":
            pass
        elif (previous := _duplicate_of(source, hasher.digest if hasher else "")) is not None:
            result.status, result.duplicate_of = "duplicate", previous
            result.message = f"The same content was imported as batch #{previous}; nothing changed."
        elif result.rejected > max_rejects:
            result.status = "rejected"
            result.message = f"{result.rejected} record(s) rejected, more than the {max_rejects} allowed; nothing was imported."
        elif result.events == 0:  # every record tolerated as a reject: nothing valid to store
            result.status = "rejected"
            result.message = (
                f"{result.rejected} record(s) rejected: no record passed the checks; nothing was stored."
            )
        elif dry_run:
            result.status = "dry-run"
            result.message = "Dry run: nothing was stored."
        else:
            result.status = "committed"
        if result.status in {"committed", "dry-run"} and source.kind in TICKET_KINDS:
            if batch is not None:  # compared and committed under the lock: no other run merges meanwhile
                held.enter_context(store.source_lock(source.pk))
            _merge(workdir, source, result, write=batch is not None)
        if result.advice:
            result.message = f"{result.message} {result.advice}".strip()
        if result.repeated and result.status in {"committed", "dry-run"}:
            note = f"{result.repeated} record(s) identical to an earlier record of the file were kept once."
            result.message = f"{result.message} {note}".strip()
    except Exception as exc:
        result.status, result.message = "failed", f"{type(exc).__name__}: {exc}"
        if hasher:
            hasher.cancel()
        _stored_counts(result)
        _finish(batch, result, started, hasher)
        _discard(workdir, source, batch, new_source)
        held.close()
        raise
    _stored_counts(result)
    with held:
        if batch is not None and result.status == "committed":
            store.publish(workdir, source.pk, batch.pk)
        else:
            _discard(workdir, source, batch, new_source)
            batch = None if new_source else batch
        _finish(batch, result, started, hasher, actor=actor, new_source=new_source)
    if new_source and source.pk is None:
        said = result.message.rstrip()
        said += "" if not said or said.endswith((".", ")")) else "."
        result.message = f"{said} Source '{source.key}' was not created.".strip()
    return result


def _merge(workdir: Path, source: DataSource, result: ImportResult, *, write: bool) -> None:
    """Compare the staged events with the source's visible events (see `csi.measures.merging`)."""
    refs = visible_batches(source.pk) if source.pk is not None else []
    if not refs:  # the source holds nothing yet: every event is new (counted already by the read)
        result.merge = merging.MergeCounts(new_events=result.events, gaining_tickets=result.tickets)
        return
    staged = workdir / DATA_FILE[source.kind]
    result.merge = merging.compare(staged, workdir, refs, result.mode, write=write)


def _stored_counts(result: ImportResult) -> None:
    """What passed the checks goes to `valid`; `events` and `tickets` say what was stored."""
    result.valid, result.valid_tickets = result.events, result.tickets
    if result.status != "committed":
        result.events = result.tickets = 0


def _discard(workdir: Path, source: DataSource, batch: ImportBatch | None, new_source: bool) -> None:
    """Remove what a run that stored nothing wrote: its work folder, the source's folder when that is
    empty now, and for a source created for this run, the run and the source."""
    shutil.rmtree(workdir, ignore_errors=True)
    if source.pk is None:
        return
    others = ImportBatch.objects.filter(source_id=source.pk, status=BatchStatus.RUNNING)
    if batch is not None:
        others = others.exclude(pk=batch.pk)
    if not others.exists():  # a run's row comes before its folder
        with contextlib.suppress(OSError):  # rmdir removes it only when empty: batches' folders stay
            store.source_dir(source.pk).rmdir()
    if new_source:
        with transaction.atomic():
            if batch is not None:
                ImportBatch.objects.filter(pk=batch.pk).delete()  # its rejects go with it
            if not ImportBatch.objects.filter(source=source).exists():  # no other run started meanwhile
                DataSource.objects.filter(pk=source.pk).delete()
                source.pk = None  # the caller's object is unsaved again


def storable(text: str) -> str:
    """Text from a file as the app database can hold it: a NUL (which PostgreSQL refuses) is written
    as the four characters \\x00, a lone surrogate (a file name's undecodable byte) as "?"."""
    return text.replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")


def _start_batch(actor: Actor, source: DataSource, path: Path, name: str, max_rejects: int) -> ImportBatch:
    host, pid = store.this_process()
    user = cast(Any, actor) if getattr(actor, "pk", None) else None
    return ImportBatch.objects.create(
        source=source,
        profile_key=source.profile.key,
        file_name=storable(name)[:255],
        file_size=path.stat().st_size if path.exists() else 0,
        file_sha256="",
        max_rejects=max_rejects,
        started_at=timezone.now(),
        created_by=user,
        actor_label=str(getattr(actor, "get_username", lambda: "")())[:150],
        host=host,
        pid=pid,
    )


def _duplicate_of(source: DataSource, digest: str) -> int | None:
    if not digest or source.pk is None:  # an unsaved source (a profile preview) has no batches
        return None
    committed = ImportBatch.objects.filter(source=source, status=BatchStatus.COMMITTED)
    previous = committed.filter(file_sha256=digest).order_by("-pk").values_list("pk", flat=True).first()
    # A replace batch committed after it may have hidden its events: the same file then changes something.
    if previous is None or committed.filter(mode=ImportMode.REPLACE, pk__gt=previous).exists():
        return None
    return previous


def _finish(
    batch: ImportBatch | None,
    result: ImportResult,
    started: float,
    hasher: _Hasher | None,
    actor: Actor = None,
    new_source: bool = False,
) -> None:
    result.duration_seconds = round(time.perf_counter() - started, 3)
    if batch is None:
        return
    if result.status == "duplicate":
        batch.delete()  # never committed: the earlier batch stands for this content
        result.batch_id = None
        return
    status = {
        "committed": BatchStatus.COMMITTED,
        "rejected": BatchStatus.REJECTED,
    }.get(result.status, BatchStatus.FAILED)
    with transaction.atomic():
        batch.status = status
        batch.file_sha256 = hasher.digest if hasher and hasher.digest else ""
        batch.rows_read, batch.events, batch.tickets = result.rows_read, result.events, result.tickets
        batch.rejected, batch.repeated = result.rejected, result.repeated
        batch.mode, counts = result.mode, result.merge
        batch.new_events, batch.seen_events = counts.new_events, counts.seen_events
        batch.gaining_tickets, batch.removed_events = counts.gaining_tickets, counts.removed_events
        batch.seen_in = counts.seen_in
        batch.message = storable(result.message)[:5000]
        batch.first_at, batch.last_at = result.first_at, result.last_at
        batch.finished_at = timezone.now()
        batch.duration_seconds = result.duration_seconds
        batch.save()
        ImportReject.objects.bulk_create(
            [
                ImportReject(
                    batch=batch,
                    line=r.line,
                    column=storable(r.column)[:300],
                    value=storable(r.value)[:500],
                    reason=storable(r.reason)[:500],
                )
                for r in result.rejects[:REPORT_LIMIT]
            ],
            batch_size=1000,
        )
        if status == BatchStatus.COMMITTED:
            if new_source:  # audited as created now that it holds data (see source_for_import)
                source = batch.source
                audit_record(actor=actor, verb="create", obj=source, after=snapshot(source), scope=source)
            audit_record(actor=actor, verb="import", obj=batch, after=snapshot(batch), scope=batch.source)
            data_changed(batch.source_id)
    result.batch_id = batch.pk


def _read_into(
    workdir: Path,
    source: DataSource,
    profile: ProfileDocument,
    path: Path,
    result: ImportResult,
    progress: bool,
) -> None:
    """Read the file into workdir/<data file> (see the module docstring); fills `result`'s counts,
    rejects and preview, or sets status failed with a message."""
    spec = profile.spec
    con = store.engine()
    try:
        time_zone = spec.timestamps.time_zone or source.time_zone
        con.execute(f"SET TimeZone = {sql_string(time_zone)}")
        if progress:
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = true")
        try:
            raw = open_raw(con, path, spec.format, workdir)
            select = mapped_select(spec, raw)
        except (ReadError, MissingColumns) as exc:
            result.message = f"{result.file_name}: {exc}" if isinstance(exc, MissingColumns) else str(exc)
            return
        staged = workdir / DATA_FILE[source.kind]
        if source.kind in TICKET_KINDS:
            select = merging.keyed_select(select)
        try:
            con.execute(f"COPY ({select}) TO {sql_string(str(staged))} (FORMAT parquet, COMPRESSION zstd)")
        except duckdb.Error as exc:
            result.message = f"{result.file_name}: {str(exc).splitlines()[0]}"
            return
        structural = collect_structural_rejects(con, raw, REPORT_LIMIT)
        result.advice = raw.advice
        _count(con, staged, source, spec, raw, result, structural)
        if result.rows_read == 0:
            result.message = f"{result.file_name}: no records (the file has a header and nothing else)"
            result.status = "failed"
            return
        repeats = repeated_records(con, staged, _columns(source)) if source.kind in ONCE_ONLY else 0
        if (result.rejected or repeats) and result.events:
            keep_good_records(
                con, staged, workdir, _columns(source), structural=structural, drop_repeats=bool(repeats)
            )
        result.repeated, result.events = repeats, result.events - repeats
        _preview(con, staged, source, result)
        result.status = "read"
    finally:
        con.close()


def _count(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    source: DataSource,
    spec: Any,
    raw: RawRead,
    result: ImportResult,
    structural: int,
) -> None:
    file = sql_string(str(staged))
    id_column = "ticket_id" if source.kind in TICKET_KINDS else None
    tickets = "count(DISTINCT ticket_id) FILTER (WHERE _reject IS NULL)" if id_column else "0"
    moment = TIME_COLUMN[source.kind]
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE _reject IS NOT NULL), {tickets}, "
        f"min({moment}) FILTER (WHERE _reject IS NULL), max({moment}) FILTER (WHERE _reject IS NULL) "
        f"FROM read_parquet({file})"
    ).fetchone() or (0, 0, 0, None, None)
    total, bad, ticket_count = (int(v or 0) for v in row[:3])
    result.first_at, result.last_at = (v.replace(tzinfo=UTC) if v else None for v in row[3:])
    result.rows_read = total + structural
    result.rejected = bad + structural
    result.events = total - bad
    result.tickets = ticket_count
    rejects = list(raw.structural)
    for position, line, text in con.execute(
        f"SELECT file_row_number, line, _reject FROM read_parquet({file}, file_row_number = true) "
        f"WHERE _reject IS NOT NULL ORDER BY file_row_number LIMIT {REPORT_LIMIT}"
    ).fetchall():
        for field_name, value in parse_reject(text):
            fm = spec.field_map(field_name)
            rejects.append(
                Reject(
                    line=int(line) if line is not None else raw.line_of(int(position) + 1),
                    column=fm.column if fm else field_name,
                    value=value[:500],
                    reason=reason_for(field_name, spec, value),
                )
            )
    rejects.sort(key=lambda r: (r.line or 0, r.column))
    result.rejects = rejects[:REPORT_LIMIT]


def _preview(con: duckdb.DuckDBPyConnection, staged: Path, source: DataSource, result: ImportResult) -> None:
    columns = [
        store.LINE_SQL + " AS line" if name == "line" else quote_ident(name)
        for name in _columns(source)
        if name != EVENT_KEY
    ]
    cursor = con.execute(
        f"SELECT {', '.join(columns)} FROM read_parquet({sql_string(str(staged))}, file_row_number = true) "
        f"WHERE _reject IS NULL LIMIT {PREVIEW_ROWS}"
    )
    result.preview_columns = [d[0] for d in cursor.description or []]
    result.preview = [[_plain(v) for v in row] for row in cursor.fetchall()]


def _columns(source: DataSource) -> list[str]:
    return list(store.COLUMNS[DATA_FILE[source.kind]])


def _plain(value: Any) -> Any:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else value
