"""Archives and compressed files as imports meet them: a zip holding one data file, XLSX workbooks (zips
themselves), and a data file compressed with gzip, bzip2 or xz (known by its first bytes, whatever its
name). DuckDB is never left to decompress a file itself (it would do so without bounds): the importer
unpacks it here, within the same bounds as a zip. zstd, which Python cannot unpack, is refused saying
what to do.

Guarantees, so that an archive never makes unbounded work:

- an encrypted member, a compression method Python cannot read, or damaged compressed data is a
  `ReadError` naming the archive and the member, never another exception;
- what a zip expands to is bounded by `settings.CSI_MAX_UNZIPPED_BYTES` (in total) and by
  `settings.CSI_MAX_ZIP_RATIO` (expanded size over compressed size, counted once the output passes
  `RATIO_FLOOR_BYTES`, so small files of any ratio pass). Both are checked on the sizes the archive
  declares before anything is read, and again on the bytes actually produced WHILE extracting: the
  extraction stops at the first chunk past a bound, so a lying header or a 2 GiB bomb costs at most one
  chunk more than the bound. A gzip, bzip2 or xz stream declares nothing trustworthy: it is bounded while
  it is unpacked, its ratio counted against the compressed bytes read so far.

The defaults (2 GiB, 100 times) let a real export of up to 2 GB through, compressed in any of these
forms (real event logs compress 5 to 20 times); a bomb stops at 16 MiB plus one chunk of output.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import lzma
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from csi.measures.profiles import FileFormat

CHUNK_BYTES = 1 << 20
RATIO_FLOOR_BYTES = 16 * 1024 * 1024  # below this much output, any compression ratio is accepted
READABLE_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
# What zipfile and its decompressors raise for a damaged archive (bz2 raises OSError).
DAMAGED = (zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)
# A compressed stream's first bytes: (magic, name for messages, opener over a binary file object).
STREAMS: tuple[tuple[bytes, str, Callable[[IO[bytes]], Any]], ...] = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")),
    (b"BZh", "bzip2", lambda raw: bz2.BZ2File(raw, mode="rb")),
    (b"\xfd7zXZ\x00", "xz", lambda raw: lzma.LZMAFile(raw, mode="rb")),  # noqa: SIM115 - closed by decompress
)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ReadError(Exception):
    """The file cannot be read at all; nothing is imported."""


class _Budget:
    """The bounds of one archive: total expanded bytes and the ratio to the compressed bytes."""

    def __init__(self, archive_name: str) -> None:
        self.archive_name = archive_name
        self.limit = int(settings.CSI_MAX_UNZIPPED_BYTES)
        self.ratio = float(settings.CSI_MAX_ZIP_RATIO)

    def check(self, expanded: int, compressed: int, member: str) -> None:
        if expanded > self.limit:
            raise ReadError(
                f"{self.archive_name}: {member} expands to more than {self.limit:,} bytes, the most this "
                "server unpacks (CSI_MAX_UNZIPPED_BYTES); import the file itself or split it"
            )
        if expanded > RATIO_FLOOR_BYTES and expanded > self.ratio * max(compressed, 1):
            raise ReadError(
                f"{self.archive_name}: {member} expands more than {self.ratio:g} times its compressed size "
                "(CSI_MAX_ZIP_RATIO), which real exports never do; refused as a zip bomb"
            )


def _check_member(archive_name: str, info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise ReadError(
            f"{archive_name}: {info.filename} is encrypted; unzip it with its password and import the file itself"
        )
    if info.compress_type not in READABLE_METHODS:
        raise ReadError(
            f"{archive_name}: {info.filename} is compressed with method {info.compress_type}, which cannot be "
            f"read (readable: {', '.join(READABLE_METHODS.values())}); unzip it and import the file itself"
        )


def check_archive(path: Path, display_name: str | None = None) -> None:
    """Refuse a zip (an XLSX workbook too) whose members are encrypted, use an unreadable method, or
    declare more expanded bytes than the bounds allow; the sizes its central directory declares bound
    what Python's zipfile will ever produce from it."""
    name = display_name or path.name
    budget = _Budget(name)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except DAMAGED as exc:
        raise ReadError(f"{name}: the zip cannot be read ({exc})") from exc
    for info in infos:
        _check_member(name, info)
    expanded = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos)
    budget.check(expanded, compressed, "the archive")


def extract_member(path: Path, fmt: FileFormat, workdir: Path) -> Path:
    """The one data file of a zip (the one matching `fmt.member` when given), written to `workdir`
    within the bounds of the module docstring; ReadError otherwise."""
    budget = _Budget(path.name)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
            if fmt.member:
                members = [m for m in members if fnmatch.fnmatch(Path(m.filename).name, fmt.member)]
            if len(members) != 1:
                names = ", ".join(m.filename for m in members[:10]) or "none"
                wanted = f" matching '{fmt.member}'" if fmt.member else ""
                raise ReadError(
                    f"{path.name}: a zip must hold exactly one data file{wanted}; found {len(members)} ({names})"
                )
            member = members[0]
            _check_member(path.name, member)
            budget.check(member.file_size, member.compress_size, member.filename)
            target = workdir / ("member" + Path(member.filename).suffix.lower()[:16])
            written = 0
            with archive.open(member) as source, target.open("wb") as out:
                while chunk := source.read(CHUNK_BYTES):
                    written += len(chunk)
                    budget.check(written, member.compress_size, member.filename)
                    out.write(chunk)
            return target
    except ReadError:
        raise
    except DAMAGED as exc:
        raise ReadError(f"{path.name}: the zip cannot be read ({exc})") from exc
    except (RuntimeError, NotImplementedError) as exc:  # what zipfile raises for what it cannot decode
        raise ReadError(f"{path.name}: the zip cannot be read ({exc})") from exc


def compression_of(path: Path) -> str | None:
    """ "gzip", "bzip2", "xz" or "zstd" when the file starts as such a stream does, else None."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    for magic, label, _ in STREAMS:
        if head.startswith(magic) and (label != "bzip2" or head[3:4].isdigit()):
            return label
    return None


def decompress(path: Path, workdir: Path, display_name: str | None = None) -> Path | None:
    """The content of a gzip, bzip2 or xz file written to `workdir` within the bounds of the module
    docstring (checked on every chunk), or None when the file is not compressed. ReadError for zstd, a
    damaged stream, or a bound passed (the partial output is removed)."""
    name = display_name or path.name
    kind = compression_of(path)
    if kind is None:
        return None
    if kind == "zstd":
        raise ReadError(
            f"{name}: zstd-compressed, which this server does not unpack; decompress it (zstd -d) and import "
            "the file, or compress it with gzip or zip"
        )
    opener = next(open_ for _, label, open_ in STREAMS if label == kind)
    budget = _Budget(name)
    target = workdir / "decompressed"
    written = 0
    try:
        with path.open("rb") as raw, opener(raw) as stream, target.open("wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                written += len(chunk)
                budget.check(written, raw.tell(), f"the {kind}-compressed content")
                out.write(chunk)
    except ReadError:
        target.unlink(missing_ok=True)
        raise
    except DAMAGED as exc:
        target.unlink(missing_ok=True)
        raise ReadError(f"{name}: the {kind}-compressed file cannot be read ({exc})") from exc
    return target
