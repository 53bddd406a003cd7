"""Imports refuse what the API refuses and bound the work a file can cause (issue 11, section 2)."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from typing import Any

import pytest

from csi.measures import readers, selectors, services, store
from csi.measures.archives import CHUNK_BYTES
from csi.measures.choices import BatchStatus
from csi.measures.models import ImportBatch, ImportReject
from csi.measures.tests.conftest import CLI
from csi.measures.tests.zips import (
    CSV_HEADER,
    ROW,
    bomb_zip,
    encrypted_zip,
    lying_zip,
    plain_zip,
    unknown_method_zip,
)

pytestmark = pytest.mark.django_db
FULL = "ticket_id,event_at,state,opened_at,reassignment_count,reopen_count,version\n"


def events(source: Any) -> list[tuple[str, datetime, str, int]]:
    batches = selectors.committed_batches(actor=CLI, source=source)
    rows = store.ticket_events(store.ibis_connection(), batches).to_pyarrow().to_pylist()
    return sorted((r["ticket_id"], r["event_at"], r["state"], r["line"]) for r in rows)


def nothing_stored(source: Any) -> bool:
    folder = store.source_dir(source.pk)
    leftovers = list(folder.iterdir()) if folder.exists() else []
    return (
        not leftovers and not ImportBatch.objects.filter(source=source, status=BatchStatus.COMMITTED).exists()
    )


# --- values the API refuses ---------------------------------------------------------------------------

BAD_VALUES = {
    "year -0001": (
        "T1,-0001-01-01T00:00:00Z,New,,,,",
        "event_at",
        "-0001-01-01T00:00:00Z",
        "between 1900-01-01",
    ),
    "year 1899": ("T1,1899-12-31T23:59:59Z,New,,,,", "event_at", "1899-12-31T23:59:59Z", "2199-12-31"),
    "year 2200": ("T1,2200-01-01T00:00:00Z,New,,,,", "event_at", "2200-01-01T00:00:00Z", "between 1900"),
    "year 9999 opened": (
        "T1,2024-01-01T00:00:00Z,New,9999-12-31T00:00:00Z,,,",
        "opened_at",
        "9999-12-31T00:00:00Z",
        "between 1900",
    ),
    "negative reassignments": (
        "T1,2024-01-01T00:00:00Z,New,,-1,,",
        "reassignment_count",
        "-1",
        "zero or more",
    ),
    "negative reopens": ("T1,2024-01-01T00:00:00Z,New,,,-3,", "reopen_count", "-3", "zero or more"),
    "negative version": ("T1,2024-01-01T00:00:00Z,New,,,,-2", "version", "-2", "zero or more"),
    "NUL in text": ("T1,2024-01-01T00:00:00Z,Ne\x00w,,,,", "state", "Ne\x00w", "NUL character"),
    # the characters that separate a record's problems inside the reader (a KeyError found by fuzzing)
    "separators in a value": ("T1,20\x1f\x0024\x1e,New,,,,", "event_at", "20\x1f\x0024\x1e", "between 1900"),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_values_the_api_refuses_are_rejects_with_their_place(case, make_source, import_bytes):
    source = make_source()
    row, column, value, reason = BAD_VALUES[case]
    content = (FULL + "T0,2024-01-01T00:00:00Z,New,,0,0,0\n" + row + "\n").encode()
    result = import_bytes(source, content)
    assert result.status == "rejected", result.message
    (reject,) = result.rejects
    assert (reject.line, reject.column, reject.value) == (3, column, value)
    assert reason in reject.reason
    assert nothing_stored(source)
    # the report is stored, also on PostgreSQL, which cannot hold a NUL
    (stored,) = ImportReject.objects.filter(batch_id=result.batch_id)
    assert stored.value == value.replace("\x00", "\\x00") and reason in stored.reason
    tolerated = import_bytes(source, content, max_rejects=1)
    assert (tolerated.status, tolerated.events) == ("committed", 1)


def test_the_edges_of_the_year_window_are_accepted(make_source, import_bytes):
    source = make_source()
    content = FULL + "T1,1900-01-01T00:00:00Z,New,,0,0,0\nT2,2199-12-31T23:59:59Z,New,,,,\n"
    result = import_bytes(source, content.encode())
    assert result.status == "committed", result.message
    assert [row[1] for row in events(source)] == [datetime(1900, 1, 1), datetime(2199, 12, 31, 23, 59, 59)]


def test_negative_sample_counts_are_refused_but_negative_values_are_measurements(make_source, import_bytes):
    source = make_source(key="temps", profile="csi-metric-samples")
    content = (
        b"metric,sampled_at,value,good,total\nt,2024-01-01T00:00:00Z,-5,,\nup,2024-01-01T00:00:00Z,,-1,10\n"
    )
    result = import_bytes(source, content)
    assert [(r.line, r.column, r.value) for r in result.rejects] == [(3, "good", "-1")]


# --- identical records --------------------------------------------------------------------------------


def test_identical_events_in_one_file_are_kept_once_and_counted(make_source, import_bytes):
    source = make_source()
    content = CSV_HEADER + ROW * 3 + "T2,2024-01-02T10:00:00Z,New,P1,Email\n" + ROW
    dry = import_bytes(source, content.encode(), dry_run=True)
    assert (dry.status, dry.rows_read, dry.events, dry.valid, dry.repeated) == ("dry-run", 5, 0, 2, 3)
    assert "3 record(s) identical" in dry.message
    result = import_bytes(source, content.encode())
    assert (result.status, result.rows_read, result.events, result.tickets, result.repeated) == (
        "committed",
        5,
        2,
        2,
        3,
    )
    assert [(r[0], r[3]) for r in events(source)] == [("T1", 2), ("T2", 5)]  # the first keeps its line
    assert ImportBatch.objects.get(pk=result.batch_id).repeated == 3


def test_events_differing_in_one_field_are_all_kept(make_source, import_bytes):
    source = make_source()
    content = CSV_HEADER + ROW + ROW.replace("Email", "Phone") + ROW.replace("10:00:00", "10:00:01")
    result = import_bytes(source, content.encode())
    assert (result.events, result.repeated) == (3, 0)


def test_repeats_and_rejects_together_keep_each_line(make_source, import_bytes):
    source = make_source()
    content = CSV_HEADER + ROW + "T9,never,New,P1,Email\n" + "T8,too few\n" + ROW + "T2,2024-01-02,New,P1,E\n"
    result = import_bytes(source, content.encode(), max_rejects=2)
    assert (result.status, result.events, result.rejected, result.repeated) == ("committed", 2, 2, 1)
    assert [(r[0], r[3]) for r in events(source)] == [("T1", 2), ("T2", 6)]


# --- archives -----------------------------------------------------------------------------------------


def damaged_zip() -> bytes:
    data = bytearray(plain_zip((CSV_HEADER + ROW * 50).encode()))
    start = 30 + len("export.csv")  # the compressed data follows the local header and the name
    data[start : start + 20] = b"\xff" * 20
    return bytes(data)


BAD_ARCHIVES = {
    "encrypted": (encrypted_zip(), "export.csv is encrypted"),
    "unknown method": (unknown_method_zip(), "compressed with method 99, which cannot be read"),
    "damaged deflate": (damaged_zip(), "the zip cannot be read"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_unreadable_archives_fail_with_a_message_and_store_nothing(case, make_source, import_bytes):
    source = make_source()
    content, expected = BAD_ARCHIVES[case]
    result = import_bytes(source, content, name="export.zip")
    assert result.status == "failed" and result.message.startswith("export.zip: ")
    assert expected in result.message and "\n" not in result.message
    assert ImportBatch.objects.get(pk=result.batch_id).status == BatchStatus.FAILED
    assert nothing_stored(source)


@pytest.fixture
def bytes_unzipped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every byte any zip member gives while the test runs."""
    counted: list[int] = []
    original = zipfile.ZipExtFile.read

    def read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = original(self, n)
        counted.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    return counted


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_is_expanded(make_source, import_bytes, bytes_unzipped):
    source = make_source()
    content = bomb_zip(64 * 1024 * 1024)
    assert len(content) < 200_000  # a ratio over 300, as the 7 MB zip that expanded to 2 GiB
    result = import_bytes(source, content, name="bomb.zip")
    assert result.status == "failed" and "CSI_MAX_ZIP_RATIO" in result.message
    assert "refused as a zip bomb" in result.message
    assert sum(bytes_unzipped) == 0 and nothing_stored(source)


def test_the_expanded_size_has_a_setting(make_source, import_bytes, settings, bytes_unzipped):
    source = make_source()
    settings.CSI_MAX_UNZIPPED_BYTES = 100_000
    result = import_bytes(source, plain_zip((CSV_HEADER + ROW * 4000).encode()), name="big.zip")
    assert result.status == "failed" and "more than 100,000 bytes" in result.message
    assert "CSI_MAX_UNZIPPED_BYTES" in result.message and nothing_stored(source)
    assert sum(bytes_unzipped) == 0
    settings.CSI_MAX_UNZIPPED_BYTES = 1_000_000
    assert import_bytes(source, plain_zip((CSV_HEADER + ROW * 4000).encode()), name="big.zip").ok


def test_a_header_that_lies_about_the_size_expands_no_further_than_it_says(
    make_source, import_bytes, bytes_unzipped
):
    source = make_source()
    result = import_bytes(source, lying_zip(64 * 1024 * 1024, declared_bytes=1000), name="liar.zip")
    assert result.status == "failed" and "the zip cannot be read" in result.message
    assert sum(bytes_unzipped) <= 1000 + CHUNK_BYTES and nothing_stored(source)


def test_an_xlsx_workbook_is_bounded_like_any_archive(make_source, import_bytes, settings):
    services.profile_save(
        actor=CLI,
        text="""apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {name: sheet}
spec:
  name: Sheet
  sourceKind: ticket_events
  format: {type: xlsx}
  fields: {ticket_id: ticket_id, event_at: event_at, state: state}
""",
    )
    source = make_source(profile="sheet")
    settings.CSI_MAX_UNZIPPED_BYTES = 1000
    result = import_bytes(source, bomb_zip(50_000), name="book.xlsx")
    assert result.status == "failed" and "more than 1,000 bytes" in result.message
    settings.CSI_MAX_UNZIPPED_BYTES = 10**9
    workbook = import_bytes(source, encrypted_zip(), name="book.xlsx")
    assert workbook.status == "failed" and "encrypted" in workbook.message


# --- CSV and JSON shapes ------------------------------------------------------------------------------


def test_a_header_line_past_the_bound_is_refused_where_it_is(make_source, import_bytes, monkeypatch):
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 10_000)
    source = make_source()
    result = import_bytes(source, b"ticket_id" + b"x" * 50_000 + b"\n" + ROW.encode())
    assert result.status == "failed"
    assert result.message == (
        "export.csv, line 1: longer than 10,000 bytes, the most a line may hold "
        "(is the file CSV with the profile's delimiter and line endings?)"
    )


def test_a_data_line_past_the_bound_is_a_reject(make_source, import_bytes, monkeypatch):
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 10_000)
    source = make_source()
    result = import_bytes(
        source, (CSV_HEADER + ROW + "T2,2024-01-01T10:00:00Z,New,P1," + "y" * 20_000 + "\n" + ROW).encode()
    )
    assert result.status == "rejected"
    assert [(r.line, r.reason.split(":")[0]) for r in result.rejects] == [
        (3, "line longer than 10,000 bytes")
    ]


def test_too_many_columns_are_refused_before_the_records_are_read(make_source, import_bytes):
    source = make_source()
    header = ",".join(f"c{i}" for i in range(readers.MAX_COLUMNS + 1))
    result = import_bytes(source, (header + "\n" + "x," * 5 + "\n").encode())
    assert result.message == "export.csv: the header has 2,001 columns; at most 2,000 are read"
    records = [{f"k{i}": i for i in range(readers.MAX_COLUMNS + 1)}]
    services.profile_save(
        actor=CLI,
        text="""apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {name: lines}
spec:
  name: Lines
  sourceKind: ticket_events
  format: {type: ndjson}
  fields: {ticket_id: ticket_id, event_at: event_at, state: state}
""",
    )
    wide = import_bytes(
        make_source(key="wide", profile="lines"), json.dumps(records[0]).encode(), name="w.ndjson"
    )
    assert wide.message == "w.ndjson: the records have 2,001 keys; at most 2,000 are read"


def test_extraction_stops_at_the_first_chunk_past_the_bound(tmp_path, settings, monkeypatch, bytes_unzipped):
    """The second line of defence, for an archive whose declared sizes were not to be trusted: with the
    check on declared sizes passed over, the bytes produced are counted and extraction stops one chunk
    past the bound, and what was written stays within the bound (the run's folder is removed after)."""
    from csi.measures import archives
    from csi.measures.profiles import FileFormat

    checks: list[int] = []
    original = archives._Budget.check

    def counted(self: Any, expanded: int, compressed: int, member: str) -> None:
        checks.append(expanded)
        if len(checks) > 1:  # the first call judges the declared size
            original(self, expanded, compressed, member)

    monkeypatch.setattr(archives._Budget, "check", counted)
    settings.CSI_MAX_UNZIPPED_BYTES = 3 * CHUNK_BYTES
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb_zip(40 * CHUNK_BYTES))
    workdir = tmp_path / "work"
    workdir.mkdir()
    with pytest.raises(archives.ReadError, match="expands to more than 3,145,728 bytes"):
        archives.extract_member(path, FileFormat(type="csv"), workdir)
    assert sum(bytes_unzipped) <= 4 * CHUNK_BYTES and len(checks) == 5
    assert all(f.stat().st_size <= 3 * CHUNK_BYTES for f in workdir.iterdir())
