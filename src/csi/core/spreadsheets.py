"""Every CSV (and any future XLSX) download is written here, so that no cell can run as a formula.

OWASP's CSV-injection advice: a text cell that starts with `=`, `+`, `-`, `@`, a tab (0x09) or a
carriage return (0x0D) is prefixed with a single quote, which spreadsheets show as text and do not
evaluate. Numbers (int, float, Decimal) are written as they are: only text is ever altered. Importers
that read our own exports back (the catalog's CSV) call `restore_cell` to undo the prefix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` unless it is text a spreadsheet would evaluate; such text gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore_cell(text: str) -> str:
    """The text `safe_cell` was given: a leading quote before a formula start is taken off again."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def plain_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for None, true/false, ISO dates; numbers unchanged; text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    return safe_cell(str(value))


class SafeWriter:
    """A `csv.writer` whose every row goes through `plain_cell`."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([plain_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], **options: Any) -> str:
    """A header row and `rows` as CSV text, every cell made safe."""
    out = io.StringIO()
    writer = SafeWriter(out, **options)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def csv_download(filename: str, text: str) -> HttpResponse:
    """CSV text as an attachment named `filename`."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
