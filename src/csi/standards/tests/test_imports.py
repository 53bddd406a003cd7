"""Standards as code: OpenSLO v1, v1alpha, v2alpha and CSI Workbench YAML."""

import json
from datetime import UTC, datetime, time

import pytest
from django.conf import settings

from csi.catalog.models import Service
from csi.catalog.tests.factories import ServiceFactory
from csi.core.cli import dump_yaml
from csi.core.documents import DocumentErrors, Problems, load_text
from csi.core.models import AuditEvent
from csi.core.permissions import SystemActor
from csi.standards import services
from csi.standards.imports import standards_export, standards_import
from csi.standards.models import Calendar, ServiceStandard, SpecDocument, StandardVersion
from csi.standards.tests.test_services import RESOLUTION

pytestmark = pytest.mark.django_db
OPENSLO = settings.SHARED_DATA_DIR / "openslo"
needs_data = pytest.mark.skipif(
    not OPENSLO.exists(), reason=f"the OpenSLO examples are not at {OPENSLO} (set CSI_SHARED_DATA)"
)
SYSTEM = SystemActor("test")


def stored():
    return (
        ServiceStandard.objects.count(),
        StandardVersion.objects.count(),
        SpecDocument.objects.count(),
        Service.objects.count(),
        Calendar.objects.count(),
        AuditEvent.objects.count(),
    )


def docs(text, name="in.yaml"):
    return load_text(text, name, Problems())


# Published examples that `oslo validate` (the OpenSLO go-sdk) refuses: an objective gives `op` with an
# inline ratioMetric (oslo's own test output for the SDK example: "'spec.objectives[0].op' ... property is
# forbidden"). They are refused the same way; without the op they import, except the spec's timeslices
# example, whose calendar window of 1 minute ("1m", meant as a month, says its comment) is refused too.
OP_WITH_RATIO = {
    "sdk/pkg/openslo/v1/examples/slos.yaml",
    "sdk/pkg/openslo/v2alpha/examples/slos.yaml",
    "spec/examples/budgeting-method/ratio-timeslices.yaml",
    "spec/examples/budgeting-method/timeslices-slo.yaml",
    "spec/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml",
}
ONE_MINUTE = "spec/examples/budgeting-method/timeslices-slo.yaml"


def _without_op(path):
    """The documents of `path` with the op of every SLO objective removed."""
    documents = docs(path.read_text(), str(path))
    for document in documents:
        if document.kind == "SLO":
            for objective in document.data["spec"]["objectives"]:
                objective.pop("op", None)
    return documents


@needs_data
def test_every_openslo_example_imports_file_by_file_and_again_unchanged():
    files = sorted(OPENSLO.rglob("*.yaml"))
    assert len(files) == 20
    kinds = set()
    for path in files:
        relative = str(path.relative_to(OPENSLO))
        if relative in OP_WITH_RATIO:
            with pytest.raises(DocumentErrors) as info:
                standards_import(actor=SYSTEM, paths=[path])
            assert [str(p).split(", ", 1)[1] for p in info.value.problems] == [
                "document 1, spec.objectives[0].op: forbidden with a ratioMetric indicator (a ratio is judged "
                "by its target alone; only a thresholdMetric compares values): remove it"
            ], relative
            if relative == ONE_MINUTE:
                with pytest.raises(
                    DocumentErrors, match=r"spec.timeWindow\[0\].duration: a window of 1 minute"
                ):
                    standards_import(actor=SYSTEM, documents=_without_op(path))
                continue
            report = standards_import(actor=SYSTEM, documents=_without_op(path))
            assert not standards_import(actor=SYSTEM, documents=_without_op(path)).changed, path
        else:
            report = standards_import(actor=SYSTEM, paths=[path])
            assert not standards_import(actor=SYSTEM, paths=[path]).changed, path
        assert report.changes, path
        kinds |= {change.kind for change in report.changes}
    assert kinds == {
        "Service",
        "SLI",
        "Standard",  # an SLO is reported as the standards it makes, one per objective
        "DataSource",
        "AlertPolicy",
        "AlertCondition",
        "AlertNotificationTarget",
    }
    search = ServiceStandard.objects.get(key="search-slo")
    version = search.current
    assert search.kind == "slo" and search.service.key == "web-shop"  # the SLO's service was created
    assert (version.comparator, version.threshold, version.target_percent, version.budgeting_method) == (
        "lt",
        500,
        99,
        "occurrences",
    )
    assert (version.window_kind, version.window_days) == ("rolling", 14)
    main_page = ServiceStandard.objects.get(key="main-page").current
    assert main_page.budgeting_method == "ratio_timeslices"
    weekly = ServiceStandard.objects.get(key="web-latency-threshold").current  # v1alpha
    assert (weekly.window_kind, weekly.calendar_period, weekly.window_time_zone) == (
        "calendar",
        "week",
        "America/New_York",
    )


@needs_data
def test_openslo_export_reimports_unchanged():
    folder = OPENSLO / "sdk/pkg/openslo/v2alpha/examples"
    documents = [d for path in sorted(folder.glob("*.yaml")) for d in _without_op(path)]
    standards_import(actor=SYSTEM, documents=documents)
    exported = dump_yaml(standards_export(actor=SYSTEM, fmt="openslo"))
    assert not standards_import(actor=SYSTEM, documents=docs(exported)).changed


def test_dry_run_stores_nothing():
    text = (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: api-latency}\nspec:\n  service: api\n  indicatorRef: latency\n"
        "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 28d, isRolling: true}]\n  objectives: [{op: lte, value: 300, target: 0.95}]\n"
    )
    report = standards_import(actor=SYSTEM, documents=docs(text), dry_run=True)
    assert report.count("create") == 1 and stored() == (0, 0, 0, 0, 0, 0)
    standards_import(actor=SYSTEM, documents=docs(text))
    assert ServiceStandard.objects.get().current.custom_metric == "latency"


SLO = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: ok-slo}\nspec: {service: api, indicatorRef: lat, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n"
BAD = {
    "missing required field": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}]}\n",
        "spec.objectives",
    ),
    "wrong apiVersion for kind": (
        "apiVersion: openslo/v1alpha\nkind: SLI\nmetadata: {name: x}\nspec: {ratioMetric: {}}\n",
        "apiVersion",
    ),
    "malformed reference": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicatorRef: 'Bad Ref!', budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n",
        "spec.indicatorRef",
    ),
    "malformed alert reference": (
        "apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: x}\nspec: {conditions: [{conditionRef: NOPE}], notificationTargets: [{targetRef: t}]}\n",
        "spec.conditions",
    ),
    "over-long text": (
        "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x}\nspec: {description: '"
        + "d" * 1051
        + "'}\n",
        "spec.description",
    ),
    "bad name": (
        "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: Not_Valid}\nspec: {}\n",
        "metadata.name",
    ),
    "bad budgeting": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicatorRef: l, budgetingMethod: Sometimes, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n",
        "spec.budgetingMethod",
    ),
    "bad target": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicatorRef: l, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 99}]}\n",
        "spec.objectives[0].target",
    ),
    "two indicators": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicatorRef: l, indicator: {spec: {}}, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n",
        "spec",
    ),
    "bad time zone": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicatorRef: l, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, calendar: {timeZone: Mars/Base}}], objectives: [{target: 0.9}]}\n",
        "spec.timeWindow[0].calendar",
    ),
    "sli without metric": (
        "apiVersion: openslo.com/v2alpha\nkind: SLI\nmetadata: {name: x}\nspec: {description: nothing}\n",
        "spec",
    ),
    "unknown kind": ("apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: x}\nspec: {}\n", "kind"),
    "native unknown calendar": (
        "apiVersion: csi-workbench/v1\nkind: Standard\nmetadata: {name: s}\nspec: {service: api, name: S, versions: [{effectiveAt: '2026-01-01T00:00:00Z', metric: response_time, threshold: 1, targetPercent: 90, calendarPeriod: month, calendar: ghost}]}\n",
        "versions[0].calendar",
    ),
    "backstage here": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {}\n",
        "apiVersion",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_documents_store_nothing(case):
    text, field = BAD[case]
    ServiceFactory(key="api")
    before = stored()
    with pytest.raises(DocumentErrors) as info:
        standards_import(actor=SYSTEM, documents=docs(SLO + "---\n" + text, "bad.yaml"))
    message = str(info.value)
    assert "bad.yaml, document 2" in message and field in message, message
    assert stored() == before


def test_duplicate_names_in_one_command():
    a = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: svc}\nspec: {description: one}\n"
    b = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: svc}\nspec: {description: two}\n"
    with pytest.raises(DocumentErrors, match="also defined, differently"):
        standards_import(actor=SYSTEM, documents=docs(a) + docs(b, "other.yaml"))
    folder = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: svc, annotations: {openslo.com/service-folder: ./team-b}}\nspec: {description: two}\n"
    report = standards_import(actor=SYSTEM, documents=docs(a) + docs(folder, "other.yaml"))
    assert report.count("create") == 2 and Service.objects.filter(key="svc").count() == 1


def test_changed_slo_makes_a_new_version():
    standards_import(actor=SYSTEM, documents=docs(SLO.replace("service: api", "service: api2")))
    standards_import(
        actor=SYSTEM, documents=docs(SLO.replace("service: api", "service: api2").replace("0.9", "0.95"))
    )
    standard = ServiceStandard.objects.get(key="ok-slo")
    assert [float(v.target_percent) for v in standard.versions.order_by("number")] == [90.0, 95.0]


def test_native_round_trip():
    service = ServiceFactory(key="email")
    office = services.calendar_create(
        actor=SYSTEM,
        data={"key": "office", "name": "Office", "time_zone": "Europe/Paris"},
        periods=[(d, time(9), time(17)) for d in range(5)],
        holidays=[],
    )
    standard = services.standard_create(
        actor=SYSTEM,
        service=service,
        data={"key": "email-p2", "name": "P2"},
        version={**RESOLUTION, "calendar": office},
        effective_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    services.standard_revise(
        actor=SYSTEM,
        standard=standard,
        changes={"threshold": "6"},
        effective_at=datetime(2026, 7, 1, tzinfo=UTC),
        note="Faster",
    )
    first = dump_yaml(standards_export(actor=SYSTEM))
    ServiceStandard.objects.all().delete()
    Calendar.objects.all().delete()
    standards_import(actor=SYSTEM, documents=docs(first))
    assert dump_yaml(standards_export(actor=SYSTEM)) == first
    assert not standards_import(actor=SYSTEM, documents=docs(first)).changed


def test_cli_standards(cli, tmp_path):
    (tmp_path / "slo.yaml").write_text(SLO)
    assert "1 created" in cli("standards", "import", str(tmp_path), check=True).stdout
    rows = json.loads(cli("standards", "list", "--json", check=True).stdout)
    assert rows[0]["key"] == "ok-slo" and rows[0]["service"] == "api"
    exported = cli("standards", "export", "--format", "openslo", check=True).stdout
    assert "kind: SLO" in exported and "indicatorRef: lat" in exported
    (tmp_path / "bad.yaml").write_text(BAD["bad target"][0])
    result = cli("standards", "import", str(tmp_path / "bad.yaml"))
    assert result.returncode != 0 and "document 1, spec.objectives[0].target" in result.stderr
