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
