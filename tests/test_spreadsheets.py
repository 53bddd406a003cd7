"""Every CSV download neutralises spreadsheet formulas the way OWASP recommends: a text cell starting with
=, +, -, @, tab or CR gets a leading single quote; numbers stay numbers. Driven through the downloads a
person uses: the catalog export (API and CLI), an import run's rejects (page and CLI), the analytics CSV."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from csi.catalog.tests.conftest import owner, service, strategist, viewer  # noqa: F401 - shared fixtures
from csi.catalog.tests.factories import ServiceFactory
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile

pytestmark = pytest.mark.django_db

HOSTILE = {
    '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
    "+1+2": "'+1+2",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tcmd": "'\tcmd",
    "\rcmd": "'\rcmd",
    "plain text": "plain text",
    "a=b": "a=b",
}


def _rows(content: bytes | str) -> list[dict[str, str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_helper_quotes_text_only():
    from csi.core.spreadsheets import plain_cell, restore_cell, safe_cell

    for given, written in HOSTILE.items():
        assert safe_cell(given) == written
        assert restore_cell(written) == given
    assert [plain_cell(v) for v in (-3, -2.5, Decimal("-1.5"), None, True)] == [
        -3,
        -2.5,
        Decimal("-1.5"),
        "",
        "true",
    ]


def test_catalog_export_neutralises_and_reads_back_unchanged(strategist, api, cli):  # noqa: F811
    ServiceFactory(key="mail", name="=1+1", description="-2+3", strengths="@SUM(A1)", weaknesses="+cmd")
    response = api(strategist).get("/api/v1/catalog/export", {"format": "csv"})
    assert response.status_code == 200
    (row,) = _rows(response.content)
    assert (row["name"], row["description"], row["strengths"], row["weaknesses"]) == (
        "'=1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'+cmd",
    )
    from csi.catalog.imports.csv_io import services_csv_import
    from csi.core.permissions import SystemActor

    report = services_csv_import(actor=SystemActor("test"), texts=[("s.csv", response.content.decode())])
    assert not report.changed  # the quote is taken off again on import: the round trip is exact
    exported = cli("catalog", "export", "--csv", check=True).stdout
    assert _rows(exported)[0]["name"] == "'=1+1"


@pytest.fixture
def rejected_run(strategist, tmp_path: Path):  # noqa: F811
    source = measures_services.source_create(
        actor=strategist, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    path = tmp_path / "log.csv"
    path.write_text(
        'ticket_id,event_at,state\nT1,2024-01-10T08:00:00Z,New\nT2,=HYPERLINK("http://x"),New\nT3,-1,New\n'
    )
    result = import_file(actor=strategist, source=source, path=path)
    assert result.status == "rejected"
    return result


def test_rejects_download_page_and_cli_neutralise(strategist, rejected_run, cli):  # noqa: F811
    browser = Client()
    browser.force_login(strategist)
    response = browser.get(f"/measures/runs/{rejected_run.batch_id}/rejects.csv")
    assert response.status_code == 200
    values = [(r["line"], r["value"]) for r in _rows(response.content)]
    assert values == [("3", '\'=HYPERLINK("http://x")'), ("4", "'-1")]
    out = cli("measures", "rejects", str(rejected_run.batch_id), check=True).stdout
    assert [r["value"] for r in _rows(out)] == ['\'=HYPERLINK("http://x")', "'-1"]


def test_analytics_csv_neutralises_text_and_keeps_numbers(strategist, viewer, api, tmp_path):  # noqa: F811
    source = measures_services.source_create(
        actor=strategist, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    path = tmp_path / "log.csv"
    path.write_text(
        "ticket_id,event_at,state,category\nT1,2024-01-10T08:00:00Z,New,=2+3\n"
        "T2,2024-01-10T09:00:00Z,New,@cmd\nT3,2024-01-10T10:00:00Z,New,Email\n"
    )
    assert import_file(actor=strategist, source=source, path=path).status == "committed"
    response = api(viewer).get(
        "/api/v1/analytics/tickets", {"source": "desk", "by": "category", "format": "csv"}
    )
    assert response.status_code == 200
    rows = {r["key"]: r for r in _rows(response.content)}
    assert set(rows) == {"'=2+3", "'@cmd", "Email"}
    assert rows["'=2+3"]["tickets"] == "1" and rows["Email"]["events"] == "1"
