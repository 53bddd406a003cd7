"""Runs that store nothing create nothing and say so, through the CLI, the API and the pages (issue 12)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csi.catalog.tests.conftest import strategist  # noqa: F401 - shared fixture
from csi.core.models import AuditEvent
from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.models import DataSource, ImportBatch, ImportReject, MappingProfile
from csi.measures.tests.conftest import CLI

HEADER = "ticket_id,event_at,state,priority,category\n"
GOOD = (
    HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
    "T1,2024-01-01T11:30:00Z,Resolved,P1,Email\n"
    "T2,2024-01-02T09:00:00Z,New,P3,Network\n"
)
# 3 good records of 2 tickets, then 25 records with an unreadable time: more than the 20 the CLI prints.
MANY_BAD = GOOD + "".join(f"B{i},not a time,New,P3,Network\n" for i in range(25))


def store_state() -> list[str]:
    """Every folder and file of the measurement store (DuckDB's spill folder and the merge locks aside)."""
    root = Path(settings.DATA_DIR) / "measures"
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if not {".spill", ".locks"} & set(p.parts)
    )


def db_state() -> tuple[int, int, int, int]:
    return (
        DataSource.objects.count(),
        ImportBatch.objects.count(),
        ImportReject.objects.count(),
        AuditEvent.objects.count(),
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def desk() -> DataSource:
    return services.source_create(
        actor=CLI, key="desk", name="Service desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )


def test_a_dry_run_into_a_new_source_creates_nothing(cli, tmp_path):
    path = write(tmp_path, "log.csv", GOOD)
    before, folders = db_state(), store_state()
    dry = cli(
        "measures", "import", path, "--source", "fresh", "--profile", "csi-event-log", "--dry-run", "--json"
    )
    assert dry.returncode == 0, dry.stderr
    data = json.loads(dry.stdout)
    assert (data["status"], data["events"], data["tickets"], data["valid"], data["valid_tickets"]) == (
        "dry-run",
        0,
        0,
        3,
        2,
    )
    assert data["stored_nothing"] and data["summary"] == (
        "dry-run: 3 records read, 3 new events to store, 2 tickets, 0 rejected; stored nothing"
    )
    assert db_state() == before and store_state() == folders
    assert not DataSource.objects.filter(key="fresh").exists()
    # The same file for real creates the source, audited once it holds data.
    real = cli("measures", "import", path, "--source", "fresh", "--profile", "csi-event-log", check=True)
    assert real.stdout.startswith("committed: 3 records read, 3 new events stored, 2 tickets, 0 rejected")
    source = DataSource.objects.get(key="fresh")
    assert (
        AuditEvent.objects.filter(
            verb="create", object_id=str(source.pk), object_type="measures.datasource"
        ).count()
        == 1
    )
    assert store_state() == [
        f"source={source.pk}",
        f"source={source.pk}/batch={source.batches.get().pk}",
        f"source={source.pk}/batch={source.batches.get().pk}/events.parquet",
    ]


def test_a_refused_first_import_creates_no_source_no_run_no_folder(cli, tmp_path):
    path = write(tmp_path, "bad.csv", MANY_BAD)
    before, folders = db_state(), store_state()
    refused = cli("measures", "import", path, "--source", "fresh", "--profile", "csi-event-log")
    assert refused.returncode == 1
    assert "Source 'fresh' was not created" in refused.stderr
    first = refused.stdout.splitlines()[0]
    assert first.startswith("rejected: stored nothing; 28 records read, 3 valid, 25 rejected (0 tolerated)")
    assert " stored," not in refused.stdout and "3 stored" not in refused.stdout
    # No run is recorded (there is no source to hold it): the hint says how to get every reject now.
    assert "run again with --rejects rejects.csv" in refused.stdout and "RUN" not in refused.stdout
    assert db_state() == before and store_state() == folders
    report = tmp_path / "all.csv"
    again = cli(
        "measures",
        "import",
        path,
        "--source",
        "fresh",
        "--profile",
        "csi-event-log",
        "--rejects",
        str(report),
    )
    assert again.returncode == 1 and f"all of them are in {report}" in again.stdout
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["value"] for r in rows] == ["not a time"] * 25
    assert [int(r["line"]) for r in rows] == list(range(5, 30))
    assert db_state() == before and store_state() == folders
    # A report path that cannot be written is refused before anything is read.
    good = write(tmp_path, "good.csv", GOOD)
    unwritable = str(tmp_path / "missing" / "r.csv")
    refused_path = cli(
        "measures", "import", good, "--source", "fresh", "--profile", "csi-event-log", "--rejects", unwritable
    )
    assert refused_path.returncode == 1 and "the reject report cannot be written" in refused_path.stderr
    assert db_state() == before and store_state() == folders


def test_a_failed_first_import_into_an_existing_source_leaves_no_folder(cli, tmp_path):
    source = desk()
    path = write(tmp_path, "header-only.csv", HEADER)
    failed = cli("measures", "import", path, "--source", "desk")
    assert failed.returncode == 1 and "no records" in failed.stderr
    assert failed.stdout.startswith("failed: stored nothing")
    assert store_state() == [] and not Path(settings.DATA_DIR, "measures", f"source={source.pk}").exists()
    run = ImportBatch.objects.get()
    assert (run.status, run.events, run.tickets) == (BatchStatus.FAILED, 0, 0)


def test_a_rejected_run_is_history_that_stored_nothing_and_names_its_report(cli, tmp_path):
    desk()
    path = write(tmp_path, "bad.csv", MANY_BAD)
    refused = cli("measures", "import", path, "--source", "desk")
    assert refused.returncode == 1
    run = ImportBatch.objects.get()
    assert (run.status, run.events, run.tickets, run.valid_records) == (BatchStatus.REJECTED, 0, 0, 3)
    assert refused.stdout.splitlines()[0].startswith(
        "rejected: stored nothing; 28 records read, 3 valid, 25 rejected (0 tolerated) in "
    ) and refused.stdout.splitlines()[0].endswith(f"(run #{run.pk})")
    assert (
        f"the first 20 problems of 25 rejected record(s); all of them: csi measures rejects {run.pk}"
        in refused.stdout
    )
    assert store_state() == []  # not even the source's folder
    listed = cli("measures", "runs", "--json", check=True)
    (row,) = json.loads(listed.stdout)
    assert (row["status"], row["stored_nothing"], row["events"], row["tickets"], row["valid"]) == (
        "rejected",
        True,
        0,
        0,
        3,
    )
    text = cli("measures", "runs", check=True).stdout
    assert "rejected: stored nothing; 28 records read, 3 valid, 25 rejected" in text
    report = cli("measures", "rejects", str(run.pk), check=True).stdout
    assert len(list(csv.reader(io.StringIO(report)))) == 26


@pytest.mark.django_db
def test_the_api_and_pages_never_show_a_run_that_stored_nothing_as_stored(strategist, api, tmp_path):  # noqa: F811
    source = desk()
    client = api(strategist)
    response = client.post(
        "/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("bad.csv", MANY_BAD.encode(), "text/csv")}
    )
    assert response.status_code == 422
    assert (
        "(rejected: stored nothing; 28 records read, 3 valid, 25 rejected (0 tolerated))"
        in response.json()["error"]["message"]
    )
    run = ImportBatch.objects.get()
    # A row written before runs said so holds the valid count as `events`: it is still not "stored".
    ImportBatch.objects.filter(pk=run.pk).update(events=3, tickets=2)
    data = client.get(f"/api/v1/import-runs/{run.pk}").json()
    assert (data["status"], data["stored_nothing"], data["events"], data["tickets"], data["valid"]) == (
        "rejected",
        True,
        0,
        0,
        3,
    )
    assert data["summary"].startswith("rejected: stored nothing")
    assert store_state() == [] and source.batches.count() == 1
    page = Client()
    page.force_login(strategist)
    history = page.get("/measures/runs/").content.decode()
    assert "stored nothing" in history and "3 valid records read" in history
    detail = page.get(f"/measures/runs/{run.pk}/").content.decode()
    assert "This run stored nothing." in detail and "<dt>Tickets</dt>" not in detail
    assert "Valid records (not stored)</dt><dd>3</dd>" in detail


@pytest.mark.django_db
def test_the_upload_page_preview_of_a_rejected_file_says_it_stores_nothing(strategist, tmp_path):  # noqa: F811
    desk()
    page = Client()
    page.force_login(strategist)
    before, folders = db_state(), store_state()
    response = page.post(
        "/measures/sources/desk/import/",
        {"file": SimpleUploadedFile("bad.csv", MANY_BAD.encode(), "text/csv"), "max_rejects": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Stored nothing." in html and "Valid (not stored)</dt><dd>3</dd>" in html
    assert "<dt>Stored</dt>" not in html and "To store" not in html
    assert db_state() == before and store_state() == folders
    many = GOOD + "".join(f"B{i},not a time,New,P3,Network\n" for i in range(103))
    response = page.post(
        "/measures/sources/desk/import/", {"file": SimpleUploadedFile("bad.csv", many.encode(), "text/csv")}
    )
    html = response.content.decode()
    assert "… and 3 more. A preview records no run" in html
    assert "csi measures import FILE --source desk --dry-run --rejects rejects.csv" in html
    assert db_state() == before and store_state() == folders


def stored_run(**fields: Any) -> ImportBatch:  # for the summary wording of each status
    return ImportBatch(rows_read=10, events=8, tickets=3, rejected=2, repeated=0, max_rejects=0, **fields)


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        ("committed", "committed: 10 records read, 8 stored, 3 tickets, 2 rejected"),
        ("deleted", "deleted: 8 records were stored, then taken out of the store"),
        ("rejected", "rejected: stored nothing; 10 records read, 8 valid, 2 rejected (0 tolerated)"),
        ("failed", "failed: stored nothing; 10 records read"),
        ("interrupted", "interrupted: stored nothing; 10 records read"),
        ("running", "running: nothing stored yet"),
    ],
)
def test_every_status_has_one_summary_that_cannot_read_as_stored(status, summary):
    run = stored_run(status=status)
    assert run.summary == summary
    assert run.stored_records == (8 if status in {"committed", "deleted"} else 0)
