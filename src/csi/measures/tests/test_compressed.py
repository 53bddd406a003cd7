"""Compressed input (issue 12): gzip, bzip2 and xz files import like the file they hold, whatever their
name; what they expand to is bounded by the zip settings while it is read; zstd is refused saying what
to do. DuckDB never decompresses a file itself (it would without bounds)."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from csi.measures import archives
from csi.measures.models import DataSource, ImportBatch, ImportReject
from csi.measures.profiles import FileFormat
from csi.measures.readers import open_raw
from csi.measures.store import engine

pytestmark = pytest.mark.django_db

HEADER = "ticket_id,event_at,state,priority,category\n"
ROWS = "".join(
    f"T{i % 50},2024-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z,New,P{1 + i % 4},Email\n" for i in range(600)
)
COMPRESSORS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}


def state() -> tuple[Any, ...]:
    root = Path(settings.DATA_DIR) / "measures"
    files = (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".spill" not in p.parts)
        if root.exists()
        else []
    )
    return DataSource.objects.count(), ImportBatch.objects.count(), ImportReject.objects.count(), files


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("name", ["export.csv.gz", "export.csv"])
def test_a_compressed_export_imports_like_the_file_it_holds(kind, name, make_source, import_bytes):
    source = make_source()
    result = import_bytes(source, COMPRESSORS[kind]((HEADER + ROWS).encode()), name=name)
    assert (result.status, result.rows_read, result.events, result.rejected) == ("committed", 600, 600, 0)
    expected_tickets = len({line.split(",")[0] for line in ROWS.splitlines()})
    assert result.tickets == expected_tickets == 50


def test_a_plain_file_named_gz_is_read_as_it_is(make_source, import_bytes):
    """The name does not decide: DuckDB would try to gunzip an "x.csv.gz" and fail."""
    result = import_bytes(make_source(), (HEADER + ROWS).encode(), name="export.csv.gz")
    assert (result.status, result.events) == ("committed", 600)


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_the_expanded_size_is_bounded_while_reading(kind, make_source, import_bytes, monkeypatch):
    monkeypatch.setattr(settings, "CSI_MAX_UNZIPPED_BYTES", 100_000)
    source = make_source()
    content = COMPRESSORS[kind]((HEADER + ROWS * 10).encode())  # about 270 kB expanded
    before = state()
    dry = import_bytes(source, content, name="big.csv.gz", dry_run=True)
    assert dry.status == "failed" and state() == before
    result = import_bytes(source, content, name="big.csv.gz")
    assert result.status == "failed"
    assert result.message.startswith(
        f"big.csv.gz: the {kind}-compressed content expands to more than 100,000 bytes"
    )
    assert "CSI_MAX_UNZIPPED_BYTES" in result.message
    assert state()[3] == before[3] and ImportBatch.objects.get().status == "failed"
    monkeypatch.setattr(settings, "CSI_MAX_UNZIPPED_BYTES", 1_000_000)
    assert import_bytes(source, content, name="big.csv.gz").status == "committed"


def test_a_gzip_bomb_stops_at_the_ratio_one_chunk_past_the_floor(monkeypatch, tmp_path):
    expanded: list[int] = []
    original = archives._Budget.check

    def counted(self: Any, size: int, compressed: int, member: str) -> None:
        expanded.append(size)
        original(self, size, compressed, member)

    monkeypatch.setattr(archives._Budget, "check", counted)
    monkeypatch.setattr(archives, "RATIO_FLOOR_BYTES", 2 * archives.CHUNK_BYTES)
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:  # 256 MiB of one row: a ratio near 1,000
        out.write(HEADER.encode())
        block = ("T1,2024-01-01T10:00:00Z,New,P1,Email\n" * 30_000).encode()
        for _ in range(256 * 1024 * 1024 // len(block)):
            out.write(block)
    assert path.stat().st_size < 1_000_000
    workdir = tmp_path / "work"
    workdir.mkdir()
    with pytest.raises(
        archives.ReadError, match=r"bomb.csv.gz: .* expands more than 100 times .*CSI_MAX_ZIP_RATIO"
    ):
        open_raw(engine(), path, FileFormat(type="csv"), workdir)
    assert max(expanded) <= 3 * archives.CHUNK_BYTES and list(workdir.iterdir()) == []


def test_zstd_is_refused_saying_what_to_do(make_source, import_bytes):
    source = make_source()
    before = state()
    zstd_frame = bytes.fromhex("28b52ffd") + b"\x00" * 16
    result = import_bytes(source, zstd_frame, name="export.csv.zst", dry_run=True)
    assert result.status == "failed" and state() == before
    assert result.message == (
        "export.csv.zst: zstd-compressed, which this server does not unpack; decompress it (zstd -d) and "
        "import the file, or compress it with gzip or zip"
    )


def test_a_damaged_gzip_file_fails_with_a_clear_message(make_source, import_bytes):
    content = gzip.compress((HEADER + ROWS).encode())
    result = import_bytes(make_source(), content[: len(content) // 2], name="cut.csv.gz")
    assert result.status == "failed"
    assert result.message.startswith("cut.csv.gz: the gzip-compressed file cannot be read")
