"""The SQL that turns the raw text columns of a file into the canonical columns of a profile.

`mapped_select` returns one DuckDB SELECT over the view `raw` producing, in the canonical order, every
column of the source kind (unmapped ones null), then `line_base` and `_reject`. `line` is the raw line
column where the reader has one (XLSX) and otherwise null, with `line_base` the line of the first record:
numbering records in SQL (a window over the whole file) would make DuckDB's parallel read single-threaded,
so a record's line comes from its position in the written file instead (see `csi.measures.store`).
`_reject` is null for a good record, otherwise one entry per bad field (`field`, the raw value),
separated by \\x1f, with \\x1e between a field and its value. Conversions use `try_*` functions, so a
bad value never aborts the read: it makes a reject.

A field's value map (`values`) applies to its text after the null markers and before the conversion;
`unmapped: reject` refuses a record whose value the map does not name. A derived field (`expression`,
`csi.measures.derived`) is computed in the outer SELECT from the other fields' converted columns, its
SQL built from the checked expression with every constant quoted. A profile without maps or expressions
gives exactly the SQL it gave before they existed.

A record is refused for what the API refuses too: an instant outside EARLIEST..LATEST (years 1900 to
2199), a negative count (NON_NEGATIVE), and text holding a NUL character (PostgreSQL cannot store it).
"""

from __future__ import annotations

from dataclasses import dataclass

from csi.measures.derived import value_sql
from csi.measures.profiles import REQUIRED, FieldMap, ProfileSpec
from csi.measures.readers import RawRead, quote_ident, sql_string
from csi.measures.schema import (
    ANSWER_COLUMNS,
    EARLIEST,
    EVENT_COLUMNS,
    LATEST,
    LINE_BASE,
    NON_NEGATIVE,
    SAMPLE_COLUMNS,
)

NUL = "\x00"
FIELD_SEP = "\x1f"
VALUE_SEP = "\x1e"
CANONICAL = {
    "ticket_events": EVENT_COLUMNS,
    "ticket_snapshots": EVENT_COLUMNS,
    "metric_samples": SAMPLE_COLUMNS,
    "survey_answers": ANSWER_COLUMNS,
}

KNOWN_FIELDS = {name for columns in CANONICAL.values() for name in columns}


@dataclass(frozen=True)
class MissingColumns(Exception):
    missing: list[str]
    available: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.available[:40]) + (" ..." if len(self.available) > 40 else "")
        return f"missing column(s) {', '.join(self.missing)}; the file has: {shown}"


def _type_of(name: str, spec: ProfileSpec) -> str:
    arrow_type = str(CANONICAL[spec.source_kind][name])
    if arrow_type.startswith("timestamp"):
        return "timestamp"
    return {"int64": "integer", "double": "number", "bool": "boolean"}.get(arrow_type, "string")


def _non_negative(value: str) -> str:
    return f"CASE WHEN {value} >= 0 THEN {value} END"


def _convert(kind: str, raw: str, field_map: FieldMap, spec: ProfileSpec, field_name: str) -> str:
    if kind == "timestamp":
        formats = [f for f in spec.timestamps.formats if f != "iso"]
        zoned = [f for f in formats if "%z" in f or "%Z" in f]
        naive = [f for f in formats if f not in zoned]
        parts = []
        if naive:
            parts.append(f"try_strptime({raw}, [{', '.join(sql_string(f) for f in naive)}])::TIMESTAMPTZ")
        if zoned:
            parts.append(f"try_strptime({raw}, [{', '.join(sql_string(f) for f in zoned)}])")
        if "iso" in spec.timestamps.formats:
            parts.append(f"try_cast({raw} AS TIMESTAMPTZ)")
        inner = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        # Outside the window an instant is refused like an unreadable one (DuckDB reads years BC too).
        utc = f"timezone('UTC', {inner})"  # written twice: DuckDB computes a common subexpression once
        return (
            f"CASE WHEN {utc} >= TIMESTAMP '{EARLIEST:%Y-%m-%d}' AND {utc} < TIMESTAMP '{LATEST:%Y-%m-%d}' "
            f"THEN {utc} END"
        )
    if kind == "integer":
        value = f"coalesce(try_cast({raw} AS BIGINT), try_cast(try_cast({raw} AS DECIMAL(38, 0)) AS BIGINT))"
        return _non_negative(value) if field_name in NON_NEGATIVE else value
    if kind == "number":
        value = f"try_cast({raw} AS DOUBLE)"
        return _non_negative(value) if field_name in NON_NEGATIVE else value
    if kind == "boolean":
        trues = ", ".join(sql_string(v.lower()) for v in field_map.true_values)
        falses = ", ".join(sql_string(v.lower()) for v in field_map.false_values)
        return f"CASE WHEN lower(trim({raw})) IN ({trues}) THEN true WHEN lower(trim({raw})) IN ({falses}) THEN false END"
    return raw


def reason_for(field: str, spec: ProfileSpec, value: str = "") -> str:
    """Why `value` of `field` was refused (for the reject report). A required field without a value
    (an empty cell, or one of the profile's null values, which the reject reports as empty) is "empty",
    whatever its type."""
    field_map = spec.field_map(field) or FieldMap(column=field)
    if field_map.unmapped == "reject" and field_map.values and value not in field_map.values:
        return unmapped_reason(field_map)
    kind = _type_of(field, spec)
    zero_or_more = " of zero or more" if field in NON_NEGATIVE else ""
    if not value.strip() and NUL not in value:
        required = field in REQUIRED[spec.source_kind]
        if not value:
            nulls = [v for v in spec.null_values if v]
            also = f" (or one of the profile's null values: {', '.join(nulls)})" if nulls else ""
            return f"{field} is empty{also}; a value is required"
        return f"{field} holds only spaces; " + (
            "a value is required" if required else "leave it empty or give a value"
        )
    if kind == "timestamp":
        return (
            f"not a date and time between {EARLIEST:%Y-%m-%d} and {LATEST.year - 1}-12-31 in the profile's "
            "formats: " + ", ".join(spec.timestamps.formats)
        )
    if kind == "integer":
        return "not a whole number" + zero_or_more
    if kind == "number":
        return "not a number" + zero_or_more
    if kind == "boolean":
        return f"not one of {', '.join(field_map.true_values)} / {', '.join(field_map.false_values)}"
    if NUL in value:
        return "text holding a NUL character (\\x00), which cannot be stored"
    return "required value is missing"


def unmapped_reason(field_map: FieldMap) -> str:
    """Why a value outside a field's value map (`unmapped: reject`) was refused."""
    shown = ", ".join(repr(k) for k in list(field_map.values)[:20])
    more = " ..." if len(field_map.values) > 20 else ""
    return f"not one of the values the profile maps: {shown}{more}"


def mapped_select(spec: ProfileSpec, raw: RawRead) -> str:
    """The SELECT described in the module docstring over the view of `raw`; raises MissingColumns when
    the file lacks a column the profile requires."""
    columns = raw.columns
    mapped = spec.mapped()
    # In the canonical order, not the profile's: a profile stored as PostgreSQL jsonb loses its key order.
    missing = [
        mapped[name].column
        for name in CANONICAL[spec.source_kind]
        if name in mapped
        and mapped[name].column
        and not mapped[name].optional
        and mapped[name].column not in columns
    ]
    if missing:
        raise MissingColumns(missing, columns)
    nulls = ", ".join(sql_string(v) for v in spec.null_values)
    inner, outer, problems = [], [], []
    available = {name for name, fm in mapped.items() if fm.column and fm.column in columns}

    def field_sql(field: str) -> str:
        """A field as a derived expression reads it: its converted column, its constant, else null."""
        if field in spec.constants:
            return sql_string(spec.constants[field])
        return quote_ident(field) if field in available else "NULL"

    if raw.line_column:
        inner.append(quote_ident(raw.line_column))
    required = set(REQUIRED[spec.source_kind])
    for name in CANONICAL[spec.source_kind]:
        if name == "line":
            outer.append(
                f"{quote_ident(raw.line_column)} AS line" if raw.line_column else "NULL::BIGINT AS line"
            )
            continue
        kind = _type_of(name, spec)
        field_map = mapped.get(name)
        target = _arrow_sql(kind)
        if name in spec.constants:
            outer.append(f"{sql_string(spec.constants[name])}::{target} AS {quote_ident(name)}")
            continue
        if field_map is not None and field_map.expression:
            # Computed in the outer SELECT from the other fields' converted values (never from another
            # derived field: the profile refuses that), so every field's null markers and maps apply first.
            derived_sql = _value_map(field_map, value_sql(field_map.expression, field_sql))
            outer.append(f"{derived_sql} AS {quote_ident(name)}")
            continue
        if field_map is None or field_map.column not in columns:
            outer.append(f"NULL::{target} AS {quote_ident(name)}")
            continue
        source = quote_ident(field_map.column)
        cleaned = f"CASE WHEN {source} IN ({nulls}) THEN NULL ELSE {source} END" if nulls else source
        outer.append(quote_ident(name))
        column = quote_ident(name)
        raw_name = quote_ident(f"raw:{name}")
        # The text after the value map (the cleaned text itself when the field has none).
        text = _value_map(field_map, cleaned)
        unmapped = _unmapped(name, field_map, raw_name)
        if kind == "string":
            # Text needs no conversion; a missing required value, a value outside the map (`unmapped:
            # reject`) or a NUL character is a reject.
            if unmapped:
                inner.append(f"{cleaned} AS {raw_name}")
            missing_value = (
                f"WHEN {column} IS NULL THEN {sql_string(name + VALUE_SEP)} "
                f"WHEN trim({column}) = '' THEN {sql_string(name + VALUE_SEP)} || {column} "
                if name in required
                else ""
            )
            inner.append(f"{text} AS {column}")
            problems.append(
                f"CASE {unmapped}{missing_value}WHEN contains({column}, chr(0)) "
                f"THEN {sql_string(name + VALUE_SEP)} || {column} END"
            )
            continue
        inner.append(f"{cleaned} AS {raw_name}")
        given = raw_name
        if field_map.values:
            given = quote_ident(f"mapped:{name}")
            inner.append(f"{text} AS {given}")
        inner.append(f"{_convert(kind, text, field_map, spec, name)}::{target} AS {column}")
        bad = f"{column} IS NULL" if name in required else f"{given} IS NOT NULL AND {column} IS NULL"
        problems.append(
            f"CASE {unmapped}WHEN {bad} THEN {sql_string(name + VALUE_SEP)} || coalesce({raw_name}, '') END"
        )
    line_base = "NULL::BIGINT" if raw.line_column else f"{int(raw.header_lines) + 1}::BIGINT"
    reject = f"nullif(concat_ws({sql_string(FIELD_SEP)}, {', '.join(problems)}), '')" if problems else "NULL"
    return (
        f"SELECT {', '.join(outer)}, {line_base} AS {LINE_BASE}, {reject} AS _reject "
        f"FROM (SELECT {', '.join(inner)} FROM raw) AS converted"
    )


def _value_map(field_map: FieldMap, text: str) -> str:
    """SQL of `text` (a cleaned value) after the field's value map: a mapped value becomes its target;
    an unmapped one is kept (`keep`, and `reject`, which refuses the record separately) or made null."""
    if not field_map.values:
        return text
    whens = " ".join(f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in field_map.values.items())
    otherwise = "NULL" if field_map.unmapped == "null" else text
    return f"CASE {text} {whens} ELSE {otherwise} END"


def _unmapped(name: str, field_map: FieldMap, text: str) -> str:
    """A CASE branch refusing a value the map does not name, when the field says `unmapped: reject`."""
    if not field_map.values or field_map.unmapped != "reject":
        return ""
    keys = ", ".join(sql_string(k) for k in field_map.values)
    return (
        f"WHEN {text} IS NOT NULL AND {text} NOT IN ({keys}) THEN {sql_string(name + VALUE_SEP)} || {text} "
    )


def _arrow_sql(kind: str) -> str:
    return {"timestamp": "TIMESTAMP", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}.get(
        kind, "VARCHAR"
    )


def parse_reject(text: str) -> list[tuple[str, str]]:
    """The (field, raw value) pairs of a `_reject` value. A value may hold the separators itself: an
    entry that does not start with a canonical field name and VALUE_SEP continues the value before it."""
    pairs: list[tuple[str, str]] = []
    for entry in text.split(FIELD_SEP):
        field, separator, value = entry.partition(VALUE_SEP)
        if pairs and not (separator and field in KNOWN_FIELDS):
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + FIELD_SEP + entry)
            continue
        pairs.append((field, value))
    return pairs
