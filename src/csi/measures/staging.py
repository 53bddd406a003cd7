"""The staged Parquet file of an import run, between the read and the publish.

A run's file is first written whole, every record in the file's order with its `_reject` mark (see
`csi.measures.mapping`). `repeated_records` counts the good records that repeat an earlier good record
of the same file in every stored field but the line; `keep_good_records` rewrites the file without its
rejected records and, when asked, without those repeats (the first of identical records is kept), with
each kept record's line written out. The rewrite happens only when there is something to drop, so a
clean file is written once.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from csi.measures.readers import quote_ident, sql_string
from csi.measures.schema import LINE_BASE


def _identity(columns: list[str], alias: str = "") -> str:
    """What makes two records the same: every stored field but the line."""
    return ", ".join(f"{alias}{quote_ident(name)}" for name in columns if name != "line")


def repeated_records(con: duckdb.DuckDBPyConnection, staged: Path, columns: list[str]) -> int:
    """How many good records of the staged file repeat an earlier one. A 64-bit hash finds them in one
    pass; only when it sees any are they counted exactly (so a hash collision never drops a record)."""
    file = f"read_parquet({sql_string(str(staged))})"
    identity = _identity(columns)
    row = con.execute(
        f"SELECT count(*) - count(DISTINCT hash({identity})) FROM {file} WHERE _reject IS NULL"
    ).fetchone()
    if not row or not row[0]:
        return 0
    exact = con.execute(
        f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {identity} FROM {file} WHERE _reject IS NULL)) "
        f"FROM {file} WHERE _reject IS NULL"
    ).fetchone()
    return int(exact[0]) if exact else 0


def keep_good_records(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    workdir: Path,
    columns: list[str],
    *,
    structural: int,
    drop_repeats: bool,
) -> None:
    """Rewrite the staged file without its rejected rows (and repeats, when asked). Positions no longer
    give lines then, so each row's line is written out: its position plus the first line, plus one for
    each record before it that the CSV reader refused (the `a` of the i-th such line is that line less
    the i-1 before it: the position-based line at or past which a row comes after it)."""
    position = f"s.file_row_number + s.{LINE_BASE}"
    line = f"coalesce(s.line, {position})"
    join = ""
    if structural:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE shifts AS SELECT line - (k - 1) AS a, max(k) AS k FROM "
            "(SELECT line, row_number() OVER (ORDER BY line) AS k FROM (SELECT DISTINCT line FROM reject_errors)) "
            "GROUP BY a"
        )
        line = f"coalesce(s.line, {position} + coalesce(shifts.k, 0))"
        join = f"ASOF LEFT JOIN shifts ON {position} >= shifts.a"
    selected = [f"{line}::BIGINT AS line" if name == "line" else f"s.{quote_ident(name)}" for name in columns]
    first_only = (
        f"QUALIFY row_number() OVER (PARTITION BY {_identity(columns)} ORDER BY file_row_number) = 1"
        if drop_repeats
        else ""
    )
    good = (
        f"(SELECT * FROM read_parquet({sql_string(str(staged))}, file_row_number = true) "
        f"WHERE _reject IS NULL {first_only})"
    )
    kept = workdir / ("kept-" + staged.name)
    con.execute(
        f"COPY (SELECT {', '.join(selected)}, NULL::BIGINT AS {LINE_BASE}, NULL::VARCHAR AS _reject "
        f"FROM {good} AS s {join} ORDER BY s.file_row_number) "
        f"TO {sql_string(str(kept))} (FORMAT parquet, COMPRESSION zstd)"
    )
    kept.replace(staged)
