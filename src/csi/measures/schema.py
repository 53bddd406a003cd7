"""The measurement store's canonical schema: every import, whatever its source tool, becomes Parquet
files with exactly these columns, so the analytics are written once.

Ticket events (`events.parquet` in each batch folder): one row per event (a ticket's version, a change
of state, an activity). Timestamps are UTC, stored as naive `timestamp` (microseconds) so that any
Parquet reader (DuckDB, Spark, Trino) reads the same instants. Attribute columns are strings as the
source tool wrote them (after null markers are turned into nulls); counters are integers.

Rows are stored in the order of the imported file. `line` is the record's line in that file; a file may
store it as null with a constant `line_base` column, the line of its first row, when each row's line is
`line_base` plus the row's position (DuckDB cannot number CSV records without giving up its parallel
read, see docs/decisions/0003). `csi.measures.store` always reads `line` complete.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

# Every stored instant lies in [EARLIEST, LATEST): years 1900 to 2199. Service data older than 1900 or
# beyond 2199 is a typo or a placeholder, and years outside Python's 1..9999 could not be read back.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2200, 1, 1)

# name -> Arrow type. Order is the column order of the Parquet files.
EVENT_COLUMNS: dict[str, pa.DataType] = {
    "ticket_id": pa.string(),  # the ticket or case number, never null
    "event_at": pa.timestamp("us"),  # when this event happened (UTC), never null
    "line": pa.int64(),  # the record's line in the imported file (header = line 1)
    "version": pa.int64(),  # the source's version counter (ServiceNow sys_mod_count), or null
    "state": pa.string(),  # state or activity after this event
    "opened_at": pa.timestamp("us"),  # as the source gives it on this row (else null)
    "resolved_at": pa.timestamp("us"),
    "closed_at": pa.timestamp("us"),
    "ticket_type": pa.string(),
    "priority": pa.string(),
    "impact": pa.string(),
    "urgency": pa.string(),
    "category": pa.string(),
    "subcategory": pa.string(),
    "assignment_group": pa.string(),
    "assignee": pa.string(),
    "customer": pa.string(),
    "configuration_item": pa.string(),
    "channel": pa.string(),
    "sla_flag": pa.bool_(),  # the source tool's own "made SLA" flag on this row, or null
    "reassignment_count": pa.int64(),  # the source's counters on this row, or null
    "reopen_count": pa.int64(),
}

EVENT_SCHEMA = pa.schema(list(EVENT_COLUMNS.items()))

LINE_BASE = "line_base"  # stored only: the line of a file's first row when its rows store `line` as null

# Stored only, in events.parquet: an event's identity within its ticket (docs/decisions/0006), a 64-bit
# DuckDB hash computed at import of (version) where the row has one, otherwise of (event_at, state and
# every other canonical column but ticket_id and line). (ticket_id, event_key) identifies an event across
# the batches of a source. `seen.parquet` holds a merge batch's events that were already visible, with
# SEEN_IN, the batch whose copy was visible.
EVENT_KEY = "event_key"
SEEN_IN = "seen_in"
STORED_EVENT_COLUMNS: dict[str, pa.DataType] = {**EVENT_COLUMNS, EVENT_KEY: pa.int64()}
_KEYED = [name for name in EVENT_COLUMNS if name not in {"ticket_id", "line", "version"}]
# DuckDB's hash is an unsigned 64-bit integer: shifted into the signed range (a bijection, all 64 bits kept).
EVENT_KEY_SQL = (
    "(CASE WHEN version IS NOT NULL THEN hash(version) "
    f"ELSE hash({', '.join(_KEYED)}) END::HUGEINT - 9223372036854775808)::BIGINT"
)

# The attributes a profile may map and a report may group by (strings).
ATTRIBUTES = (
    "ticket_type",
    "priority",
    "impact",
    "urgency",
    "category",
    "subcategory",
    "assignment_group",
    "assignee",
    "customer",
    "configuration_item",
    "channel",
)
TIMESTAMP_FIELDS = ("event_at", "opened_at", "resolved_at", "closed_at")
INTEGER_FIELDS = ("version", "reassignment_count", "reopen_count")
BOOLEAN_FIELDS = ("sla_flag",)
# Counters and counts: a negative value is refused, as the API refuses it.
NON_NEGATIVE = frozenset({"version", "reassignment_count", "reopen_count", "good", "total"})

# Metric samples (`samples.parquet`): a measured value of a named metric at an instant, optionally for
# a configuration item; availability samples are 1 (up) / 0 (down) or a good/total pair.
SAMPLE_COLUMNS: dict[str, pa.DataType] = {
    "metric": pa.string(),
    "sampled_at": pa.timestamp("us"),
    "line": pa.int64(),
    "value": pa.float64(),
    "good": pa.float64(),
    "total": pa.float64(),
    "configuration_item": pa.string(),
}

# Survey answers (`answers.parquet`): a score given by a respondent, optionally about a ticket.
ANSWER_COLUMNS: dict[str, pa.DataType] = {
    "answered_at": pa.timestamp("us"),
    "line": pa.int64(),
    "score": pa.float64(),
    "ticket_id": pa.string(),
    "respondent": pa.string(),
    "question": pa.string(),
    "category": pa.string(),
}
