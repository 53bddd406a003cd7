"""What encoding a file's bytes look like, so that a file not in its profile's encoding is refused with a
message that says which encoding it seems to be in, where the first byte that does not fit is, and
what to write in the profile (`format.encoding`).

Only the standard library's codecs, with rules that can be checked by hand:

- a byte order mark names the encoding (UTF-32 before UTF-16: FF FE 00 00 starts with FF FE);
- NUL bytes at every other position of text without a mark are UTF-16 (little-endian when they
  follow the characters, big-endian when they precede them);
- bytes that decode as UTF-8 are UTF-8;
- otherwise bytes 0x80-0x9F that Windows-1252 defines (curly quotes, the euro sign...) say cp1252, and
  anything else 0x80-0xFF is Latin-1 (ISO-8859-1, which is cp1252 for 0xA0-0xFF).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from csi.measures.archives import ReadError

SAMPLE_BYTES = 1 << 16
BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 little-endian", "utf-32"),
    (codecs.BOM_UTF32_BE, "UTF-32 big-endian", "utf-32"),
    (codecs.BOM_UTF8, "UTF-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "UTF-16 little-endian", "utf-16"),
    (codecs.BOM_UTF16_BE, "UTF-16 big-endian", "utf-16"),
)
CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


class EncodingMismatch(ReadError):
    """The file is not in the profile's encoding (the message says what it looks like and where)."""


@dataclass(frozen=True)
class Guess:
    label: str  # for people: "UTF-16 little-endian"
    encoding: str  # for the profile's format.encoding: "utf-16"

    def advice(self) -> str:
        return f"it looks like {self.label}: set format.encoding: {self.encoding} in the profile"


def canonical(encoding: str) -> str:
    """Python's name of an encoding ("UTF8" and "utf_8" are "utf-8"); the name itself if unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def bom_of(head: bytes) -> Guess | None:
    for mark, label, encoding in BOMS:
        if head.startswith(mark):
            return Guess(label, encoding)
    return None


def _utf16_without_bom(sample: bytes) -> Guess | None:
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    if odd_nuls > pairs * 0.4 and even_nuls < pairs * 0.1:
        return Guess("UTF-16 little-endian without a byte order mark", "utf-16-le")
    if even_nuls > pairs * 0.4 and odd_nuls < pairs * 0.1:
        return Guess("UTF-16 big-endian without a byte order mark", "utf-16-be")
    return None


def _is_utf8(sample: bytes, complete: bool = True) -> bool:
    """Whether the bytes decode as UTF-8 (a sequence cut off at the end is allowed unless `complete`)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def guess(sample: bytes, complete: bool = True) -> Guess:
    """The encoding `sample` looks like (module docstring): a whole line or file, or, when not
    `complete`, the start of one (a character cut off at its end is not held against UTF-8)."""
    found = bom_of(sample) or _utf16_without_bom(sample)
    if found:
        return found
    if _is_utf8(sample, complete):
        return Guess("UTF-8", "utf-8")
    high = {b for b in sample if b >= 0x80}
    if any(0x80 <= b <= 0x9F for b in high) and not high & CP1252_UNDEFINED:
        return Guess("Windows-1252 (Western European)", "cp1252")
    return Guess("Latin-1 (ISO-8859-1)", "latin-1")


def line_advice(line: bytes) -> str:
    """What to set in the profile for a line read from a file (cut off unless it ends with a newline)."""
    return guess(line, complete=line.endswith(b"\n")).advice()


def first_bad_byte(data: bytes, encoding: str) -> tuple[int, int] | None:
    """(offset, byte) of the first byte of `data` that `encoding` cannot decode, or None."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=True)
    except UnicodeDecodeError as exc:
        return exc.start, data[exc.start]
    return None


def check_file(path: Path, encoding: str, name: str) -> None:
    """Refuse (EncodingMismatch) a file whose start shows another encoding than the profile's: a byte
    order mark of another encoding, UTF-16 text without one, or, for a single-byte profile encoding
    (Latin-1, cp1252...), UTF-8 multi-byte text, which that encoding would read as other letters.
    Bad bytes further on are found while the file is read (per record, with their line)."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    wanted = canonical(encoding)
    mark = bom_of(sample)
    if mark is not None:
        if wanted.startswith(mark.encoding) or (mark.encoding == "utf-8" and wanted == "utf-8-sig"):
            return  # utf-16, utf-16-le... for a UTF-16 mark; utf-8 or utf-8-sig for a UTF-8 one
        raise EncodingMismatch(
            f"{name}, line 1: the file starts with the byte order mark of {mark.label}, not {encoding} "
            f"as the profile says; set format.encoding: {mark.encoding} in the profile (or save the file as "
            "UTF-8)"
        )
    wide = _utf16_without_bom(sample)
    if wide is not None and not wanted.startswith("utf-16"):
        raise EncodingMismatch(
            f"{name}, line 1: every other byte is NUL, which {encoding} text never holds; {wide.advice()}"
        )
    if wanted not in {"utf-8", "utf-8-sig"} and _single_byte(wanted) and _multi_byte_utf8(sample):
        line, offset = _line_of_first_high_byte(sample)
        raise EncodingMismatch(
            f"{name}, line {line}: byte 0x{sample[offset]:02X} starts a UTF-8 character "
            f"('{_utf8_char_at(sample, offset)}'), which {encoding} would read as other letters; "
            "it looks like UTF-8: set format.encoding: utf-8 in the profile"
        )


def _single_byte(encoding: str) -> bool:
    try:
        return len(codecs.encode("\u00e9", encoding)) == 1
    except (UnicodeEncodeError, LookupError):
        return False


def _multi_byte_utf8(sample: bytes) -> bool:
    return any(b >= 0x80 for b in sample) and _is_utf8(sample, complete=len(sample) < SAMPLE_BYTES)


def _line_of_first_high_byte(sample: bytes) -> tuple[int, int]:
    offset = next(i for i, b in enumerate(sample) if b >= 0x80)
    return sample.count(b"\n", 0, offset) + 1, offset


def _utf8_char_at(sample: bytes, offset: int) -> str:
    return codecs.getincrementaldecoder("utf-8")().decode(sample[offset : offset + 4], final=False)[:1]
