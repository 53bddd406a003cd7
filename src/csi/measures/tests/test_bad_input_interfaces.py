"""Issue 12's bad input through every interface: a file in another encoding, a gzip file over the bound,
an empty required value. The API (422), `csi measures import` (a real subprocess, one-line error) and the
upload page say the same, and nothing is stored; a good gzip export imports through all three."""

from __future__ import annotations

import codecs
import gzip
import html
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csi.core.testing import assert_error_shape
from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.models import ImportBatch, MappingProfile
from csi.measures.tests.conftest import CLI

HEADER = "ticket_id,event_at,state\n"
ROWS = "".join(  # 3,000 different events of 7 tickets, about 90 kB
    f"T{i % 7},2024-02-{1 + i % 28:02d}T{i // 28 % 24:02d}:{i // 672:02d}:00Z,New\n" for i in range(3000)
)
REFUSED = {
    "utf-16": (
        codecs.BOM_UTF16_LE + (HEADER + ROWS).encode("utf-16-le"),
        "export.csv, line 1: the file starts with the byte order mark of UTF-16 little-endian, not utf-8 as "
        "the profile says; set format.encoding: utf-16 in the profile (or save the file as UTF-8)",
    ),
    "gzip over the bound": (
        gzip.compress((HEADER + ROWS).encode()),
        "export.csv: the gzip-compressed content expands to more than 50,000 bytes, the most this server "
        "unpacks (CSI_MAX_UNZIPPED_BYTES)",
    ),
}


def store_files() -> list[str]:
    root = Path(settings.DATA_DIR) / "measures"
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".spill" not in p.parts)
        if root.exists()
        else []
    )


def clients(make_user: Any, token_for: Any) -> tuple[Client, Client]:
    services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    manager = make_user(roles=["process-owner"], username="manager")
    page = Client()
    page.force_login(manager)
    return Client(headers={"Authorization": f"Bearer {token_for(manager)}"}), page


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_file_says_the_same_everywhere_and_stores_nothing(
    case, cli, make_user, token_for, tmp_path, monkeypatch
):
    content, expected = REFUSED[case]
    monkeypatch.setattr(settings, "CSI_MAX_UNZIPPED_BYTES", 50_000)
    monkeypatch.setenv("CSI_MAX_UNZIPPED_BYTES", "50000")  # for the subprocess
    api, page = clients(make_user, token_for)

    error = assert_error_shape(
        api.post("/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("export.csv", content)}), 422
    )
    (message,) = error["fields"]["file"]
    assert message.startswith(expected) and error["message"].startswith(f"Failed: {message}")
    assert "stored nothing" in error["message"]

    path = tmp_path / "export.csv"
    path.write_bytes(content)
    run = cli("measures", "import", str(path), "--source", "desk")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == f"CommandError: {message}"
    assert run.stdout.startswith("failed: stored nothing")

    shown = page.post("/measures/sources/desk/import/", {"file": SimpleUploadedFile("export.csv", content)})
    assert shown.status_code == 422 and html.escape(message) in shown.content.decode()
    assert "Stored nothing." in shown.content.decode()

    assert [b.status for b in ImportBatch.objects.all()] == [BatchStatus.FAILED] * 2  # the API's, the CLI's
    assert store_files() == []


def test_a_gzip_export_imports_through_the_api_the_cli_and_the_page(cli, make_user, token_for, tmp_path):
    api, page = clients(make_user, token_for)
    lines = ROWS.splitlines(keepends=True)
    first = gzip.compress((HEADER + "".join(lines[:1000])).encode())
    response = api.post("/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("a.csv.gz", first)})
    assert response.status_code == 201, response.content
    assert response.json()["events"] == 1000

    second = tmp_path / "b.csv.gz"
    second.write_bytes(gzip.compress((HEADER + "".join(lines[1000:])).encode()))
    run = cli("measures", "import", str(second), "--source", "desk", check=True)
    assert run.stdout.startswith(
        "committed: 2000 records read, 2000 new events stored, 7 tickets, 0 rejected"
    )

    preview = page.post(
        "/measures/sources/desk/import/",
        {
            "file": SimpleUploadedFile(
                "c.csv.gz", gzip.compress((HEADER + "T9,2024-03-01T08:00:00Z,New\n").encode())
            )
        },
    )
    assert preview.status_code == 200 and "To store</dt><dd>1</dd>" in preview.content.decode()


@pytest.mark.django_db
def test_an_empty_required_value_says_empty_on_the_api(make_user, token_for):
    api, _ = clients(make_user, token_for)
    content = (HEADER + "T1,2024-01-01T00:00:00Z,New\nT2,,New\n").encode()
    error = assert_error_shape(
        api.post("/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("e.csv", content)}), 422
    )
    assert error["fields"] == {"line 3, event_at": ["event_at is empty; a value is required"]}
    assert "rejected: stored nothing; 2 records read, 1 valid, 1 rejected (0 tolerated)" in error["message"]
