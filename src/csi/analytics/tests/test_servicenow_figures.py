"""Ticket figures on the real ServiceNow incident event log, checked against an independent computation.

The code under test gets the log loaded with DuckDB and mapped to the canonical event schema (as the
ServiceNow import profile does); the expectations are computed here from the raw CSV with Python's csv
module only, never with the code under test.

Rules both sides apply (decided on the data's quirks):
- latest version of an incident = its row with the highest sys_mod_count; ties (INC0000135 has two rows
  with sys_mod_count 7) go to the latest sys_updated_at, then the later line of the file;
- an incident's events are ordered by (sys_updated_at, line): sys_updated_at has minute resolution and
  many events share a minute, so the file order breaks the ties;
- resolved_at = the latest version's resolved_at; 1,556 incidents are Closed with resolved_at "?", and
  for those it is the time of the last event that moved the incident from a state other than
  Resolved/Closed into Resolved or Closed (the first event counts as such a move);
- sla_flag = made_sla == "true"; every figure uses the latest version's priority, opened_at, closed_at,
  made_sla, reopen_count and reassignment_count.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import statistics
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from django.conf import settings

from csi.analytics import tickets
from csi.analytics.tickets import TicketRules
from csi.measures import schema

SKIP_REASON = "needs ../shared/data/servicenow-incident-event-log (set CSI_SHARED_DATA)"
RULES = TicketRules(resolved_states=("Resolved",), closed_states=("Closed",), new_states=("New",))
FINISHED = {"Resolved", "Closed"}
BACKLOG_AT = dt.datetime(2016, 5, 1)
SCHEMA = pa.schema([*schema.EVENT_SCHEMA, pa.field("batch_id", pa.int64())])

LOAD_SQL = """
SELECT
    number AS ticket_id,
    strptime(sys_updated_at, '%d/%m/%Y %H:%M') AS event_at,
    CAST(line AS BIGINT) AS line,
    CAST(sys_mod_count AS BIGINT) AS version,
    incident_state AS state,
    strptime(opened_at, '%d/%m/%Y %H:%M') AS opened_at,
    strptime(resolved_at, '%d/%m/%Y %H:%M') AS resolved_at,
    strptime(closed_at, '%d/%m/%Y %H:%M') AS closed_at,
    CAST(NULL AS VARCHAR) AS ticket_type,
    priority, impact, urgency, category, subcategory, assignment_group,
    assigned_to AS assignee,
    caller_id AS customer,
    cmdb_ci AS configuration_item,
    contact_type AS channel,
    made_sla = 'true' AS sla_flag,
    CAST(reassignment_count AS BIGINT) AS reassignment_count,
    CAST(reopen_count AS BIGINT) AS reopen_count,
    CAST(1 AS BIGINT) AS batch_id
FROM read_csv({path}, header = true, all_varchar = true, nullstr = '?')
"""


def _zip_path() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "servicenow-incident-event-log" / "incident_event_log.zip"


@pytest.fixture(scope="session")
def zip_path() -> Path:
    path = _zip_path()
    if not path.is_file():
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture(scope="session")
def events(zip_path: Path, tmp_path_factory: pytest.TempPathFactory) -> ibis.Table:
    """The log as canonical events (plus batch_id 1) in a DuckDB table."""
    numbered = tmp_path_factory.mktemp("servicenow") / "incident_event_log.csv"
    # The file has no quoted fields, so each record is one line: the copy gets a leading `line` column
    # (the record's line in the original file, header = 1) that DuckDB's reader could not give.
    with (
        zipfile.ZipFile(zip_path) as archive,
        archive.open("incident_event_log.csv") as raw,
        numbered.open("w", encoding="utf-8") as target,
    ):
        for number, text in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
            target.write(("line," if number == 1 else f"{number},") + text)
    con = ibis.duckdb.connect()
    quoted = "'" + str(numbered).replace("'", "''") + "'"
    con.raw_sql("CREATE TABLE events AS " + LOAD_SQL.format(path=quoted))
    table = con.table("events")
    assert table.schema().to_pyarrow() == SCHEMA
    return table


@functools.cache
def _parse(text: str) -> dt.datetime | None:
    return None if text == "?" else dt.datetime.strptime(text, "%d/%m/%Y %H:%M")


def _resolved_at(history: list[dict[str, Any]], latest: dict[str, Any]) -> dt.datetime | None:
    if latest["resolved_at"] != "?":
        return _parse(latest["resolved_at"])
    if latest["incident_state"] not in FINISHED:
        return None
    entered = None
    previous = None
    for row in sorted(history, key=lambda row: (_parse(row["sys_updated_at"]), row["line"])):
        if row["incident_state"] in FINISHED and previous not in FINISHED:
            entered = _parse(row["sys_updated_at"])
        previous = row["incident_state"]
    return entered


@pytest.fixture(scope="session")
def expected(zip_path: Path) -> dict[str, Any]:
    """Per incident, from the raw CSV: its latest version's figures, computed with the csv module."""
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    events = 0
    with zipfile.ZipFile(zip_path) as archive, archive.open("incident_event_log.csv") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        for line, row in enumerate(reader, start=2):
            histories[row["number"]].append({**row, "line": line})
            events += 1
    incidents = []
    for history in histories.values():
        latest = max(
            history,
            key=lambda row: (int(row["sys_mod_count"]), _parse(row["sys_updated_at"]), row["line"]),
        )
        opened_at = _parse(latest["opened_at"])
        resolved_at = _resolved_at(history, latest)
        closed_at = _parse(latest["closed_at"])
        incidents.append(
            {
                "priority": latest["priority"],
                "events": len(history),
                "made_sla": latest["made_sla"] == "true",
                "resolution_hours": (
                    None
                    if resolved_at is None or opened_at is None
                    else (resolved_at - opened_at).total_seconds() / 3600
                ),
                "reopened": int(latest["reopen_count"]) > 0,
                "reassigned": int(latest["reassignment_count"]) > 0,
                "open_at_backlog": opened_at is not None
                and opened_at <= BACKLOG_AT
                and (closed_at is None or closed_at > BACKLOG_AT),
                "resolved_at_missing": latest["resolved_at"] == "?",
            }
        )
    return {"events": events, "incidents": incidents}


def _figures(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    hours = [
        incident["resolution_hours"] for incident in incidents if incident["resolution_hours"] is not None
    ]
    count = len(incidents)
    return {
        "tickets": count,
        "events": sum(incident["events"] for incident in incidents),
        "resolved": len(hours),
        "median_resolution_hours": statistics.median(hours),
        "sla_flag_met_rate": sum(incident["made_sla"] for incident in incidents) / count,
        "reopened_rate": sum(incident["reopened"] for incident in incidents) / count,
        "reassigned_rate": sum(incident["reassigned"] for incident in incidents) / count,
    }


@pytest.fixture(scope="session")
def facts(events: ibis.Table) -> ibis.Table:
    # Materialised once for the tests below (not .cache(): ibis 12 with sqlglot 30 cannot drop tables).
    return events.get_backend().create_table("facts", tickets.ticket_facts(events, RULES))


def _assert_matches(row: dict[str, Any], figures: dict[str, Any]) -> None:
    for name in ("tickets", "events", "resolved"):
        assert row[name] == figures[name], name
    for name in ("median_resolution_hours", "sla_flag_met_rate", "reopened_rate", "reassigned_rate"):
        assert row[name] == pytest.approx(figures[name], rel=1e-9), name


def test_the_file_is_what_we_expect(expected: dict[str, Any]) -> None:
    assert expected["events"] == 141_712
    assert len(expected["incidents"]) == 24_918
    assert sum(incident["resolved_at_missing"] for incident in expected["incidents"]) == 1_556


def test_summary_overall(facts: ibis.Table, expected: dict[str, Any]) -> None:
    (row,) = tickets.ticket_summary(facts).to_pyarrow().to_pylist()
    assert row["key"] == "all"
    figures = _figures(expected["incidents"])
    assert figures["tickets"] == 24_918 and figures["events"] == 141_712
    _assert_matches(row, figures)


def test_summary_by_priority(facts: ibis.Table, expected: dict[str, Any]) -> None:
    rows = tickets.ticket_summary(facts, by="priority").to_pyarrow().to_pylist()
    by_priority: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for incident in expected["incidents"]:
        by_priority[incident["priority"]].append(incident)
    assert [row["key"] for row in rows] == sorted(by_priority)
    assert len(rows) == 4
    for row in rows:
        _assert_matches(row, _figures(by_priority[row["key"]]))


def test_backlog_on_the_first_of_may(facts: ibis.Table, expected: dict[str, Any]) -> None:
    backlog = tickets.backlog_at(facts, BACKLOG_AT).to_pyarrow().to_pylist()
    open_then = sum(incident["open_at_backlog"] for incident in expected["incidents"])
    assert open_then > 0
    assert backlog == [{"key": "all", "backlog": open_then}]
    series = tickets.backlog_series(facts, BACKLOG_AT, BACKLOG_AT).to_pyarrow().to_pylist()
    assert series == [{"at": BACKLOG_AT, "backlog": open_then}]
