"""Ticket figures over a source fed by overlapping exports (issue 12): a partial second export adds to
the history and changes no figure it should not. Expected figures are computed from the CSV texts with
the csv module (the union of their records), independently of the store and of Ibis."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from csi.analytics.engine import source_tables
from csi.core.permissions import SystemActor
from csi.measures import services
from csi.measures.importer import import_file
from csi.measures.models import DataSource, ImportBatch, MappingProfile

pytestmark = pytest.mark.django_db
CLI = SystemActor("test")
HEADER = "ticket_id,event_at,state,priority\n"
WEEK = HEADER + (
    "T1,2024-01-01T09:00:00Z,New,P2\n"
    "T1,2024-01-01T10:00:00Z,Active,P2\n"
    "T1,2024-01-01T13:00:00Z,Resolved,P2\n"
    "T2,2024-01-01T11:00:00Z,New,P3\n"
    "T2,2024-01-02T11:00:00Z,Resolved,P3\n"
    "T3,2024-01-02T08:00:00Z,New,P4\n"
)
# An incremental export: T2 reopened and resolved again, T3 worked on, with one event already held.
LATER = HEADER + (
    "T2,2024-01-02T11:00:00Z,Resolved,P3\n"
    "T2,2024-01-03T09:00:00Z,Active,P3\n"
    "T2,2024-01-03T15:00:00Z,Resolved,P1\n"
    "T3,2024-01-03T10:00:00Z,Active,P4\n"
    "T3,2024-01-03T12:00:00Z,Resolved,P4\n"
)
FINISHED = {"Resolved", "Closed"}


def expected(*texts: str) -> dict[str, dict[str, Any]]:
    """Per ticket, from the union of the records: events, opened (first event), resolved (the last entry
    into a finished state from an unfinished one, when the last state is finished), reopens (finished ->
    unfinished transitions), resolution hours and the latest priority."""
    records = {tuple(row.values()) for text in texts for row in csv.DictReader(io.StringIO(text))}
    by_ticket: dict[str, list[tuple[str, ...]]] = {}
    for record in records:
        by_ticket.setdefault(record[0], []).append(record)
    figures = {}
    for ticket, rows in by_ticket.items():
        rows.sort(key=lambda r: r[1])
        at = [datetime.fromisoformat(r[1].replace("Z", "+00:00")) for r in rows]
        states = [r[2] for r in rows]
        entries = [i for i in range(1, len(rows)) if states[i] in FINISHED and states[i - 1] not in FINISHED]
        resolved = at[entries[-1]] if states[-1] in FINISHED and entries else None
        figures[ticket] = {
            "events": len(rows),
            "reopens": sum(
                1 for i in range(1, len(rows)) if states[i - 1] in FINISHED and states[i] not in FINISHED
            ),
            "resolution_hours": (resolved - at[0]).total_seconds() / 3600 if resolved else None,
            "priority": rows[-1][3],
        }
    return figures


def measured(source: DataSource) -> dict[str, dict[str, Any]]:
    facts = source_tables(actor=CLI, source=source).facts.to_pyarrow().to_pylist()
    return {
        f["ticket_id"]: {
            "events": f["events"],
            "reopens": f["reopens"],
            "resolution_hours": None if f["resolution_seconds"] is None else f["resolution_seconds"] / 3600,
            "priority": f["priority"],
        }
        for f in facts
    }


def load(source: DataSource, tmp_path: Path, text: str, name: str, **options: Any) -> Any:
    path = tmp_path / name
    path.write_text(text)
    result = import_file(actor=CLI, source=source, path=path, **options)
    assert result.status in {"committed", "dry-run"}, result.message
    return result


def test_a_partial_second_export_adds_history_and_changes_only_the_figures_it_should(tmp_path):
    source = services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    load(source, tmp_path, WEEK, "week.csv")
    before = measured(source)
    assert before == expected(WEEK)
    assert before["T2"]["resolution_hours"] == 24 and before["T3"]["resolution_hours"] is None

    later = load(source, tmp_path, LATER, "later.csv")
    assert (later.merge.new_events, later.merge.seen_events, later.merge.gaining_tickets) == (4, 1, 2)
    after = measured(source)
    assert after == expected(WEEK, LATER)
    assert after["T1"] == before["T1"]  # untouched by the later export
    # T2 keeps its opening of Jan 1: reopened, resolved again 52 hours after it opened; the later export's
    # priority is its latest.
    assert after["T2"] == {"events": 4, "reopens": 1, "resolution_hours": 52, "priority": "P1"}
    assert after["T3"]["resolution_hours"] == 28

    # A truncated file (the first two records) changes nothing.
    head = "".join(WEEK.splitlines(keepends=True)[:3])
    truncated = load(source, tmp_path, head, "head.csv")
    assert (truncated.merge.new_events, truncated.merge.seen_events) == (0, 2)
    assert measured(source) == after

    # Deleting the later export gives back the figures of the week alone.
    services.batch_delete(actor=CLI, batch=ImportBatch.objects.get(pk=later.batch_id))
    assert measured(source) == before


def test_replace_mode_gives_a_ticket_the_file_history_and_its_dry_run_changes_nothing(tmp_path):
    source = services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    load(source, tmp_path, WEEK, "week.csv")
    before = measured(source)
    fixed = HEADER + "T2,2024-01-01T11:00:00Z,New,P3\nT2,2024-01-01T17:00:00Z,Resolved,P3\n"
    preview = load(source, tmp_path, fixed, "fixed.csv", mode="replace", dry_run=True)
    assert (preview.merge.removed_events, preview.merge.new_events, preview.merge.seen_events) == (1, 1, 1)
    assert measured(source) == before
    load(source, tmp_path, fixed, "fixed.csv", mode="replace")
    after = measured(source)
    assert after["T2"] == expected(fixed)["T2"] and after["T2"]["resolution_hours"] == 6
    assert {k: v for k, v in after.items() if k != "T2"} == {k: v for k, v in before.items() if k != "T2"}
