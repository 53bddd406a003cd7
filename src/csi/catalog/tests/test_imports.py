"""Catalog as code: Backstage and CSI Workbench YAML, CSV, with all-or-nothing validation."""

import pytest
import yaml
from django.conf import settings

from csi.accounts.models import User
from csi.catalog import services
from csi.catalog.imports import catalog_export, catalog_import
from csi.catalog.imports.csv_io import services_csv_export, services_csv_import
from csi.catalog.models import PortfolioRisk, Service, ServiceDependency, ServiceLevelPackage, Stakeholder
from csi.catalog.tests.factories import ProcessFactory, ServiceFactory, StakeholderFactory
from csi.core.cli import dump_yaml
from csi.core.documents import DocumentErrors
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor

pytestmark = pytest.mark.django_db
BACKSTAGE = settings.SHARED_DATA_DIR / "backstage-catalog"
needs_data = pytest.mark.skipif(
    not BACKSTAGE.exists(), reason=f"the Backstage examples are not at {BACKSTAGE} (set CSI_SHARED_DATA)"
)
SYSTEM = SystemActor("test")


def state():
    return (
        Service.objects.count(),
        Stakeholder.objects.count(),
        User.objects.count(),
        ServiceDependency.objects.count(),
        AuditEvent.objects.count(),
    )


@needs_data
def test_backstage_examples_import_idempotently():
    dry = catalog_import(actor=SYSTEM, paths=[BACKSTAGE], dry_run=True)
    assert dry.count("create") == 10 and state()[:4] == (0, 0, 0, 0)
    report = catalog_import(actor=SYSTEM, paths=[BACKSTAGE])
    assert report.count("create") == 10 and report.count("skip") == 1
    lookup = Service.objects.get(key="artist-lookup")
    assert (
        lookup.lifecycle_status == "pipeline"
        and lookup.owning_team.name == "team-a"
        and lookup.service_type == "technical"
    )
    assert Service.objects.get(key="backstage-existing").lifecycle_status == "live"
    assert Service.objects.get(key="audio-playback").category == "playback"
    portal = Service.objects.get(key="artist-engagement-portal")  # referenced by spec.system, created
    assert set(portal.dependencies.values_list("depends_on__key", flat=True)) == {
        "artist-lookup",
        "artists-db",
    }
    janelle = User.objects.get(username="janelle.dawe")
    assert (janelle.first_name, janelle.last_name, janelle.email) == (
        "Janelle",
        "Dawe",
        "janelle-dawe@example.com",
    )
    assert not janelle.has_usable_password()
    before = state()
    again = catalog_import(actor=SYSTEM, paths=[BACKSTAGE])
    assert not again.changed and state() == before


def test_backstage_import_keeps_what_csi_added(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: shop, description: Web shop}\n"
        "spec: {type: website, lifecycle: production, owner: user:olga}\n"
    )
    catalog_import(actor=SYSTEM, paths=[tmp_path])
    shop = Service.objects.get(key="shop")
    services.service_update(actor=SYSTEM, service=shop, data={"tier": 1, "tier_reason": "Revenue"})
    catalog_import(actor=SYSTEM, paths=[tmp_path])
    shop.refresh_from_db()
    assert shop.tier == 1 and shop.owner.username == "olga" and shop.lifecycle_status == "live"


def _rich_catalog():
    owner = User.objects.create_user("olivia")
    finance = StakeholderFactory(name="Finance", kind="internal_team", contact_email="fin@example.test")
    ProcessFactory(key="incident", name="Incident management", owner=owner)
    email = ServiceFactory(
        key="email",
        name="Email",
        owner=owner,
        tier=1,
        tier_reason="Everyone",
        charging_model="per_unit",
        price="4.50",
        currency="EUR",
        price_unit="mailbox per month",
        description="Mail\nand calendars",
    )
    dns = ServiceFactory(key="dns", name="DNS", service_type="technical")
    services.service_transition(actor=SYSTEM, service=email, verb="go_live")
    services.dependency_add(actor=SYSTEM, service=email, depends_on=dns, description="MX records")
    services.part_create(
        actor=SYSTEM, service=email, model=ServiceLevelPackage, data={"name": "Gold", "rank": 1}
    )
    services.part_create(
        actor=SYSTEM, service=email, model=PortfolioRisk, data={"title": "Spam", "likelihood": 4, "impact": 3}
    )
    services.stakeholder_link(
        actor=SYSTEM, service=email, stakeholder=finance, data={"relation": "customer", "interest": 5}
    )
    services.service_process_link(actor=SYSTEM, service=email, process=ProcessFactory(key="incident"))
    admin = services.role_create(actor=SYSTEM, service=email, data={"name": "Mail admin"})
    lead = services.role_create(actor=SYSTEM, service=email, data={"name": "Lead"})
    activity = services.activity_create(actor=SYSTEM, service=email, data={"name": "Create mailbox"})
    services.raci_set(actor=SYSTEM, activity=activity, role=lead, letter="A")
    services.raci_set(actor=SYSTEM, activity=activity, role=admin, letter="R")
    services.role_skill_set(actor=SYSTEM, role=admin, skill_name="Exchange", level=4)
    services.objective_create(
        actor=SYSTEM,
        data={"name": "Happier users", "period_start_date": "2027-01-01", "period_end_date": "2027-12-31"},
    )


def test_export_imports_back_to_the_same_state():
    _rich_catalog()
    first = dump_yaml(catalog_export(actor=SYSTEM))
    Service.objects.all().delete()
    Stakeholder.objects.all().delete()
    from csi.catalog.models import OrganisationObjective, Process

    Process.objects.all().delete()
    OrganisationObjective.objects.all().delete()
    catalog_import(actor=SYSTEM, documents=_docs(first))
    assert dump_yaml(catalog_export(actor=SYSTEM)) == first
    assert not catalog_import(actor=SYSTEM, documents=_docs(first)).changed


def _docs(text, name="export.yaml"):
    from csi.core.documents import Problems, load_text

    return load_text(text, name, Problems())


def test_native_import_replaces_parts_declaratively():
    _rich_catalog()
    docs = catalog_export(actor=SYSTEM)
    email = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "email")
    email["spec"]["packages"] = [{"name": "Silver", "rank": 2, "description": ""}]
    email["spec"]["delivery"]["activities"][0]["raci"] = {"Mail admin": "A", "Lead": "C"}
    catalog_import(actor=SYSTEM, documents=_docs(dump_yaml(docs)))
    service = Service.objects.get(key="email")
    assert list(service.packages.values_list("name", flat=True)) == ["Silver"]
    cells = {a.role.name: a.letter for a in service.activities.get().assignments.select_related("role")}
    assert cells == {"Mail admin": "A", "Lead": "C"}


BAD = {
    "missing required field": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {type: service, owner: team-a}\n",
        "spec.lifecycle",
    ),
    "wrong apiVersion for kind": (
        "apiVersion: backstage.io/v9\nkind: Component\nmetadata: {name: x}\nspec: {}\n",
        "apiVersion",
    ),
    "malformed reference": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {type: service, lifecycle: production, owner: 'group:a b/c'}\n",
        "spec.owner",
    ),
    "over-long text": (
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: '"
        + "n" * 201
        + "'}\n",
        "spec.name",
    ),
    "bad name": (
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: Not A Key}\nspec: {name: X}\n",
        "metadata.name",
    ),
    "unknown field": (
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: X, colour: red}\n",
        "spec.colour",
    ),
    "openslo in catalog": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n",
        "apiVersion",
    ),
    "unknown service ref": (
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: X, dependsOn: [{service: ghost}]}\n",
        "spec.dependsOn[0].service",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_documents_store_nothing(tmp_path, case):
    text, field = BAD[case]
    good = "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: fine}\nspec: {name: Fine}\n---\n"
    (tmp_path / "bad.yaml").write_text(good + text)
    with pytest.raises(DocumentErrors) as info:
        catalog_import(actor=SYSTEM, paths=[tmp_path / "bad.yaml"])
    message = str(info.value)
    assert "bad.yaml, document 2" in message and field in message, message
    assert state() == (0, 0, 0, 0, 0)


def test_duplicates_in_one_command_are_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: One}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: Two}\n"
    )
    with pytest.raises(DocumentErrors, match="also defined, differently"):
        catalog_import(actor=SYSTEM, paths=[tmp_path])
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "holds no document"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"key: [unclosed", "not valid YAML"),
        (b"- just\n- strings\n", "expected a mapping"),
    ],
)
def test_unreadable_files_are_reported(tmp_path, content, message):
    (tmp_path / "f.yaml").write_bytes(content)
    with pytest.raises(DocumentErrors, match=message):
        catalog_import(actor=SYSTEM, paths=[tmp_path / "f.yaml"])


def test_lifecycle_cannot_go_backwards(tmp_path):
    service = ServiceFactory(key="x")
    services.service_transition(actor=SYSTEM, service=service, verb="go_live")
    (tmp_path / "x.yaml").write_text(
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: X, lifecycle: pipeline}\n"
    )
    with pytest.raises(DocumentErrors, match="cannot go back"):
        catalog_import(actor=SYSTEM, paths=[tmp_path])
    service.refresh_from_db()
    assert service.name != "X"


def test_only_catalog_managers_import(make_user, tmp_path):
    from django.core.exceptions import PermissionDenied

    (tmp_path / "x.yaml").write_text(
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {name: X}\n"
    )
    with pytest.raises(PermissionDenied):
        catalog_import(actor=make_user(roles=["service-owner"]), paths=[tmp_path])


def test_csv_round_trip_and_errors(tmp_path):
    _rich_catalog()
    text = services_csv_export(actor=SYSTEM)
    assert text.splitlines()[0].startswith("key,name,description")
    assert not services_csv_import(actor=SYSTEM, texts=[("s.csv", text)]).changed
    edited = text.replace("Email,", "Email and calendar,", 1)
    assert services_csv_import(actor=SYSTEM, texts=[("s.csv", edited)]).count("update") == 1
    assert Service.objects.get(key="email").name == "Email and calendar"
    cases = {
        "": "file is empty",
        "key,colour\nx,red\n": "unknown column(s): colour",
        "name\nX\n": "missing column(s): key",
        "key,name,key\nx,X,x\n": "named twice",
        "key,name\nBad Key,X\n": "row 2, column key",
        "key,name,tier\nx,X,9\n": "row 2, column tier",
        "key,name\nx,X\nx,Y\n": "also on s.csv, row 2",
        "key,name,owner\nx,X,ghost\n": "no user is called 'ghost'",
        "key,name,charging_model\nx,X,fixed\n": "column price",
        "key;name\nnew;New\nemail;Email\n": None,
    }
    for content, message in cases.items():
        before = state()
        if message is None:
            services_csv_import(actor=SYSTEM, texts=[("s.csv", content)])
            assert Service.objects.filter(key="new").exists()
            continue
        with pytest.raises(DocumentErrors) as info:
            services_csv_import(actor=SYSTEM, texts=[("s.csv", content)])
        assert message in str(info.value), (content, str(info.value))
        assert state() == before
    (tmp_path / "latin1.csv").write_bytes("key,name\nx,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(DocumentErrors, match="CSV UTF-8"):
        services_csv_import(actor=SYSTEM, paths=[tmp_path / "latin1.csv"])


def test_cli_import_export_list(cli, tmp_path):
    (tmp_path / "svc.yaml").write_text(
        "apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: vpn}\nspec: {name: VPN, tier: 2}\n"
    )
    dry = cli("catalog", "import", str(tmp_path), "--dry-run", check=True)
    assert "1 created" in dry.stdout and "dry run" in dry.stdout and not Service.objects.exists()
    assert "1 created" in cli("catalog", "import", str(tmp_path), check=True).stdout
    listed = cli("catalog", "list", "--json", check=True)
    import json

    assert [s["key"] for s in json.loads(listed.stdout)] == ["vpn"]
    out = tmp_path / "export.yaml"
    cli("catalog", "export", "-o", str(out), check=True)
    assert yaml.safe_load(out.read_text())["spec"]["tier"] == 2
    bad = cli("catalog", "import", str(tmp_path / "missing.yaml"))
    assert bad.returncode != 0 and "no such file or folder" in bad.stderr


def test_import_and_export_over_the_api(make_user, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from csi.core.testing import assert_error_shape

    strategist = make_user(roles=["service-strategy-manager"])
    owner = make_user(roles=["service-owner"])
    good = b"apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: vpn}\nspec: {name: VPN}\n"

    def upload(client, content, name="c.yaml", **extra):
        return client.post("/api/v1/catalog/import", {"files": [SimpleUploadedFile(name, content)], **extra})

    assert_error_shape(upload(api(owner), good), 403)
    preview = upload(api(strategist), good, dry_run="true").json()
    assert preview["dry_run"] and preview["created"] == 1 and not Service.objects.exists()
    assert upload(api(strategist), good).json()["created"] == 1
    error = assert_error_shape(
        upload(
            api(strategist),
            b"apiVersion: csi-workbench/v1\nkind: Service\nmetadata: {name: x}\nspec: {}\n",
            "bad.yaml",
        ),
        422,
    )
    assert "bad.yaml, document 1, spec.name" in error["fields"]
    error = assert_error_shape(
        upload(api(strategist), "key,name\nx,Caf\xe9\n".encode("latin-1"), "s.csv"), 422
    )
    assert "s.csv" in error["fields"]
    assert upload(api(strategist), b"key,name\nnew,New\n", "s.csv").json()["created"] == 1
    exported = api(owner).get("/api/v1/catalog/export")
    assert exported["Content-Type"].startswith("application/yaml") and b"name: vpn" in exported.content
    assert api(owner).get("/api/v1/catalog/export", {"format": "csv"}).content.startswith(b"key,name")
