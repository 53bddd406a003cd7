"""Fuzzing the importers: generated CSV, JSON, NDJSON, XLSX and zip files (random bytes, encodings, line
endings, sizes, hostile values). The property: an import either succeeds or is refused with the product's
own answer (a failed or rejected run with a one-line message), never an unexpected exception; and a
refused import leaves the measurement store and the measured data exactly as they were."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csi.core.models import AuditEvent
from csi.measures import services, store
from csi.measures.choices import BatchStatus
from csi.measures.importer import import_file
from csi.measures.models import DataSource, ImportBatch, MappingProfile
from csi.measures.tests.conftest import CLI

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no example database written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COLUMNS = ["ticket_id", "event_at", "state", "opened_at", "reassignment_count", "made_sla", "priority"]

# Values that are near the edges of what the profile accepts, and plain garbage.
edge_values = st.sampled_from(
    [
        "",
        "T1",
        "2024-01-01T10:00:00Z",
        "-0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1899-12-31",
        "2024-02-30",
        "0",
        "-1",
        "1e309",
        "NaN",
        "true",
        "maybe",
        "\x00",
        '"',
        "''",
        "\ufeff",
        "\u202e",
        "=HYPERLINK(1)",
        "9" * 40,
    ]
)
cell = st.one_of(edge_values, st.text(max_size=30))
instants = st.one_of(
    st.sampled_from(
        [
            "2024-01-01T10:00:00Z",
            "2024-03-31 02:30",
            "-0001-01-01T00:00:00Z",
            "0001-01-01",
            "1899-12-31T23:59:59Z",
            "2199-12-31T23:59:59Z",
            "2200-01-01",
            "9999-12-31T23:59:59Z",
            "2024-02-30",
            "",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    cell,
)
counts = st.one_of(
    st.sampled_from(["0", "3", "-1", "1.5", "1e309", "9" * 40, ""]), st.integers().map(str), cell
)
texts = st.one_of(st.sampled_from(["T1", "T2", "New", "Closed", "", "\x00", "a\x00b"]), cell)
# Mostly records whose every value is of its column's kind (so values reach the mapping's checks),
# sometimes any values of any width.
ids = st.one_of(st.sampled_from(["T1", "T2", "T3"]), texts)
typed_row = st.tuples(
    ids, instants, texts, instants, counts, st.sampled_from(["true", "false", "maybe", ""]), texts
).map(list)
row = st.one_of(typed_row, typed_row, typed_row, st.lists(cell, min_size=0, max_size=len(COLUMNS) + 2))


def _csv_text(header: list[str], rows: list[list[str]], ending: str, quote_all: bool) -> str:
    def field(value: str) -> str:
        if quote_all or any(c in value for c in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return ending.join(",".join(field(v) for v in line) for line in [header, *rows]) + ending


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = COLUMNS if draw(st.integers(0, 4)) else draw(st.lists(cell, max_size=8))
    text = _csv_text(
        header,
        draw(st.lists(row, min_size=1, max_size=12)),
        draw(st.sampled_from(["\n", "\r\n", "\r"])),
        draw(st.booleans()),
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 3)) == 0:  # damage: cut it, or splice random bytes in
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=40)) + data[at + draw(st.integers(0, 20)) :]
    return data


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), cell)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cell, inner, max_size=3),
    max_leaves=8,
)
record = st.dictionaries(st.one_of(st.sampled_from(COLUMNS), cell), json_value, max_size=8)


@st.composite
def json_files(draw: st.DrawFn, ndjson: bool) -> bytes:
    items = draw(st.lists(st.one_of(record, json_value), max_size=8))
    text = "\n".join(json.dumps(i) for i in items) if ndjson else json.dumps(items)
    data = text.encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=20))
    return data


@st.composite
def xlsx_files(draw: st.DrawFn) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    xlsx_cell = st.one_of(
        edge_values.filter(lambda v: "\x00" not in v), st.integers(), st.floats(allow_nan=False), st.none()
    )
    header = draw(st.one_of(st.just(COLUMNS), st.lists(xlsx_cell, max_size=6)))
    for values in [header, *draw(st.lists(st.lists(xlsx_cell, max_size=8), max_size=8))]:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if draw(st.booleans()):  # a damaged workbook: bytes flipped somewhere in the archive
        # drawn apart from the length: a saved workbook's size varies with its timestamps
        at = draw(st.integers(0, 10**6)) % len(data)
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at + 16 :]
    return data


@st.composite
def zip_files(draw: st.DrawFn) -> bytes:
    buffer = io.BytesIO()
    method = draw(
        st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
    )
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name in draw(
            st.lists(
                st.sampled_from(["export.csv", "a/b.csv", "__MACOSX/x", "other.txt", "dir/"]),
                min_size=0,
                max_size=3,
                unique=True,
            )
        ):
            archive.writestr(
                name, draw(csv_files()) if name.endswith(".csv") else draw(st.binary(max_size=50))
            )
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # flags, methods, sizes: any header byte may be wrong
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _profile(kind: str) -> str:
    return f"""apiVersion: csi-workbench/v1
kind: MappingProfile
metadata: {{name: fuzz-{kind}}}
spec:
  name: Fuzz {kind}
  sourceKind: ticket_events
  format: {{type: {kind}}}
  fields:
    ticket_id: ticket_id
    event_at: event_at
    state: state
    opened_at: {{column: opened_at, optional: true}}
    reassignment_count: {{column: reassignment_count, optional: true}}
    sla_flag: {{column: made_sla, optional: true}}
    priority: {{column: priority, optional: true}}
"""


def source_for(kind: str) -> DataSource:
    """The test's source for a kind of file, made at its first example (examples share the test's
    database transaction, so later ones find it)."""
    existing = DataSource.objects.filter(key=f"fuzz-{kind}").first()
    if existing is not None:
        return existing
    profile = "csi-event-log"
    if kind in {"json", "ndjson", "xlsx"}:
        profile = services.profile_save(actor=CLI, text=_profile(kind))[0].key
    return services.source_create(
        actor=CLI, key=f"fuzz-{kind}", name=kind, profile=MappingProfile.objects.get(key=profile)
    )


def state_of(source: Any) -> tuple[Any, ...]:
    """What a refused import must not change: the committed batches, the store's folders, the audit."""
    folder = store.source_dir(source.pk)
    return (
        sorted(
            ImportBatch.objects.filter(source=source, status=BatchStatus.COMMITTED).values_list(
                "pk", "events"
            )
        ),
        sorted(p.name for p in folder.iterdir()) if folder.exists() else [],
        AuditEvent.objects.count(),
    )


def check_import(source: Any, content: bytes, name: str, tmp_path: Path, max_rejects: int) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = state_of(source)
    result = import_file(actor=CLI, source=source, path=path, max_rejects=max_rejects)
    assert result.status in {"committed", "duplicate", "rejected", "failed"}
    if result.ok:
        return
    assert result.message and "\n" not in result.message, result.message
    assert not result.message.startswith(("TypeError", "ValueError", "RuntimeError", "KeyError")), (
        result.message
    )
    assert state_of(source) == before
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == (BatchStatus.REJECTED if result.status == "rejected" else BatchStatus.FAILED)


def _fuzz(kind: str, files: st.SearchStrategy[bytes], name: str) -> Any:
    @FUZZ
    @given(content=files, max_rejects=st.integers(0, 3))
    def run(tmp_path: Path, content: bytes, max_rejects: int) -> None:
        check_import(source_for(kind), content, name, tmp_path, max_rejects)

    return run


test_fuzz_csv = _fuzz("csv", csv_files(), "export.csv")
test_fuzz_json = _fuzz("json", json_files(ndjson=False), "export.json")
test_fuzz_ndjson = _fuzz("ndjson", json_files(ndjson=True), "export.ndjson")
test_fuzz_xlsx = _fuzz("xlsx", xlsx_files(), "export.xlsx")
test_fuzz_zip = _fuzz("zip", zip_files(), "export.zip")
test_fuzz_random_bytes = _fuzz("bytes", st.binary(min_size=1, max_size=3000), "export.csv")
