"""The measures API over HTTP: profiles, sources, rules, import runs and uploads."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from csi.catalog.tests.conftest import owner, service, strategist, viewer  # noqa: F401 - shared fixtures
from csi.core.testing import assert_api_access, assert_error_shape
from csi.measures import services
from csi.measures.choices import BatchStatus
from csi.measures.models import DataSource, ImportBatch, ImportReject, MappingProfile, ServiceMappingRule
from csi.measures.tests.conftest import CLI

pytestmark = pytest.mark.django_db
J = "application/json"
HEADER = "ticket_id,event_at,state,priority,category\n"
GOOD = (
    HEADER
    + "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
    + "T1,2024-01-01T12:00:00Z,Resolved,P1,Email\n"
    + "T2,2024-01-02T09:00:00Z,New,P3,Network\n"
)
PROFILE = """\
apiVersion: csi-workbench/v1
kind: MappingProfile
metadata:
  name: my-desk
spec:
  name: My desk export
  sourceKind: ticket_events
  format:
    type: csv
  fields:
    ticket_id: number
    event_at: updated
    state: status
  states:
    new: [Open]
    resolved: [Done]
    closed: [Closed]
"""
GOOD_BYTES = GOOD.encode()
HOSTILE = "<script>alert('x')</script> \"; DROP TABLE x; -- \u202e"


@pytest.fixture
def manager(strategist):  # noqa: F811 - the service strategy manager manages measured data
    return strategist


@pytest.fixture
def desk(db):
    return services.source_create(
        actor=CLI, key="desk", name="Desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )


def upload(client, key="desk", content=GOOD_BYTES, name="export.csv", **fields):
    return client.post(
        f"/api/v1/sources/{key}/imports", {"file": SimpleUploadedFile(name, content), **fields}
    )


def counts():
    return (
        MappingProfile.objects.count(),
        DataSource.objects.count(),
        ImportBatch.objects.filter(status=BatchStatus.COMMITTED).count(),
        ServiceMappingRule.objects.count(),
    )


# --- profiles -----------------------------------------------------------------------------------------


def test_profiles_read_by_everybody_signed_in(viewer, api):  # noqa: F811
    client = api(viewer)
    listed = client.get("/api/v1/profiles").json()
    keys = [p["key"] for p in listed["items"]]
    assert "csi-event-log" in keys and all(p["builtin"] for p in listed["items"])
    profile = client.get("/api/v1/profiles/csi-event-log").json()
    assert profile["source_kind"] == "ticket_events"
    assert profile["document"]["metadata"]["name"] == "csi-event-log"
    download = client.get("/api/v1/profiles/csi-event-log/yaml")
    assert download.status_code == 200 and download["Content-Type"].startswith("application/yaml")
    assert download["Content-Disposition"] == 'attachment; filename="csi-event-log.yaml"'
    assert b"name: csi-event-log" in download.content
    for url in ["/api/v1/profiles", "/api/v1/profiles/csi-event-log", "/api/v1/profiles/csi-event-log/yaml"]:
        assert_error_shape(api(None).get(url), 401)
    assert_error_shape(client.get("/api/v1/profiles/ghost"), 404)
    assert_error_shape(client.get("/api/v1/profiles/Not_A_Key"), 422)


def test_profile_create_update_delete(manager, viewer, api, token_for):  # noqa: F811
    created = assert_api_access(
        "/api/v1/profiles",
        method="post",
        data={"yaml": PROFILE},
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
        ok=(201,),
    ).json()
    assert (created["key"], created["name"], created["builtin"]) == ("my-desk", "My desk export", False)
    client = api(manager)
    updated = client.post(
        "/api/v1/profiles", {"yaml": PROFILE.replace("My desk export", "Renamed")}, content_type=J
    )
    assert updated.status_code == 200 and updated.json()["name"] == "Renamed"
    posted_back = client.get("/api/v1/profiles/my-desk/yaml").content.decode()
    again = client.post("/api/v1/profiles", {"yaml": posted_back}, content_type=J)
    assert again.status_code == 200 and again.json()["document"] == updated.json()["document"]
    assert_api_access(
        "/api/v1/profiles/my-desk",
        method="delete",
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
        ok=(204,),
    )
    assert not MappingProfile.objects.filter(key="my-desk").exists()


def test_bad_profiles_store_nothing(manager, desk, api):
    client = api(manager)
    before = counts()
    error = assert_error_shape(
        client.post(
            "/api/v1/profiles",
            {"yaml": PROFILE.replace("sourceKind: ticket_events", "sourceKind: x")},
            content_type=J,
        ),
        422,
    )
    assert any("sourceKind" in where for where in error["fields"]), error
    assert_error_shape(client.post("/api/v1/profiles", {"yaml": "a: [unclosed"}, content_type=J), 422)
    assert_error_shape(client.post("/api/v1/profiles", {"yaml": ""}, content_type=J), 422)
    assert_error_shape(client.post("/api/v1/profiles", {"yaml": PROFILE, "extra": 1}, content_type=J), 422)
    assert_error_shape(client.post("/api/v1/profiles", ["not", "an", "object"], content_type=J), 422)
    builtin = PROFILE.replace("name: my-desk", "name: csi-event-log")
    assert_error_shape(client.post("/api/v1/profiles", {"yaml": builtin}, content_type=J), 409)
    assert_error_shape(client.delete("/api/v1/profiles/csi-event-log"), 409)
    client.post("/api/v1/profiles", {"yaml": PROFILE}, content_type=J)
    services.source_create(
        actor=CLI, key="mine", name="Mine", profile=MappingProfile.objects.get(key="my-desk")
    )
    assert_error_shape(client.delete("/api/v1/profiles/my-desk"), 409)
    assert counts() == (before[0] + 1, before[1] + 1, *before[2:])
    assert MappingProfile.objects.get(key="csi-event-log").builtin


# --- sources ------------------------------------------------------------------------------------------


def test_sources_create_read_update(manager, viewer, owner, api, token_for):  # noqa: F811
    body = {
        "key": "desk",
        "name": HOSTILE,
        "profile": "csi-event-log",
        "time_zone": "Europe/Brussels",
        "description": "<b>not bold</b>",
    }
    created = assert_api_access(
        "/api/v1/sources",
        method="post",
        data=body,
        forbidden_token=token_for(owner),
        permitted_token=token_for(manager),
        ok=(201,),
    ).json()
    assert created == {
        "key": "desk",
        "name": HOSTILE,
        "kind": "ticket_events",
        "profile": "csi-event-log",
        "time_zone": "Europe/Brussels",
        "description": "<b>not bold</b>",
        "created_at": created["created_at"],
    }
    read = api(viewer).get("/api/v1/sources/desk")
    assert read["Content-Type"] == "application/json; charset=utf-8"
    assert read.json()["name"] == HOSTILE  # verbatim in JSON: escaping is the client's business
    assert_error_shape(api(None).get("/api/v1/sources/desk"), 401)
    assert_error_shape(api(viewer).get("/api/v1/sources/ghost"), 404)
    assert_api_access(
        "/api/v1/sources/desk",
        method="patch",
        data={"name": "Service desk", "time_zone": "UTC"},
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
    )
    source = DataSource.objects.get(key="desk")
    assert (source.name, source.time_zone, source.description) == ("Service desk", "UTC", "<b>not bold</b>")
    listed = api(viewer).get("/api/v1/sources").json()
    assert [s["key"] for s in listed["items"]] == ["desk"] and listed["count"] == 1


def test_bad_sources_store_nothing(manager, desk, api):
    client = api(manager)
    good = {"key": "new", "name": "New", "profile": "csi-event-log"}
    before = counts()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"profile": "ghost"}, "profile"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"key": "Bad Key"}, "key"),
        ({"key": "x" * 64}, "key"),
        ({"name": "x" * 201}, "name"),
        ({"surprise": True}, "surprise"),
        ({"profile": None}, "profile"),
    ]
    for change, field in cases:
        error = assert_error_shape(client.post("/api/v1/sources", {**good, **change}, content_type=J), 422)
        assert field in error["fields"], (change, error)
    assert_error_shape(client.post("/api/v1/sources", {**good, "key": "desk"}, content_type=J), 409)
    samples = {"profile": "csi-metric-samples"}
    assert (
        "profile"
        in assert_error_shape(client.patch("/api/v1/sources/desk", samples, content_type=J), 422)["fields"]
    )
    assert_error_shape(client.patch("/api/v1/sources/desk", {"key": "renamed"}, content_type=J), 422)
    assert_error_shape(client.patch("/api/v1/sources/desk", {"name": ""}, content_type=J), 422)
    for field in ("name", "profile", "time_zone"):
        error = assert_error_shape(client.patch("/api/v1/sources/desk", {field: None}, content_type=J), 422)
        assert field in error["fields"]
    assert counts() == before
    assert DataSource.objects.get(key="desk").profile.key == "csi-event-log"


def test_list_query_budgets(manager, viewer, service, api, django_assert_max_num_queries):  # noqa: F811
    profile = MappingProfile.objects.get(key="csi-event-log")
    for i in range(12):
        source = services.source_create(actor=CLI, key=f"src-{i}", name=f"Source {i}", profile=profile)
        batch = ImportBatch.objects.create(
            source=source,
            profile_key=profile.key,
            file_name="x.csv",
            file_sha256="",
            started_at="2024-01-01T00:00Z",
        )
        ImportReject.objects.create(batch=batch, line=i + 2, column="state", value="?", reason="missing")
        services.rule_create(
            actor=CLI,
            source=DataSource.objects.get(key="src-0"),
            data={"service": service, "field": "category", "values": [f"c{i}"]},
        )
    first_run = ImportBatch.objects.order_by("pk")[0]
    client = api(viewer)
    client.get("/api/v1/me")
    for url, expected in [
        ("/api/v1/sources", 12),
        ("/api/v1/profiles", MappingProfile.objects.count()),
        ("/api/v1/import-runs", 12),
        ("/api/v1/sources/src-0/rules", 12),
        (f"/api/v1/import-runs/{first_run.pk}/rejects", 1),
    ]:
        with django_assert_max_num_queries(4):
            assert client.get(url, {"page_size": 10}).json()["count"] == expected, url


# --- rules --------------------------------------------------------------------------------------------


def test_rules_lifecycle(manager, viewer, service, desk, api, token_for):  # noqa: F811
    created = assert_api_access(
        "/api/v1/sources/desk/rules",
        method="post",
        data={"service": "email", "field": "category", "values": ["Email", HOSTILE]},
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
        ok=(201,),
    ).json()
    assert (created["source"], created["service"], created["values"]) == ("desk", "email", ["Email", HOSTILE])
    rule_id = created["id"]
    listed = api(viewer).get("/api/v1/sources/desk/rules").json()
    assert [r["id"] for r in listed["items"]] == [rule_id]
    assert_error_shape(api(None).get("/api/v1/sources/desk/rules"), 401)
    changed = assert_api_access(
        f"/api/v1/rules/{rule_id}",
        method="patch",
        data={"field": None, "values": [], "expression": "priority == 'P1'"},
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
    ).json()
    assert (changed["field"], changed["values"], changed["expression"]) == ("", [], "priority == 'P1'")
    assert_api_access(
        f"/api/v1/rules/{rule_id}",
        method="delete",
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
        ok=(204,),
    )
    assert not ServiceMappingRule.objects.exists()
    assert_error_shape(api(manager).delete(f"/api/v1/rules/{rule_id}"), 404)


def test_bad_rules_store_nothing(manager, service, desk, api):  # noqa: F811
    client = api(manager)
    good = {"service": "email", "field": "category", "values": ["Email"]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"service": "ghost"}, "service"),
        ({"field": "colour"}, "field"),
        ({"values": []}, "values"),
        ({"values": [""]}, "values.0"),
        ({"field": None}, "expression"),
        ({"expression": "__import__('os')"}, "expression"),
        ({"field": None, "expression": "open('x')"}, "expression"),
        ({"position": -1}, "position"),
        ({"position": "1"}, "position"),
    ]
    for change, field in cases:
        error = assert_error_shape(
            client.post("/api/v1/sources/desk/rules", {**good, **change}, content_type=J), 422
        )
        assert field in error["fields"], (change, error)
    assert_error_shape(client.post("/api/v1/sources/ghost/rules", good, content_type=J), 404)
    assert not ServiceMappingRule.objects.exists()
    rule = client.post("/api/v1/sources/desk/rules", good, content_type=J).json()
    assert_error_shape(client.patch(f"/api/v1/rules/{rule['id']}", {"service": None}, content_type=J), 422)
    assert_error_shape(client.patch(f"/api/v1/rules/{rule['id']}", {"values": []}, content_type=J), 422)
    assert_error_shape(client.patch("/api/v1/rules/0", {"values": ["x"]}, content_type=J), 422)
    assert_error_shape(client.patch(f"/api/v1/rules/{2**63}", {"values": ["x"]}, content_type=J), 422)
    assert ServiceMappingRule.objects.get().values == ["Email"]


# --- uploads and import runs --------------------------------------------------------------------------


def test_upload_commits_and_the_run_reads_back(manager, viewer, owner, desk, api, token_for):  # noqa: F811
    assert_error_shape(upload(api(None)), 401)
    assert_error_shape(upload(api(viewer)), 403)
    assert_error_shape(upload(api(owner)), 403)
    assert not ImportBatch.objects.exists()
    response = upload(api(manager))
    assert response.status_code == 201, response.content
    outcome = response.json()
    assert (outcome["status"], outcome["rows_read"], outcome["events"], outcome["tickets"]) == (
        "committed",
        3,
        3,
        2,
    )
    run = outcome["run"]
    assert (run["status"], run["source"], run["file_name"], run["profile"]) == (
        "committed",
        "desk",
        "export.csv",
        "csi-event-log",
    )
    assert run["imported_by"] == manager.username and len(run["file_sha256"]) == 64
    client = api(viewer)
    assert client.get(f"/api/v1/import-runs/{run['id']}").json() == run
    listed = client.get("/api/v1/import-runs", {"source": "desk", "status": "committed"}).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert client.get("/api/v1/import-runs", {"status": "rejected"}).json()["count"] == 0
    assert client.get("/api/v1/import-runs", {"source": "other"}).json()["count"] == 0
    assert_error_shape(client.get("/api/v1/import-runs", {"status": "sideways"}), 422)
    assert_error_shape(api(None).get("/api/v1/import-runs"), 401)
    assert_error_shape(client.get("/api/v1/import-runs/999999"), 404)

    again = upload(api(manager))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["duplicate_of"] == run["id"] and again.json()["run"] is None
    assert ImportBatch.objects.count() == 1


def test_dry_run_previews_and_stores_nothing(manager, desk, api):
    response = upload(api(manager), dry_run="true")
    assert response.status_code == 200, response.content
    outcome = response.json()
    assert (outcome["status"], outcome["events"], outcome["valid"], outcome["run"]) == ("dry-run", 0, 3, None)
    assert outcome["stored_nothing"] and outcome["summary"].endswith("stored nothing")
    assert outcome["preview_columns"][:3] == ["ticket_id", "event_at", "line"]
    assert [row[0] for row in outcome["preview"]] == ["T1", "T1", "T2"]
    assert not ImportBatch.objects.exists()


def test_rejected_upload_reports_rejects_and_commits_nothing(manager, viewer, desk, api):  # noqa: F811
    hostile_value = '=HYPERLINK("http://x")<img src=x>'
    content = (GOOD + f"T3,{hostile_value},New,P1,Email\nT4,2024-13-45,New,P1,Email\n").encode()
    error = assert_error_shape(upload(api(manager), content=content), 422)
    assert error["message"].startswith("Rejected: 2 record(s) rejected")
    run = ImportBatch.objects.get()
    assert run.status == BatchStatus.REJECTED and f"Run #{run.pk}" in error["message"]
    assert repr(hostile_value) in error["fields"]["line 5, event_at"][0]
    assert set(error["fields"]) == {"line 5, event_at", "line 6, event_at"}

    client = api(viewer)
    rejects = client.get(f"/api/v1/import-runs/{run.pk}/rejects").json()
    assert rejects["count"] == 2
    assert [(r["line"], r["column"], r["value"]) for r in rejects["items"]] == [
        (5, "event_at", hostile_value),
        (6, "event_at", "2024-13-45"),
    ]
    download = client.get(f"/api/v1/import-runs/{run.pk}/rejects.csv")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="import-run-{run.pk}-rejects.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    # The download neutralises the formula (OWASP): a leading quote; the API's JSON keeps the value as read.
    assert rows[0] == ["line", "column", "value", "reason"] and rows[1][:3] == [
        "5",
        "event_at",
        "'" + hostile_value,
    ]
    assert_error_shape(api(None).get(f"/api/v1/import-runs/{run.pk}/rejects.csv"), 401)
    assert_error_shape(client.get("/api/v1/import-runs/999999/rejects.csv"), 404)

    tolerated = upload(api(manager), content=content, max_rejects="2")
    assert tolerated.status_code == 201 and tolerated.json()["events"] == 3
    assert [r["line"] for r in tolerated.json()["rejects"]] == [5, 6]


BAD_UPLOADS: dict[str, tuple[dict[str, Any], str, str | None]] = {
    "empty file": ({"content": b""}, "file", None),
    "header only": ({"content": HEADER.encode()}, "file", "no records"),
    "missing columns": ({"content": b"ticket,when\nT1,2024-01-01\n"}, "file", "missing column(s)"),
    "wrong encoding": (
        {"content": (GOOD + "T3,2024-01-03T10:00:00Z,New,P1,Caf\xe9\n").encode("latin-1")},
        "line 5",
        "not valid UTF-8",
    ),
    "negative max_rejects": ({"max_rejects": "-1"}, "max_rejects", None),
    "oversize max_rejects": ({"max_rejects": str(10**13)}, "max_rejects", None),
    "text max_rejects": ({"max_rejects": "many"}, "max_rejects", None),
    "odd dry_run": ({"dry_run": "perhaps"}, "dry_run", None),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_are_refused_and_commit_nothing(case, manager, desk, api):
    options, field, text = BAD_UPLOADS[case]
    before = counts()
    error = assert_error_shape(upload(api(manager), **options), 422)
    assert any(where.startswith(field) for where in error["fields"]), error
    if text:
        said = [error["message"], *(m for messages in error["fields"].values() for m in messages)]
        assert any(text in line for line in said), error
    assert counts() == before
    assert not ImportReject.objects.exclude(batch__status=BatchStatus.REJECTED).exists()


def test_upload_edge_cases(manager, desk, api, settings):
    client = api(manager)
    assert (
        "file"
        in assert_error_shape(client.post("/api/v1/sources/desk/imports", {"dry_run": "true"}), 422)["fields"]
    )
    assert_error_shape(upload(client, key="ghost"), 404)
    # A body cut off inside the file part holds no file; one without a (valid) boundary cannot be read.
    truncated = client.post(
        "/api/v1/sources/desk/imports",
        data=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nT1',
        content_type="multipart/form-data; boundary=xyz",
    )
    assert "file" in assert_error_shape(truncated, 422)["fields"]
    for content_type in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\x01",
    ]:
        bad = client.post("/api/v1/sources/desk/imports", data=b"x", content_type=content_type)
        assert_error_shape(bad, 400)
    # The file's own name, reduced to its last path part, names the run and the messages.
    named = upload(client, name="../../etc/<img src=x onerror=alert(1)>.csv")
    assert named.status_code == 201 and named.json()["run"]["file_name"] == "<img src=x onerror=alert(1)>.csv"
    settings.CSI_MAX_UPLOAD_BYTES = 100
    too_big = assert_error_shape(upload(client, content=GOOD.encode() * 2), 413)
    assert "100 bytes" in too_big["message"]
    settings.CSI_MAX_UPLOAD_BYTES = len(GOOD) - 1
    assert_error_shape(upload(client), 413)
    assert ImportBatch.objects.count() == 1


def test_delete_a_committed_run(manager, viewer, desk, api, token_for):  # noqa: F811
    run_id = upload(api(manager)).json()["run"]["id"]
    deleted = assert_api_access(
        f"/api/v1/import-runs/{run_id}",
        method="delete",
        forbidden_token=token_for(viewer),
        permitted_token=token_for(manager),
    ).json()
    assert deleted["status"] == "deleted" and deleted["deleted_at"]
    assert_error_shape(api(manager).delete(f"/api/v1/import-runs/{run_id}"), 409)
    rejected = upload(api(manager), content=(GOOD + "T3,bad,New,P1,Email\n").encode())
    assert rejected.status_code == 422
    rejected_id = ImportBatch.objects.get(status=BatchStatus.REJECTED).pk
    assert_error_shape(api(manager).delete(f"/api/v1/import-runs/{rejected_id}"), 409)
    assert ImportBatch.objects.filter(status=BatchStatus.COMMITTED).count() == 0


def test_a_file_larger_than_the_in_memory_limit_is_imported(manager, desk, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    rows = "".join(f"T{i},2024-01-01T10:00:00Z,New,P1,Email\n" for i in range(100))
    response = upload(api(manager), content=(HEADER + rows).encode())
    assert response.status_code == 201, response.content


def test_an_upload_merges_by_default_and_replaces_when_asked(manager, desk, api):
    client = api(manager)
    assert upload(client).status_code == 201
    later = HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\nT1,2024-01-03T10:00:00Z,Closed,P1,Email\n"
    merged = upload(client, content=later.encode(), name="later.csv")
    assert merged.status_code == 201, merged.content
    data = merged.json()
    assert (data["mode"], data["new_events"], data["seen_events"], data["gaining_tickets"]) == (
        "merge",
        1,
        1,
        1,
    )
    assert (data["run"]["mode"], data["run"]["new_events"], data["run"]["seen_events"]) == ("merge", 1, 1)
    only = (HEADER + "T1,2024-01-01T10:00:00Z,New,P1,Email\n").encode()
    dry = upload(client, content=only, name="only.csv", mode="replace", dry_run="true")
    assert dry.status_code == 200 and (dry.json()["status"], dry.json()["removed_events"]) == ("dry-run", 2)
    assert ImportBatch.objects.filter(status=BatchStatus.COMMITTED).count() == 2
    done = upload(client, content=only, name="only.csv", mode="replace")
    assert done.status_code == 201 and done.json()["run"]["removed_events"] == 2
    run = client.get(f"/api/v1/import-runs/{done.json()['run']['id']}").json()
    assert (run["mode"], run["removed_events"], run["seen_events"]) == ("replace", 2, 1)
    bad = upload(client, content=only, name="other.csv", mode="upsert")
    assert_error_shape(bad, 422)
    assert ImportBatch.objects.filter(status=BatchStatus.COMMITTED).count() == 3


def test_replace_is_refused_for_a_metric_source(manager, api):
    services.source_create(
        actor=CLI, key="probes", name="Probes", profile=MappingProfile.objects.get(key="csi-metric-samples")
    )
    response = upload(
        api(manager),
        key="probes",
        content=b"metric,sampled_at,value\nup,2024-01-01T00:00:00Z,1\n",
        mode="replace",
    )
    assert_error_shape(response, 422)
    assert "Replace applies to ticket sources" in response.content.decode()
    assert not ImportBatch.objects.filter(source__key="probes").exists()


def test_an_upload_with_no_valid_record_stores_nothing_even_when_tolerated(manager, desk, api):
    assert upload(api(manager)).status_code == 201
    before = counts()
    content = (HEADER + "T9,31/31/2016 99:99,New,P1,Email\n").encode()
    error = assert_error_shape(upload(api(manager), content=content, max_rejects="5"), 422)
    assert "no record passed the checks; nothing was stored" in error["message"]
    assert counts() == before
    assert ImportBatch.objects.filter(status=BatchStatus.COMMITTED).count() == 1
    assert ImportBatch.objects.get(status=BatchStatus.REJECTED).events == 0
