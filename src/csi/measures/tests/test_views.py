"""The measures pages: who may see and do what, the two-step upload, import history, profiles, rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csi.catalog.tests.factories import ServiceFactory
from csi.core.testing import assert_page_access
from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.importer import import_file
from csi.measures.models import DataSource, ImportBatch, MappingProfile, ServiceMappingRule
from csi.measures.tests.conftest import CLI
from csi.measures.views import uploads

pytestmark = pytest.mark.django_db

HEADER = "ticket_id,event_at,state,priority,category\n"
GOOD = (
    HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
    "T1,2024-01-01T11:30:00Z,Resolved,P1,Email\n"
    "T2,2024-01-02T09:00:00Z,New,P3,Network\n"
)
ONE_BAD = HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\nT2,not a time,New,P3,Network\n"
PROFILE = """\
apiVersion: csi-workbench/v1
kind: MappingProfile
metadata:
  name: acme-desk
spec:
  name: ACME desk export
  sourceKind: ticket_events
  fields:
    ticket_id: Number
    event_at: Updated
    state: {column: State, optional: true}
"""
ACME_SAMPLE = "Number,Updated,State\nINC1,2024-03-01T08:00:00Z,New\nINC1,2024-03-01T09:00:00Z,Closed\n"


@pytest.fixture
def viewer(make_user: Any) -> Any:
    return make_user(roles=["viewer"], username="viewer")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(roles=["process-owner"], username="manager")


@pytest.fixture
def source(db: Any) -> DataSource:
    return services.source_create(
        actor=CLI, key="desk", name="Service desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )


@pytest.fixture
def service(db: Any) -> Any:
    return ServiceFactory(key="email", name="Email")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_file(content: str | bytes, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, "text/csv")


def committed(source: DataSource, tmp_path: Path, content: str = GOOD, **options: Any) -> ImportBatch:
    path = tmp_path / "in.csv"
    path.write_text(content)
    result = import_file(actor=CLI, source=source, path=path, **options)
    return ImportBatch.objects.get(pk=result.batch_id)


def leftover_uploads() -> list[Path]:
    folder = Path(settings.DATA_DIR) / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_read_pages_anonymous_viewer_and_manager(viewer, manager, source, tmp_path):
    batch = committed(source, tmp_path)
    for url in [
        "/measures/",
        "/measures/sources/desk/",
        "/measures/runs/",
        f"/measures/runs/{batch.pk}/",
        f"/measures/runs/{batch.pk}/rejects.csv",
        "/measures/profiles/",
        "/measures/profiles/csi-event-log/",
    ]:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
        assert signed_in(viewer).get(url).status_code == 200, url
        assert signed_in(manager).get(url).status_code == 200, url
    page = signed_in(viewer).get("/measures/").content.decode()
    assert "Service desk" in page and "Add a data source" not in page and "Import a file" not in page
    assert 'href="/measures/"' in page  # the Measures area is in the navigation
    assert signed_in(viewer).get("/measures/sources/nope/").status_code == 404
    assert signed_in(viewer).get("/measures/runs/999999/").status_code == 404


def test_write_pages_refuse_viewers_and_serve_data_managers(viewer, manager, source, service, tmp_path):
    profile, _ = services.profile_save(actor=CLI, text=PROFILE)
    rule = services.rule_create(
        actor=CLI, source=source, data={"service": service, "field": "category", "values": ["Email"]}
    )
    for url in [
        "/measures/sources/new/",
        "/measures/sources/desk/import/",
        "/measures/profiles/new/",
        f"/measures/profiles/{profile.key}/edit/",
        f"/measures/rules/{rule.pk}/edit/",
    ]:
        assert_page_access(url, forbidden=viewer, permitted=manager)
    assert_page_access(
        "/measures/sources/desk/edit/",
        method="post",
        data={"name": "Desk", "time_zone": "UTC", "profile": source.profile_id},
        forbidden=viewer,
        permitted=manager,
        ok=(302,),
    )
    assert_page_access(
        "/measures/sources/desk/rules/",
        method="post",
        data={"rule-service": service.pk, "rule-field": "category", "rule-values": "Mail"},
        forbidden=viewer,
        permitted=manager,
        ok=(302,),
    )
    assert_page_access(
        f"/measures/rules/{rule.pk}/delete/", method="post", forbidden=viewer, permitted=manager, ok=(302,)
    )
    batch = committed(source, tmp_path)
    assert_page_access(
        f"/measures/runs/{batch.pk}/delete/", method="post", forbidden=viewer, permitted=manager, ok=(302,)
    )
    assert_page_access(
        f"/measures/profiles/{profile.key}/delete/",
        method="post",
        forbidden=viewer,
        permitted=manager,
        ok=(302,),
    )
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.DELETED
    assert not MappingProfile.objects.filter(key=profile.key).exists()
    assert (
        signed_in(viewer).post("/measures/sources/desk/import/", {"file": csv_file(GOOD)}).status_code == 403
    )


def test_overview_shows_counts_and_last_import(manager, source, tmp_path):
    batch = committed(source, tmp_path)
    page = signed_in(manager).get("/measures/").content.decode()
    assert "Service desk" in page and "CSI Workbench event log (CSV)" in page and "UTC" in page
    assert f"/measures/runs/{batch.pk}/" in page and "Committed" in page
    assert "<td>3</td>" in page  # events of the committed batch
    assert "Add a data source" in page and "/measures/sources/desk/import/" in page


def test_add_a_source_then_change_its_settings(manager):
    client = signed_in(manager)
    profile = MappingProfile.objects.get(key="csi-event-log")
    response = client.post(
        "/measures/sources/new/",
        {"key": "Bad Key", "name": "", "profile": profile.pk, "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "lower-case letters" in body and "not a known time zone" in body
    assert not DataSource.objects.exists()
    response = client.post(
        "/measures/sources/new/",
        {"key": "desk", "name": "Desk", "profile": profile.pk, "time_zone": "Europe/Brussels"},
    )
    assert response.status_code == 302 and response["Location"] == "/measures/sources/desk/import/"
    other_kind = MappingProfile.objects.exclude(source_kind="ticket_events").first()
    response = client.post(
        "/measures/sources/desk/edit/",
        {"name": "Desk <b>EU</b>", "time_zone": "UTC", "profile": other_kind.pk},
    )
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    response = client.post(
        "/measures/sources/desk/edit/", {"name": "Desk <b>EU</b>", "time_zone": "UTC", "profile": profile.pk}
    )
    assert response.status_code == 302
    source = DataSource.objects.get(key="desk")
    assert (source.name, source.time_zone) == ("Desk <b>EU</b>", "UTC")
    page = client.get("/measures/sources/desk/").content.decode()
    assert "Desk &lt;b&gt;EU&lt;/b&gt;" in page and "<b>EU</b>" not in page


def test_two_step_upload_previews_then_imports(manager, source):
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(GOOD), "max_rejects": "0"})
    assert response.status_code == 200, response.content.decode()[:2000]
    body = response.content.decode()
    assert "Preview: nothing is stored yet" in body and "Import now" in body
    assert "T2" in body and "Network" in body and "2024-01-02 09:00:00" in body
    assert not ImportBatch.objects.exists()
    token = response.context["token"]
    assert token in client.session[uploads.SESSION_KEY]
    assert [p.name for p in leftover_uploads()] == [token]

    response = client.post("/measures/sources/desk/import/", {"token": token})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/measures/runs/{batch.pk}/"
    assert (batch.status, batch.events, batch.tickets, batch.file_name) == ("committed", 3, 2, "export.csv")
    assert leftover_uploads() == [] and token not in client.session.get(uploads.SESSION_KEY, {})
    page = client.get(response["Location"]).content.decode()
    assert "Imported 3 records of 2 tickets as batch" in page
    history = client.get("/measures/runs/?source=desk&status=committed").content.decode()
    assert f"/measures/runs/{batch.pk}/" in history and "export.csv" in history
    assert f"/measures/runs/{batch.pk}/" not in client.get("/measures/runs/?status=rejected").content.decode()
    # the same token again: already imported
    again = client.post("/measures/sources/desk/import/", {"token": token})
    assert again.status_code == 400 and ImportBatch.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        ("ticket_id,event_at,state\nT1,2024-01-01T10:00:00Z,Caf\xe9\n".encode("latin-1"), "UTF-8"),
        (b"id,when\nT1,2024-01-01T10:00:00Z\n", "ticket_id"),
    ],
    ids=["empty", "wrong-encoding", "missing-columns"],
)
def test_bad_uploads_show_the_report_and_store_nothing(manager, source, content, expected):
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(content, "bad.csv")})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was imported" in body and expected in body, body[body.find("import-report") :][:1500]
    assert "Import now" not in body
    assert not ImportBatch.objects.exists()
    assert leftover_uploads() == [] and not client.session.get(uploads.SESSION_KEY)


def test_forged_or_foreign_upload_tokens_are_refused(manager, make_user, source, tmp_path):
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(GOOD)})
    token = response.context["token"]
    other = signed_in(make_user(roles=["administrator"], username="other-admin"))
    for forged in [token, "A" * 32, "../../../etc/passwd", str(Path(settings.DATA_DIR) / "uploads" / token)]:
        refused = other.post("/measures/sources/desk/import/", {"token": forged})
        assert refused.status_code == 400 and "not open any more" in refused.content.decode()
    services.source_create(
        actor=CLI, key="other", name="Other", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    assert client.post("/measures/sources/other/import/", {"token": token}).status_code == 400
    assert not ImportBatch.objects.exists()
    # the owner's preview is still there and still imports
    assert client.post("/measures/sources/desk/import/", {"token": token}).status_code == 302
    assert ImportBatch.objects.get().status == BatchStatus.COMMITTED


def test_tolerated_rejects_are_imported_reported_and_downloadable(manager, source):
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(ONE_BAD), "max_rejects": "1"})
    body = response.content.decode()
    assert response.status_code == 200 and "Import now" in body
    assert "not a time" in body and "<td>3</td>" in body  # the reject's line
    response = client.post("/measures/sources/desk/import/", {"token": response.context["token"]})
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.events, batch.rejected) == ("committed", 1, 1)
    page = client.get(f"/measures/runs/{batch.pk}/").content.decode()
    assert "not a time" in page and "Download rejects (CSV)" in page and "Delete batch" in page
    download = client.get(f"/measures/runs/{batch.pk}/rejects.csv")
    assert download["Content-Type"].startswith("text/csv")
    assert f'filename="run-{batch.pk}-rejects.csv"' in download["Content-Disposition"]
    lines = download.content.decode().splitlines()
    assert lines[0] == "line,column,value,reason"
    assert lines[1].startswith("3,event_at,not a time,") and len(lines) == 2


def test_too_many_rejects_refuse_the_preview(manager, source):
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(ONE_BAD)})
    body = response.content.decode()
    assert response.status_code == 422 and "more than the 0 allowed" in body and "not a time" in body
    assert "Import now" not in body and not ImportBatch.objects.exists() and leftover_uploads() == []


def test_deleting_a_committed_batch_keeps_it_in_the_history(manager, source, tmp_path):
    batch = committed(source, tmp_path)
    client = signed_in(manager)
    response = client.post(f"/measures/runs/{batch.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/measures/runs/{batch.pk}/"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DELETED
    page = client.get(f"/measures/runs/{batch.pk}/").content.decode()
    assert "being recomputed" in page and "Delete batch" not in page
    response = client.post(f"/measures/runs/{batch.pk}/delete/", follow=True)
    assert "only committed batches can be deleted" in response.content.decode()


def test_rules_are_added_edited_and_deleted_with_a_recompute_notice(manager, source, service):
    client = signed_in(manager)
    response = client.post(
        "/measures/sources/desk/rules/",
        {"rule-service": service.pk, "rule-field": "category", "rule-values": "Email, Mail"},
        follow=True,
    )
    rule = ServiceMappingRule.objects.get()
    assert (rule.field, rule.values, rule.service_id) == ("category", ["Email", "Mail"], service.pk)
    assert "being recomputed" in response.content.decode()
    # HTMX: only the rules section comes back, with the notice and the error next to its field
    response = client.post(
        "/measures/sources/desk/rules/",
        {"rule-service": service.pk, "rule-expression": "category.startswith('Net') and"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<section id="rules"') and "<html" not in body
    assert 'id="errors-rule-expression"' in body and "field-error" in body
    response = client.post(
        "/measures/sources/desk/rules/",
        {"rule-service": service.pk, "rule-expression": "category.startswith('Net')"},
        HTTP_HX_REQUEST="true",
    )
    assert "being recomputed" in response.content.decode() and ServiceMappingRule.objects.count() == 2
    response = client.post("/measures/sources/desk/rules/", {"rule-service": service.pk})
    assert response.status_code == 422 and "Give either a field with its values or an expression" in (
        response.content.decode()
    )
    response = client.post(
        f"/measures/rules/{rule.pk}/edit/",
        {"rule-service": service.pk, "rule-field": "assignment_group", "rule-values": "Mail team\nMessaging"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.field, rule.values) == ("assignment_group", ["Mail team", "Messaging"])
    response = client.post(f"/measures/rules/{rule.pk}/delete/", HTTP_HX_REQUEST="true")
    assert "being recomputed" in response.content.decode() and ServiceMappingRule.objects.count() == 1


def test_profile_editor_saves_and_shows_problems_where_they_are(manager):
    client = signed_in(manager)
    assert "apiVersion: csi-workbench/v1" in client.get("/measures/profiles/new/").content.decode()
    bad = PROFILE.replace("event_at: Updated", "when: Updated")
    response = client.post("/measures/profiles/new/", {"text": bad, "action": "save"})
    body = response.content.decode()
    assert (
        response.status_code == 422 and "profile.yaml, document 1, spec" in body and "unknown field" in body
    )
    response = client.post("/measures/profiles/new/", {"text": "a: [", "action": "save"})
    assert response.status_code == 422 and "not valid YAML" in response.content.decode()
    builtin = PROFILE.replace("name: acme-desk", "name: csi-event-log")
    response = client.post("/measures/profiles/new/", {"text": builtin, "action": "save"})
    assert response.status_code == 422 and "exists already" in response.content.decode()
    assert not MappingProfile.objects.filter(builtin=False).exists()

    response = client.post("/measures/profiles/new/", {"text": PROFILE, "action": "save"})
    assert response.status_code == 302 and response["Location"] == "/measures/profiles/acme-desk/"
    profile = MappingProfile.objects.get(key="acme-desk")
    assert profile.name == "ACME desk export" and not profile.builtin
    detail = client.get("/measures/profiles/acme-desk/").content.decode()
    assert "event_at: Updated" in detail and "Edit" in detail
    edited = PROFILE.replace("ACME desk export", "ACME desk export v2")
    response = client.post("/measures/profiles/acme-desk/edit/", {"text": edited, "action": "save"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.name == "ACME desk export v2"
    assert "ACME desk export v2" in client.get("/measures/profiles/acme-desk/edit/").content.decode()


def test_builtin_profiles_are_copied_not_edited(manager):
    client = signed_in(manager)
    response = client.get("/measures/profiles/csi-event-log/edit/")
    assert (
        response.status_code == 302 and response["Location"] == "/measures/profiles/new/?copy=csi-event-log"
    )
    page = client.get(response["Location"]).content.decode()
    assert "name: csi-event-log-copy" in page and "(copy)" in page
    detail = client.get("/measures/profiles/csi-event-log/").content.decode()
    assert "built-in" in detail and "Copy into a new profile" in detail and "/edit/" not in detail


def test_profile_preview_reads_a_sample_and_stores_nothing(manager):
    client = signed_in(manager)
    before = (MappingProfile.objects.count(), DataSource.objects.count())
    response = client.post(
        "/measures/profiles/new/",
        {
            "text": PROFILE,
            "action": "preview",
            "sample": csv_file(ACME_SAMPLE, "sample.csv"),
            "time_zone": "UTC",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200, body[:3000]
    assert "First mapped records" in body and "INC1" in body and "2024-03-01 09:00:00" in body
    assert "acme-desk" in body  # the text stays in the editor
    assert (MappingProfile.objects.count(), DataSource.objects.count()) == before
    assert not ImportBatch.objects.exists() and leftover_uploads() == []
    response = client.post("/measures/profiles/new/", {"text": PROFILE, "action": "preview"})
    assert response.status_code == 422 and "Choose a sample file" in response.content.decode()


def test_home_lists_rejected_runs_for_data_managers(manager, viewer, source, tmp_path):
    committed(source, tmp_path, content=ONE_BAD)
    assert ImportBatch.objects.get().status == BatchStatus.REJECTED
    assert "1 import run was rejected this week" in signed_in(manager).get("/").content.decode()
    assert "import run" not in signed_in(viewer).get("/").content.decode()


def test_stale_uploads_are_swept(tmp_path):
    folder = uploads.uploads_dir() / ("x" * 32)
    folder.mkdir()
    uploads.sweep_stale(now=folder.stat().st_mtime + uploads.STALE_SECONDS + 1)
    assert not folder.exists()
    assert uploads.safe_name("../../etc/passwd") == "passwd" and uploads.safe_name("..") == "upload"
    assert uploads.safe_name("C:\\Users\\me\\export.csv") == "export.csv"


def test_a_profile_with_an_unknown_time_zone_is_refused_with_its_place(manager):
    odd = PROFILE.replace("  fields:\n", "  timestamps: {timeZone: Mars/Olympus}\n  fields:\n")
    response = signed_in(manager).post(
        "/measures/profiles/new/",
        {"text": odd, "action": "preview", "sample": csv_file(ACME_SAMPLE, "sample.csv")},
    )
    page = response.content.decode()
    assert (
        response.status_code == 422 and "spec.timestamps.timeZone" in page and "not a known time zone" in page
    )
    assert leftover_uploads() == []


def test_list_pages_keep_to_a_query_budget(manager, source, tmp_path, django_assert_max_num_queries):
    for n in range(3):
        services.source_create(
            actor=CLI, key=f"s{n}", name=f"S{n}", profile=MappingProfile.objects.get(key="csi-event-log")
        )
    for n in range(4):
        committed(source, tmp_path, content=GOOD + f"T{n + 9},2024-02-01T00:00:00Z,New,P1,Email\n")
    client = signed_in(manager)
    batch = ImportBatch.objects.first()
    for url in [
        "/measures/",
        "/measures/runs/",
        "/measures/profiles/",
        "/measures/sources/desk/",
        f"/measures/runs/{batch.pk}/",
    ]:
        with django_assert_max_num_queries(13):  # no query per row
            assert client.get(url).status_code == 200


def test_a_file_larger_than_the_in_memory_limit_is_streamed_and_imported(manager, source):
    rows = "".join(
        f"T{n},2024-01-01T10:{n % 60:02d}:00Z,New,P{n % 4 + 1},Category {n % 7}\n" for n in range(60_000)
    )
    content = (HEADER + rows).encode()
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    client = signed_in(manager)
    response = client.post("/measures/sources/desk/import/", {"file": csv_file(content, "big.csv")})
    assert response.status_code == 200, response.content.decode()[:2000]
    token = response.context["token"]
    assert (Path(settings.DATA_DIR) / "uploads" / token / "big.csv").stat().st_size == len(content)
    assert client.post("/measures/sources/desk/import/", {"token": token}).status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.events, batch.file_size) == ("committed", 60_000, len(content))


def test_the_upload_page_merges_and_its_replace_preview_tells_the_count_first(manager, source, tmp_path):
    first = committed(source, tmp_path)
    client = signed_in(manager)
    page = client.get("/measures/sources/desk/import/").content.decode()
    assert 'name="mode"' in page and "Replace" in page
    only = GOOD.splitlines(keepends=True)[0] + GOOD.splitlines(keepends=True)[1]
    response = client.post(
        "/measures/sources/desk/import/", {"file": csv_file(only, "only.csv"), "mode": "replace"}
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    body = response.content.decode()
    assert "Would be removed" in body and '<dd id="removed-events">1 ' in body
    assert ImportBatch.objects.count() == 1
    response = client.post("/measures/sources/desk/import/", {"token": response.context["token"]})
    batch = ImportBatch.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302 and (batch.mode, batch.removed_events, batch.seen_events) == (
        "replace",
        1,
        1,
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Removed" in detail and "Replace (the file" in detail
    history = client.get("/measures/runs/?source=desk").content.decode()
    assert "0 / 1 / 1" in history
