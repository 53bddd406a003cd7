"""Import runs: formats, rejects, all-or-nothing, duplicates, superseding, interrupted runs."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import Workbook

from csi.core.models import AuditEvent
from csi.measures import selectors, services, store
from csi.measures.choices import BatchStatus
from csi.measures.importer import import_file
from csi.measures.models import ImportBatch, ImportReject
from csi.measures.tests.conftest import CLI, SERVICENOW_ZIP, kill_an_import, needs_servicenow

pytestmark = pytest.mark.django_db

HEADER = "ticket_id,event_at,state,priority,category\n"
GOOD = (
    HEADER
    + "T1,2024-01-01T10:00:00Z,New,P1,Email\nT1,2024-01-01T11:30:00+01:00,Resolved,P1,Email\nT2,2024-01-02 09:00,New,P3,Network\n"
)


def stored(source: Any) -> list[tuple[Any, ...]]:
    """Every stored event of the source's committed batches, as the analytics see them."""
    batches = selectors.committed_batches(actor=CLI, source=source)
    con = store.ibis_connection()
    table = store.ticket_events(con, batches)
    return sorted(
        (r["ticket_id"], r["event_at"], r["state"], r["batch_id"]) for r in table.to_pyarrow().to_pylist()
    )


def batch_folders(source: Any) -> list[str]:
    folder = store.source_dir(source.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_csv_is_committed_with_counts_utc_times_and_an_audit_event(make_source, import_bytes):
    source = make_source(time_zone="Europe/Brussels")
    result = import_bytes(source, GOOD.encode())
    assert (result.status, result.rows_read, result.events, result.tickets, result.rejected) == (
        "committed",
        3,
        3,
        2,
        0,
    )
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == BatchStatus.COMMITTED and len(batch.file_sha256) == 64
    assert (batch.first_at, batch.last_at) == (
        datetime(2024, 1, 1, 10, tzinfo=UTC),
        datetime(2024, 1, 2, 8, tzinfo=UTC),
    )
    assert batch_folders(source) == [f"batch={batch.pk}"]
    assert stored(source) == [
        ("T1", datetime(2024, 1, 1, 10, 0), "New", batch.pk),
        # +01:00 is honoured; a naive time is in the source's time zone (Brussels, UTC+1 in winter)
        ("T1", datetime(2024, 1, 1, 10, 30), "Resolved", batch.pk),
        ("T2", datetime(2024, 1, 2, 8, 0), "New", batch.pk),
    ]
    assert AuditEvent.objects.filter(verb="import", object_id=str(batch.pk)).count() == 1


@needs_servicenow
def test_the_servicenow_log_imports_as_it_is_and_again_is_a_duplicate(make_source):
    source = make_source(key="servicenow", profile="servicenow-incident-event-log")
    result = import_file(actor=CLI, source=source, path=SERVICENOW_ZIP)
    assert (result.status, result.rows_read, result.events, result.tickets, result.rejected) == (
        "committed",
        141_712,
        141_712,
        24_918,
        0,
    )
    path = store.batch_dir(source.pk, result.batch_id) / "events.parquet"
    first = duckdb.sql(
        f"SELECT ticket_id, event_at, version, state, opened_at, priority, sla_flag, {store.LINE_SQL} AS line "
        f"FROM read_parquet('{path}', file_row_number = true) ORDER BY line LIMIT 1"
    ).fetchall()[0]
    # the file's first record: INC0000045,New,...,sys_mod_count 0,...,opened 29/2/2016 01:16, updated 01:23
    assert first == (
        "INC0000045",
        datetime(2016, 2, 29, 1, 23),
        0,
        "New",
        datetime(2016, 2, 29, 1, 16),
        "3 - Moderate",
        True,
        2,
    )
    again = import_file(actor=CLI, source=source, path=SERVICENOW_ZIP)
    assert (again.status, again.duplicate_of, again.batch_id) == ("duplicate", result.batch_id, None)
    assert ImportBatch.objects.filter(source=source).count() == 1


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "header only": (HEADER.encode(), "no records"),
    "missing columns": (b"ticket,when\nT1,2024-01-01\n", "missing column(s) ticket_id, event_at, state"),
    "not a zip inside": (b"PK\x03\x04broken", None),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_an_unreadable_file_fails_with_a_clear_message_and_stores_nothing(case, make_source, import_bytes):
    source = make_source()
    content, expected = BAD_FILES[case]
    result = import_bytes(source, content)
    assert result.status == "failed"
    if expected:
        assert expected in result.message
    assert result.message.startswith("export.csv")
    assert stored(source) == [] and batch_folders(source) == []
    assert ImportBatch.objects.get(pk=result.batch_id).status == BatchStatus.FAILED


BAD_RECORDS = {
    "unparseable date": (GOOD + "T3,31/02/2024,New,P1,Email\n", 5, "event_at", "31/02/2024", "not a date"),
    "missing id": (
        GOOD + ",2024-01-03T10:00:00Z,New,P1,Email\n",
        5,
        "ticket_id",
        "",
        "ticket_id is empty; a value is required",
    ),
    "truncated": (GOOD + 'T3,2024-01-03T10:00:00Z,"New', 5, "", 'T3,2024-01-03T10:00:00Z,"New', "quote"),
    "too few fields": (
        GOOD + "T3,2024-01-03T10:00:00Z\n",
        5,
        "",
        "T3,2024-01-03T10:00:00Z",
        "too few fields",
    ),
    "wrong encoding": (GOOD + "T3,2024-01-03T10:00:00Z,New,P1,Caf\xe9\n", 5, "", "", "not valid UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_records_are_reported_and_nothing_is_committed_beyond_max_rejects(
    case, make_source, import_bytes
):
    source = make_source()
    text, line, column, value, reason = BAD_RECORDS[case]
    content = text.encode("latin-1") if case == "wrong encoding" else text.encode()
    result = import_bytes(source, content)
    assert result.status == "rejected" and result.rejected == 1
    assert "nothing was imported" in result.message
    (reject,) = result.rejects
    assert reject.line == line and reason in reject.reason
    if column:
        assert (reject.column, reject.value) == (column, value)
    if value and not column:
        assert reject.value.startswith(value)
    assert stored(source) == [] and batch_folders(source) == []
    rows = ImportReject.objects.filter(batch_id=result.batch_id)
    assert [(r.line, r.reason) for r in rows] == [(line, reject.reason)]
    # allowed: the good records are committed, the bad one left out
    allowed = import_bytes(source, content, max_rejects=1)
    assert (allowed.status, allowed.events, allowed.rejected) == ("committed", 3, 1)
    assert [r[0] for r in stored(source)] == ["T1", "T1", "T2"]


def lines(source: Any) -> list[tuple[str, str, int]]:
    """(ticket, state, line) of every stored event, in the order of the file."""
    batches = selectors.committed_batches(actor=CLI, source=source)
    rows = store.ticket_events(store.ibis_connection(), batches).to_pyarrow().to_pylist()
    return sorted(((r["ticket_id"], r["state"], r["line"]) for r in rows), key=lambda r: r[2])


def test_each_stored_event_keeps_the_line_it_had_in_the_file(make_source, import_bytes):
    services.profile_save(actor=CLI, text=_profile_yaml("skipping", {"type": "csv", "skipRows": 2}))
    plain = make_source(key="plain")
    assert import_bytes(plain, GOOD.encode()).status == "committed"
    assert lines(plain) == [("T1", "New", 2), ("T1", "Resolved", 3), ("T2", "New", 4)]
    skipping = make_source(key="skipping", profile="skipping")
    assert import_bytes(skipping, b"Export of 2024-01-05\n\n" + GOOD.encode()).status == "committed"
    assert [line for *_, line in lines(skipping)] == [4, 5, 6]
    # Refused records (a short line, a bad date, a broken encoding) leave gaps: the others keep their lines.
    messy = (
        HEADER
        + "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
        + "T9,2024-01-01T10:00:00Z\n"
        + "T9,2024-01-01T10:00:00Z\n"
        + "T1,2024-01-01T11:00:00Z,Active,P1,Email\n"
        + "T8,31/02/2024,New,P1,Email\n"
        + "T7,2024-01-01T10:00:00Z,New,P1,Caf\xe9\n"
        + "T1,2024-01-01T12:00:00Z,Resolved,P1,Email\n"
        + "T2,2024-01-02T09:00:00Z,New,P3,Network\n"
    )
    tolerant = make_source(key="tolerant")
    result = import_bytes(tolerant, messy.encode("latin-1"), max_rejects=4)
    assert (result.status, result.events, result.rejected) == ("committed", 4, 4)
    assert [r.line for r in result.rejects] == [3, 4, 6, 7]
    assert lines(tolerant) == [("T1", "New", 2), ("T1", "Active", 5), ("T1", "Resolved", 8), ("T2", "New", 9)]
    assert [row[2] for row in result.preview] == [2, 5, 8, 9]
    # XLSX skips blank rows; the others keep their sheet rows.
    services.profile_save(actor=CLI, text=_profile_yaml("sheet", {"type": "xlsx"}))
    book = Workbook()
    sheet = book.active
    for row in (
        ["ticket_id", "event_at", "state"],
        ["T1", "2024-01-01T10:00:00Z", "New"],
        [None, None, None],
        ["T1", "2024-01-01T11:00:00Z", "Resolved"],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = make_source(key="workbook", profile="sheet")
    assert import_bytes(workbook, buffer.getvalue(), name="export.xlsx").status == "committed"
    assert lines(workbook) == [("T1", "New", 2), ("T1", "Resolved", 4)]


def test_a_dry_run_previews_mapped_rows_and_stores_nothing(make_source, import_bytes):
    source = make_source()
    result = import_bytes(source, GOOD.encode(), dry_run=True)
    assert result.status == "dry-run" and result.batch_id is None
    assert result.preview_columns[:4] == ["ticket_id", "event_at", "line", "version"]
    assert [row[0] for row in result.preview] == ["T1", "T1", "T2"]
    assert result.preview[0][1] == "2024-01-01 10:00:00"
    assert ImportBatch.objects.count() == 0 and stored(source) == []


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["ticket_id", "event_at", "state", "priority"])
    sheet.append(["T1", datetime(2024, 1, 1, 10, 0), "New", 1])
    sheet.append(["T2", "2024-01-02T09:00:00Z", "Active", None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


RECORDS = [
    {"ticket_id": "T1", "event_at": "2024-01-01T10:00:00Z", "state": "New", "priority": 1},
    {"ticket_id": "T2", "event_at": "2024-01-02T09:00:00Z", "state": "Active", "extra": {"nested": True}},
]
FORMATS: dict[str, tuple[str, bytes, dict[str, Any]]] = {
    "xlsx": ("export.xlsx", _xlsx(), {"type": "xlsx"}),
    "json array": ("export.json", json.dumps(RECORDS).encode(), {"type": "json"}),
    "ndjson": ("export.ndjson", "\n".join(json.dumps(r) for r in RECORDS).encode(), {"type": "ndjson"}),
    "zip of csv": (
        "export.zip",
        _zip(
            "data/export.csv",
            b"ticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,New\nT2,2024-01-02T09:00:00Z,Active\n",
        ),
        {},
    ),
    "utf-8 with BOM": (
        "bom.csv",
        b"\xef\xbb\xbfticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,New\nT2,2024-01-02T09:00:00Z,Active\n",
        {},
    ),
    "utf-16": (
        "u16.csv",
        "ticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,New\nT2,2024-01-02T09:00:00Z,Active\n".encode(
            "utf-16"
        ),
        {"encoding": "utf-16"},
    ),
    "semicolons in cp1252": (
        "semi.csv",
        "ticket_id;event_at;state\nT1;2024-01-01T10:00:00Z;New\nT2;2024-01-02T09:00:00Z;Active\n".encode(
            "cp1252"
        ),
        {"delimiter": ";", "encoding": "cp1252"},
    ),
}


def _profile_yaml(key: str, fmt: dict[str, Any], extra: str = "") -> str:
    lines = "\n".join(f"    {k}: {json.dumps(v)}" for k, v in fmt.items()) or "    type: csv"
    return f"""apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {{name: {key}}}
spec:
  name: Test {key}
  sourceKind: ticket_events
  format:
{lines}
  fields: {{ticket_id: ticket_id, event_at: event_at, state: state, priority: {{column: priority, optional: true}}}}
{extra}"""


@pytest.mark.parametrize("case", sorted(FORMATS))
def test_every_file_format_reads_into_the_same_events(case, make_source, import_bytes):
    name, content, fmt = FORMATS[case]
    services.profile_save(actor=CLI, text=_profile_yaml("custom", fmt))
    source = make_source(profile="custom")
    result = import_bytes(source, content, name=name)
    assert result.status == "committed", result.message
    assert [(r[0], r[1], r[2]) for r in stored(source)] == [
        ("T1", datetime(2024, 1, 1, 10, 0), "New"),
        ("T2", datetime(2024, 1, 2, 9, 0), "Active"),
    ]


def test_duplicate_header_names_are_read_by_position(make_source, import_bytes):
    services.profile_save(
        actor=CLI,
        text=_profile_yaml("dupes", {}).replace("state: state,", "state: state (2),"),
    )
    source = make_source(profile="dupes")
    result = import_bytes(source, b"ticket_id,event_at,state,state\nT1,2024-01-01T10:00:00Z,first,second\n")
    assert result.status == "committed", result.message
    assert stored(source)[0][2] == "second"


def test_hostile_values_are_stored_verbatim(make_source, import_bytes):
    source = make_source()
    hostile = "<script>alert(1)</script>'; DROP TABLE x; --"
    text = HEADER + f'T1,2024-01-01T10:00:00Z,New,"{hostile}","a ""quoted""\nmultiline"\n'
    result = import_bytes(source, text.encode())
    assert result.status == "committed", result.message
    con = store.ibis_connection()
    row = (
        store.ticket_events(con, selectors.committed_batches(actor=CLI, source=source))
        .to_pyarrow()
        .to_pylist()[0]
    )
    assert row["priority"] == hostile and row["category"] == 'a "quoted"\nmultiline'


def test_a_later_export_adds_to_the_history_and_deleting_it_restores_the_state_before(
    make_source, import_bytes
):
    source = make_source()
    first = import_bytes(source, GOOD.encode(), name="monday.csv")
    before = stored(source)
    later = HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\nT1,2024-01-03T10:00:00Z,Closed,P1,Email\n"
    second = import_bytes(source, later.encode(), name="tuesday.csv")
    assert second.status == "committed"
    assert (second.merge.new_events, second.merge.seen_events, second.merge.gaining_tickets) == (1, 1, 1)
    assert [(r[0], r[2], r[3]) for r in stored(source)] == [
        ("T1", "New", first.batch_id),
        ("T1", "Resolved", first.batch_id),
        ("T1", "Closed", second.batch_id),
        ("T2", "New", first.batch_id),
    ]
    services.batch_delete(actor=CLI, batch=ImportBatch.objects.get(pk=second.batch_id))
    assert ImportBatch.objects.get(pk=second.batch_id).status == BatchStatus.DELETED
    assert stored(source) == before
    assert AuditEvent.objects.filter(verb="delete", object_id=str(second.batch_id)).exists()


def test_an_interrupted_run_is_never_read_and_the_next_import_cleans_up(make_source, import_bytes):
    source = make_source()
    dead = ImportBatch.objects.create(
        source=source,
        profile_key="csi-event-log",
        file_name="big.csv",
        file_sha256="",
        started_at=datetime.now().astimezone(),
        host=store.this_process()[0],
        pid=2**22 + 12345,
    )
    leftover = store.temp_dir(source.pk, dead.pk)
    (leftover / "events.parquet").write_bytes(b"half written")
    assert stored(source) == []
    result = import_bytes(source, GOOD.encode())
    assert result.status == "committed"
    dead.refresh_from_db()
    assert dead.status == BatchStatus.INTERRUPTED and "Interrupted" in dead.message
    assert not leftover.exists() and batch_folders(source) == [f"batch={result.batch_id}"]


def test_a_run_killed_mid_import_leaves_nothing_visible(cli, tmp_path: Path):
    """The real thing: SIGKILL the `csi measures import` process while it writes."""
    cli(
        "measures",
        "import",
        str(GOOD_FILE(tmp_path)),
        "--source",
        "desk",
        "--profile",
        "csi-event-log",
        check=True,
    )
    root = kill_an_import(cli, tmp_path, "--source", "desk")
    listing = cli("measures", "runs", "--json", check=True)
    runs = json.loads(listing.stdout)
    assert [r["status"] for r in runs] == ["running", "committed"]
    again = cli("measures", "import", str(tmp_path / "other.csv"), "--source", "desk", check=True)
    assert "committed" in again.stdout
    runs = json.loads(cli("measures", "runs", "--json", check=True).stdout)
    assert [r["status"] for r in runs] == ["committed", "interrupted", "committed"]
    assert not list(root.glob("source=*/.tmp-batch=*"))


def GOOD_FILE(folder: Path) -> Path:
    path = folder / "good.csv"
    path.write_text(GOOD)
    (folder / "other.csv").write_text(HEADER + "T9,2024-02-01T10:00:00Z,New,P2,Email\n")
    return path


def test_import_needs_the_import_permission(make_source, make_user):
    from django.core.exceptions import PermissionDenied

    source = make_source()
    viewer = make_user(roles=["viewer"])
    with pytest.raises(PermissionDenied):
        import_file(actor=viewer, source=source, path=Path(__file__))
    assert ImportBatch.objects.count() == 0


def test_a_committed_import_queues_a_rollup_refresh_for_the_worker(
    make_source, import_bytes, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    source = make_source()
    with django_capture_on_commit_callbacks(execute=True):
        import_bytes(source, GOOD.encode())
    queued = DBTaskResult.objects.filter(task_path="csi.analytics.tasks.refresh_rollups")
    assert queued.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        import_bytes(source, b"ticket_id,when\n")  # failed: nothing changed, nothing queued
    assert queued.count() == 1


def test_several_changes_in_one_transaction_notify_once_per_source(django_capture_on_commit_callbacks):
    from csi.measures.services import data_changed

    with django_capture_on_commit_callbacks() as callbacks:
        data_changed(1)
        data_changed(1)
        data_changed(2)
    assert len(callbacks) == 2


def test_a_run_whose_every_record_is_a_tolerated_reject_stores_nothing(make_source, import_bytes):
    source = make_source()
    import_bytes(source, GOOD.encode(), name="first.csv")
    before = stored(source)
    bad = (HEADER + "T9,31/31/2016 99:99,New,P1,Email\n").encode()
    result = import_bytes(source, bad, max_rejects=5)
    assert (result.status, result.events, result.valid, result.rejected) == ("rejected", 0, 0, 1)
    assert "no record passed the checks; nothing was stored" in result.message
    assert stored(source) == before  # no NULL event_at published
    assert ImportBatch.objects.filter(source=source, status=BatchStatus.COMMITTED).count() == 1
    fresh = make_source(key="fresh")
    assert import_bytes(fresh, bad, max_rejects=5).status == "rejected"
    assert stored(fresh) == [] and batch_folders(fresh) == []


def test_a_ticket_id_of_only_spaces_is_rejected(make_source, import_bytes):
    source = make_source()
    content = (GOOD + "   ,2024-01-03T10:00:00Z,New,P1,Email\n").encode()
    result = import_bytes(source, content)
    assert (result.status, result.rejected) == ("rejected", 1)
    (reject,) = result.rejects
    assert (reject.line, reject.column) == (5, "ticket_id") and "holds only spaces" in reject.reason
    allowed = import_bytes(source, content, max_rejects=1)
    assert (allowed.status, allowed.events) == ("committed", 3)
    assert [r[0] for r in stored(source)] == ["T1", "T1", "T2"]
