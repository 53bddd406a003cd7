"""An archive the readers refuse gives the same clear message everywhere: a 422 from the API (over HTTP,
with a token), a one-line error and a non-zero exit from `csi measures import` (a real subprocess, no
traceback), and the upload page's report. Nothing is stored by any of them."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csi.core.testing import assert_error_shape
from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.models import ImportBatch, MappingProfile
from csi.measures.tests.conftest import CLI
from csi.measures.tests.zips import bomb_zip, encrypted_zip, unknown_method_zip

ARCHIVES = {
    "encrypted": (encrypted_zip, "export.zip: export.csv is encrypted; unzip it with its password"),
    "unknown compression": (unknown_method_zip, "export.zip: export.csv is compressed with method 99"),
    "zip bomb": (lambda: bomb_zip(64 * 1024 * 1024), "refused as a zip bomb"),
}


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_a_refused_archive_says_the_same_on_the_api_the_cli_and_the_page(
    case, cli, make_user, token_for, tmp_path
):
    build, expected = ARCHIVES[case]
    content = build()
    services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    manager = make_user(roles=["process-owner"], username="manager")

    api = Client(headers={"Authorization": f"Bearer {token_for(manager)}"})
    response = api.post("/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("export.zip", content)})
    error = assert_error_shape(response, 422)
    (message,) = error["fields"]["file"]
    assert expected in message and error["message"].startswith(f"Failed: {message}")

    path = tmp_path / "export.zip"
    path.write_bytes(content)
    run = cli("measures", "import", str(path), "--source", "desk")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert run.stderr.strip() == f"CommandError: {message}"

    page = Client()
    page.force_login(manager)
    shown = page.post("/measures/sources/desk/import/", {"file": SimpleUploadedFile("export.zip", content)})
    assert shown.status_code == 422 and html.escape(message) in shown.content.decode()

    assert not ImportBatch.objects.filter(status=BatchStatus.COMMITTED).exists()
    assert [b.status for b in ImportBatch.objects.all()] == [
        BatchStatus.FAILED
    ] * 2  # the API's and the CLI's
    leftovers = list((Path(tmp_path) / "csi-data" / "measures").glob("source=*/*"))
    assert leftovers == []


@pytest.mark.django_db
def test_the_api_answers_bad_values_with_their_place_and_counts_repeats(make_user, token_for):
    services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    manager = make_user(roles=["process-owner"], username="manager")
    api = Client(headers={"Authorization": f"Bearer {token_for(manager)}"})
    header = "ticket_id,event_at,state,reassignment_count\n"
    bad = (
        header
        + "T1,-0001-01-01T00:00:00Z,New,0\nT2,2024-01-01T00:00:00Z,New,-4\nT3,2024-01-01T00:00:00Z,N\x00,1\n"
    )
    response = api.post("/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("bad.csv", bad.encode())})
    error = assert_error_shape(response, 422)  # a TypeError and a 500 for the year -0001 before
    assert sorted(error["fields"]) == ["line 2, event_at", "line 3, reassignment_count", "line 4, state"]
    assert "between 1900-01-01 and 2199-12-31" in error["fields"]["line 2, event_at"][0]

    repeated = header + "T1,2024-01-01T00:00:00Z,New,0\n" * 3
    response = api.post(
        "/api/v1/sources/desk/imports", {"file": SimpleUploadedFile("r.csv", repeated.encode())}
    )
    assert response.status_code == 201, response.content
    outcome = response.json()
    assert (outcome["events"], outcome["repeated"], outcome["run"]["repeated"]) == (1, 2, 2)
    assert "2 record(s) identical to an earlier record of the file were kept once" in outcome["message"]
