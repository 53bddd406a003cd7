"""Hostile zip archives for the import tests: encrypted, an unknown compression method, a bomb, a
header that lies about the size. Built with the standard library, byte-patched where zipfile would not
write such a thing."""

from __future__ import annotations

import io
import struct
import zipfile

CSV_HEADER = "ticket_id,event_at,state,priority,category\n"
ROW = "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"


def plain_zip(content: bytes, name: str = "export.csv", method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def _patch(data: bytes, *, flag: int = 0, method: int | None = None, size: int | None = None) -> bytes:
    """Set a flag bit, the method or the uncompressed size in both the local and the central header
    of the archive's one member."""
    out = bytearray(data)
    local, central = out.find(LOCAL), out.find(CENTRAL)
    for start, flag_at, method_at, size_at in ((local, 6, 8, 22), (central, 8, 10, 24)):
        out[start + flag_at] |= flag
        if method is not None:
            struct.pack_into("<H", out, start + method_at, method)
        if size is not None:
            struct.pack_into("<I", out, start + size_at, size)
    return bytes(out)


def encrypted_zip() -> bytes:
    """A member marked encrypted (traditional PKWARE encryption, flag bit 0)."""
    return _patch(plain_zip((CSV_HEADER + ROW).encode()), flag=0x1)


def unknown_method_zip(method: int = 99) -> bytes:
    """A member compressed with a method Python cannot read (99 is AES, 98 PPMd)."""
    return _patch(plain_zip((CSV_HEADER + ROW).encode()), method=method)


def bomb_zip(expanded_bytes: int) -> bytes:
    """One CSV member of identical rows expanding to about `expanded_bytes` (a ratio near 1,000)."""
    rows = ROW * (expanded_bytes // len(ROW))
    return plain_zip((CSV_HEADER + rows).encode())


def lying_zip(expanded_bytes: int, declared_bytes: int) -> bytes:
    """A bomb whose headers declare `declared_bytes` only."""
    return _patch(bomb_zip(expanded_bytes), size=declared_bytes)
