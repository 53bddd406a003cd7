"""Reading an export file, whatever its format, into a DuckDB view of text columns.

`open_raw` turns CSV (any delimiter, quote and encoding, UTF-8 with or without BOM), XLSX, a JSON array
or NDJSON (any encoding too), a zip holding one of these, or one of these compressed with gzip, bzip2
or xz, into a view named `raw`: one VARCHAR column per source column
(duplicate header names kept apart as "Name (2)"), in the file's order (DuckDB keeps it through a COPY,
so a record's position in the written file gives its line; XLSX, which skips blank rows, adds the
row's line as `__line`). CSV records that cannot be read (too few or too many fields,
an unterminated quote, invalid UTF-8, longer than MAX_LINE_BYTES) are not in the view; they come back
as `structural` rejects with their line. Anything that makes the whole file unreadable raises
`ReadError` with a message that says what and where, and nothing else escapes for a file's content.

Bounds on the work a file can cause: a CSV header line longer than MAX_LINE_BYTES or with more than
MAX_COLUMNS names is refused as soon as it is read (the rest of the file is not); JSON records with more
than MAX_COLUMNS keys and XLSX headers wider than that are refused; archives (a zip holding the file, an
XLSX workbook, a gzip/bzip2/xz file) are bounded in expanded size and ratio while they are read
(`csi.measures.archives`). A file whose bytes are not in the profile's encoding is refused saying which
encoding it looks like and where (`csi.measures.encodings`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from csi.measures import encodings
from csi.measures.archives import ReadError, check_archive, decompress, extract_member
from csi.measures.profiles import FileFormat

MAX_COLUMNS = 2000
MAX_LINE_BYTES = 8_000_000  # a CSV line (a record, or the header) longer than this is refused where it is
XLSX_MAX_ROWS = 1_048_576
XLSX_LINE = (
    "__csi_line__"  # the sheet row of each record (blank rows are skipped, so position does not give it)
)


@dataclass(frozen=True)
class Reject:
    line: int | None
    column: str
    value: str
    reason: str


@dataclass
class RawRead:
    columns: list[str]
    header_lines: int  # lines before the first record (header and skipped rows)
    structural: list[Reject] = field(default_factory=list)
    kind: str = "csv"
    line_column: str | None = None  # a raw column holding each record's line, where position does not give it
    path: Path | None = None  # the file DuckDB reads (a CSV's structural rejects look back into it)
    advice: str = ""  # what to change, when records were not in the profile's encoding

    def line_of(self, record: int) -> int:
        """The file line of a record: records count from 1 after the header; each structural reject
        before it took one line (a record spread over several lines by a quoted newline counts once)."""
        if self.kind != "csv":
            return record + self.header_lines
        line = record + self.header_lines
        for rejected in sorted(r.line for r in self.structural if r.line is not None):
            if rejected <= line:
                line += 1
        return line


def sql_string(value: str) -> str:
    """A DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A DuckDB identifier (any header text is safe inside it)."""
    return '"' + name.replace('"', '""') + '"'


def unique_names(names: list[str]) -> list[str]:
    """Header names made unique by position ("Labels", "Labels (2)"); blank names become "column N"."""
    seen: dict[str, int] = {}
    result = []
    for index, raw in enumerate(names, start=1):
        name = (raw or "").strip() or f"column {index}"
        count = seen.get(name, 0) + 1
        seen[name] = count
        result.append(name if count == 1 else f"{name} ({count})")
    return result


def open_raw(con: duckdb.DuckDBPyConnection, path: Path, fmt: FileFormat, workdir: Path) -> RawRead:
    """Create the view `raw` over the file (see the module docstring)."""
    if not path.exists():
        raise ReadError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name}: the file is empty")
    name = path.name  # messages name the file as the user gave it, also for what a zip holds
    if fmt.type != "xlsx" and zipfile.is_zipfile(path):
        path = extract_member(path, fmt, workdir)
        if path.stat().st_size == 0:
            raise ReadError(f"{name}: the file in the zip is empty")
    if fmt.type != "xlsx" and (unpacked := decompress(path, workdir, name)) is not None:
        path = unpacked
        if path.stat().st_size == 0:
            raise ReadError(f"{name}: the compressed file holds nothing")
    if fmt.type == "csv":
        encodings.check_file(path, fmt.encoding, name)
        return _open_csv(con, path, fmt, workdir, name)
    if fmt.type == "xlsx":
        return _open_xlsx(con, path, fmt, name)
    encodings.check_file(path, fmt.encoding, name)
    if fmt.encoding not in {"utf-8", "utf-8-sig"}:  # JSON should be UTF-8 (RFC 8259); exports are not always
        path = _utf8_copy(path, fmt.encoding, workdir, name)
    return _open_json(con, path, fmt, name)


def _utf8_copy(path: Path, encoding: str, workdir: Path, name: str) -> Path:
    """A UTF-8 copy of a file in another encoding (streamed); ReadError with the line of the first
    byte sequence that is not valid in that encoding."""
    target = workdir / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line, first = 1, True
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(1 << 20):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                partial = chunk[: exc.start].decode(encoding, errors="replace")
                start, end = chunk.rfind(b"\n", 0, exc.start) + 1, chunk.find(b"\n", exc.start)
                found = encodings.guess(chunk[start : end if end >= 0 else len(chunk)], complete=end >= 0)
                raise ReadError(
                    f"{name}, line {line + partial.count(chr(10))}: byte 0x{chunk[exc.start]:02X} is not valid "
                    f"{encoding} ({exc.reason}); {found.advice()}"
                ) from exc
            line += text.count("\n")
            out.write(text.lstrip("\ufeff") if first else text)
            first = False
        out.write(decoder.decode(b"", final=True))
    return target


def _bounded_lines(handle: Any, name: str, first_line: int) -> Iterator[str]:
    """The lines of a text file, each refused (ReadError) as soon as it is longer than MAX_LINE_BYTES
    characters: a line is never read further than that."""
    line_number = first_line
    while line := handle.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES:
            raise ReadError(
                f"{name}, line {line_number}: longer than {MAX_LINE_BYTES:,} bytes, the most a line may hold "
                "(is the file CSV with the profile's delimiter and line endings?)"
            )
        yield line
        line_number += 1


def _header(path: Path, fmt: FileFormat, name: str) -> list[str]:
    """The header row, read from the file's start in its own encoding: at most MAX_LINE_BYTES per line
    and MAX_COLUMNS names, refused as soon as either is passed."""
    encoding = "utf-8-sig" if fmt.encoding in {"utf-8", "utf-8-sig"} else fmt.encoding
    if encoding == "utf-8-sig":
        _header_in_utf8(path, fmt.skip_rows + 1, name)
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        lines = _bounded_lines(handle, name, 1)
        for _ in range(fmt.skip_rows):
            next(lines, None)
        reader = csv.reader(lines, delimiter=fmt.delimiter, quotechar=fmt.quote or None)
        try:
            header = next(reader)
        except StopIteration:
            return []
        except csv.Error as exc:
            raise ReadError(f"{name}, line {fmt.skip_rows + 1}: the header cannot be read ({exc})") from exc
    if len(header) > MAX_COLUMNS:
        raise ReadError(f"{name}: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
    return header


def _header_in_utf8(path: Path, lines: int, name: str) -> None:
    """Refuse a header (the first `lines` lines) that is not UTF-8, saying the line, the byte and the
    encoding it looks like: its names would not match the profile's (a record is a reject instead)."""
    with path.open("rb") as handle:
        for number in range(1, lines + 1):
            line = handle.readline(MAX_LINE_BYTES + 1)
            bad = encodings.first_bad_byte(line, "utf-8")
            if bad is not None:
                raise encodings.EncodingMismatch(
                    f"{name}, line {number}: byte 0x{bad[1]:02X} of the header is not valid UTF-8; "
                    f"{encodings.line_advice(line)}"
                )


def _open_csv(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: FileFormat, workdir: Path, name: str
) -> RawRead:
    if fmt.header:
        header = _header(path, fmt, name)
        if not any(column.strip() for column in header):
            raise ReadError(f"{name}: the first line is empty; expected a header row")
        names = unique_names(header)
    else:
        names = unique_names(fmt.columns)
    if fmt.encoding not in {"utf-8", "utf-8-sig"}:
        path = _utf8_copy(path, fmt.encoding, workdir, name)
    header_lines = fmt.skip_rows + (1 if fmt.header else 0)
    columns = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in names)
    source = (
        f"read_csv({sql_string(str(path))}, header = {str(fmt.header).lower()}, skip = {fmt.skip_rows}, "
        f"columns = {{{columns}}}, auto_detect = false, delim = {sql_string(fmt.delimiter)}, "
        f"quote = {sql_string(fmt.quote)}, escape = {sql_string(fmt.escape or fmt.quote)}, "
        f"store_rejects = true, max_line_size = {MAX_LINE_BYTES}, compression = 'none')"
    )
    try:
        con.execute(f"CREATE OR REPLACE VIEW raw_source AS SELECT * FROM {source}")
    except duckdb.Error as exc:
        raise ReadError(f"{name}: {_first_line(exc)}") from exc
    con.execute("CREATE OR REPLACE VIEW raw AS SELECT * FROM raw_source")
    return RawRead(columns=names, header_lines=header_lines, kind="csv", path=path)


def collect_structural_rejects(con: duckdb.DuckDBPyConnection, read: RawRead, limit: int) -> int:
    """After the view has been scanned: move DuckDB's CSV reject table into `read.structural`
    (at most `limit` kept) and return how many there were."""
    if read.kind != "csv":
        return 0
    try:
        total = con.execute("SELECT count(DISTINCT line) FROM reject_errors").fetchone()
    except duckdb.Error:
        return 0
    count = int(total[0]) if total else 0
    rows = con.execute(
        "SELECT line, any_value(column_name ORDER BY column_idx), any_value(csv_line), "
        "any_value(error_type ORDER BY column_idx), any_value(error_message ORDER BY column_idx), "
        "min(line_byte_position) FROM reject_errors GROUP BY line ORDER BY line LIMIT ?",
        [max(limit, 0)],
    ).fetchall()
    looked = 0
    for line, column, csv_line, error_type, message, position in rows:
        reason = _structural_reason(str(error_type), str(message))
        if error_type in ENCODING_ERRORS and read.path is not None and looked < ENCODING_LOOKS:
            looked += 1
            reason = _encoding_reason(read.path, position, reason)
            if not read.advice and "; " in reason:
                read.advice = (
                    f"The first record that is not valid UTF-8 is on line {line}: {reason.split('; ', 1)[1]}."
                )
        read.structural.append(
            Reject(
                line=int(line) if line is not None else None,
                column=str(column or ""),
                value=str(csv_line or "").rstrip("\r\n")[:500],
                reason=reason,
            )
        )
    return count


ENCODING_ERRORS = {"INVALID UNICODE", "INVALID ENCODING"}
ENCODING_LOOKS = 100  # records not valid UTF-8 whose bytes are looked at (each costs one small read)


def _encoding_reason(path: Path, position: int | None, reason: str) -> str:
    """The reason of a record that is not valid UTF-8, with its first bad byte and the encoding its
    line looks like (the line is read again from the file, at most MAX_LINE_BYTES of it)."""
    if position is None:
        return reason
    with path.open("rb") as handle:
        handle.seek(max(int(position) - 1, 0))  # DuckDB's position may be one past the line's start
        data = handle.read(min(MAX_LINE_BYTES, 1 << 16))
    if data.startswith(b"\n"):
        data = data[1:]
    data, newline, _ = data.partition(b"\n")
    bad = encodings.first_bad_byte(data, "utf-8")
    if bad is None:
        return reason
    offset, byte = bad
    return (
        f"not valid UTF-8: byte 0x{byte:02X} at character {len(data[:offset].decode('utf-8')) + 1} of the "
        f"line; {encodings.guess(data, complete=bool(newline)).advice()}"
    )[:500]


def _structural_reason(error_type: str, message: str) -> str:
    reasons = {
        "MISSING COLUMNS": "too few fields",
        "TOO MANY COLUMNS": "too many fields",
        "UNQUOTED VALUE": "unterminated or misplaced quote (truncated file?)",
        "INVALID UNICODE": "not valid UTF-8 (set format.encoding in the profile, e.g. latin-1)",
        "INVALID ENCODING": "not valid UTF-8 (set format.encoding in the profile, e.g. latin-1)",
        "LINE SIZE OVER MAXIMUM": f"line longer than {MAX_LINE_BYTES:,} bytes",
    }
    return f"{reasons.get(error_type, error_type.lower())}: {message}"[:500]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _open_xlsx(con: duckdb.DuckDBPyConnection, path: Path, fmt: FileFormat, name: str) -> RawRead:
    from openpyxl import load_workbook

    if zipfile.is_zipfile(path):
        check_archive(path, name)  # a workbook is a zip: the same bounds as any archive
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ReadError(f"{name}: not a readable XLSX workbook ({_first_line(exc)})") from exc
    try:
        names, columns, lines, header_lines = _xlsx_rows(book, fmt, name)
    except ReadError:
        raise
    except Exception as exc:  # a damaged sheet surfaces only while its rows are read, as any type
        raise ReadError(f"{name}: not a readable XLSX workbook ({_first_line(exc)})") from exc
    finally:
        book.close()
    arrays = {column: pa.array(values, pa.string()) for column, values in zip(names, columns, strict=True)}
    table = pa.table({**arrays, XLSX_LINE: pa.array(lines, pa.int64())})
    con.register("raw_source", table)
    con.execute("CREATE OR REPLACE VIEW raw AS SELECT * FROM raw_source")
    return RawRead(columns=names, header_lines=header_lines, kind="xlsx", line_column=XLSX_LINE)


def _xlsx_rows(
    book: Any, fmt: FileFormat, name: str
) -> tuple[list[str], list[list[str | None]], list[int], int]:
    if fmt.sheet:
        if fmt.sheet not in book.sheetnames:
            raise ReadError(f"{name}: no sheet '{fmt.sheet}' (sheets: {', '.join(book.sheetnames)})")
        sheet = book[fmt.sheet]
    else:
        sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    for _ in range(fmt.skip_rows):
        next(rows, None)
    if fmt.header:
        first = next(rows, None)
        if first is None:
            raise ReadError(f"{name}: the sheet is empty")
        if len(first) > MAX_COLUMNS:
            raise ReadError(
                f"{name}: the header has {len(first):,} columns; at most {MAX_COLUMNS:,} are read"
            )
        names = unique_names([_cell(v) or "" for v in first])
    else:
        names = unique_names(fmt.columns)
    columns: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []
    header_lines = fmt.skip_rows + (1 if fmt.header else 0)
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            raise ReadError(f"{name}: more than {XLSX_MAX_ROWS} rows")
        if all(v is None for v in row):
            continue
        lines.append(header_lines + count)
        for index, values in enumerate(columns):
            values.append(_cell(row[index]) if index < len(row) else None)
    return names, columns, lines, header_lines


def _refuse_json_encoding(path: Path, name: str) -> None:
    """For JSON that DuckDB found not UTF-8: the line of the first bad byte and the encoding it looks
    like (the file is scanned line by line up to that byte; nothing when none is found)."""
    with path.open("rb") as handle:
        for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
            bad = encodings.first_bad_byte(line, "utf-8")
            if bad is not None:
                raise encodings.EncodingMismatch(
                    f"{name}, line {number}: byte 0x{bad[1]:02X} is not valid UTF-8; {encodings.line_advice(line)}"
                )


def _open_json(con: duckdb.DuckDBPyConnection, path: Path, fmt: FileFormat, name: str) -> RawRead:
    json_format = "array" if fmt.type == "json" else "newline_delimited"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
        if fmt.type == "json" and not head.startswith(b"["):
            raise ReadError(f"{name}: expected a JSON array of objects ([{{...}}, ...])")
        described = con.execute(
            # No map inference: records with many keys keep them as columns, to be counted.
            "DESCRIBE SELECT * FROM read_json(?, format = ?, records = true, maximum_depth = 1, "
            "sample_size = -1, map_inference_threshold = -1, compression = 'none')",
            [str(path), json_format],
        ).fetchall()
        names = [str(row[0]) for row in described]
        if len(names) > MAX_COLUMNS:
            raise ReadError(f"{name}: the records have {len(names):,} keys; at most {MAX_COLUMNS:,} are read")
        columns = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in names)
        con.execute(
            f"CREATE OR REPLACE VIEW raw_source AS SELECT * FROM read_json({sql_string(str(path))}, "
            f"format = {sql_string(json_format)}, records = true, columns = {{{columns}}}, compression = 'none')"
        )
        con.execute("SELECT count(*) FROM raw_source").fetchone()
    except ReadError:
        raise
    except duckdb.Error as exc:
        if "invalid UTF-8" in str(exc):
            _refuse_json_encoding(path, name)
        raise ReadError(
            f"{name}: not valid {'JSON' if fmt.type == 'json' else 'NDJSON'} ({_first_line(exc)})"
        ) from exc
    con.execute("CREATE OR REPLACE VIEW raw AS SELECT * FROM raw_source")
    return RawRead(columns=names, header_lines=0, kind="json")
