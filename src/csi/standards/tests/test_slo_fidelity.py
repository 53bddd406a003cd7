"""SLO imports keep their meaning: windows, every objective, the OpenSLO go-sdk's rules per apiVersion,
Sloth and Pyrra, created services in the report; through the service, the CLI, the API and the page."""

import json
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csi.catalog.models import Service
from csi.core.cli import dump_yaml
from csi.core.documents import DocumentErrors, Problems, load_text
from csi.core.permissions import SystemActor
from csi.standards.imports import standards_export, standards_import
from csi.standards.models import ServiceStandard, SpecDocument, StandardVersion
from csi.standards.windows import window_first_day

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("test")
DATA = Path(__file__).parent / "data"
WINDOW_FIELDS = (
    "window_kind",
    "window_days",
    "calendar_period",
    "window_count",
    "window_start_date",
    "window_time_zone",
)


def docs(text, name="slos.yaml"):
    return load_text(text, name, Problems())


def standards_state():
    """Every standard with its current version's window and objective, for comparing before and after."""
    rows = []
    for standard in ServiceStandard.objects.order_by("key"):
        v = standard.current
        rows.append(
            (
                standard.key,
                standard.name,
                standard.service.key,
                v.comparator,
                v.threshold,
                v.threshold_unit,
                v.target_percent,
                v.budgeting_method,
                *(getattr(v, f) for f in WINDOW_FIELDS),
            )
        )
    return rows


V1 = """apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout, displayName: Checkout}
spec:
  service: shop
  indicatorRef: checkout-latency
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: true}]
  objectives:
    - {displayName: Fast, op: lte, value: 300, target: 0.95}
    - {displayName: Usable, op: lte, value: 1000, targetPercent: 99.5}
"""
V1_CALENDAR = """apiVersion: openslo/v1
kind: SLO
metadata: {name: billing}
spec:
  service: shop
  indicatorRef: billing-errors
  budgetingMethod: Occurrences
  timeWindow: [{duration: 30d, isRolling: false, calendar: {startTime: '2026-01-01 00:00:00', timeZone: Europe/Paris}}]
  objectives: [{target: 0.999}]
"""
V1ALPHA = """apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: search}
spec:
  service: shop
  indicator: {thresholdMetric: {source: prometheus, queryType: promql, query: latency}}
  budgetingMethod: Occurrences
  timeWindows: [{unit: Day, count: 30, isRolling: true}]
  objectives:
    - {op: lte, value: 200, target: 0.9}
    - {op: lte, value: 800, target: 0.99}
"""
V2ALPHA = """apiVersion: openslo.com/v2alpha
kind: SLO
metadata: {name: login}
spec:
  serviceRef: shop
  sliRef: login-ratio
  budgetingMethod: Occurrences
  timeWindow: [{duration: 3M, isRolling: false, calendar: {startTime: '2026-02-01 00:00:00', timeZone: UTC}}]
  objectives: [{target: 0.99}, {target: 0.95, displayName: Degraded}]
"""
EXPECTED = {
    "v1": (
        V1,
        {
            "checkout": ("rolling", 30, "", 1, None, "UTC", "95.0000"),
            "checkout.2": ("rolling", 30, "", 1, None, "UTC", "99.5000"),
        },
    ),
    "v1-calendar": (
        V1_CALENDAR,
        {"billing": ("calendar", None, "day", 30, date(2026, 1, 1), "Europe/Paris", "99.9000")},
    ),
    "v1alpha": (
        V1ALPHA,
        {
            "search": ("rolling", 30, "", 1, None, "UTC", "90.0000"),
            "search.2": ("rolling", 30, "", 1, None, "UTC", "99.0000"),
        },
    ),
    "v2alpha": (
        V2ALPHA,
        {
            "login": ("calendar", None, "month", 3, date(2026, 2, 1), "UTC", "99.0000"),
            "login.2": ("calendar", None, "month", 3, date(2026, 2, 1), "UTC", "95.0000"),
        },
    ),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_windows_and_every_objective_survive_import_and_export(case):
    text, expected = EXPECTED[case]
    report = standards_import(actor=SYSTEM, documents=docs(text))
    assert "created service shop" in report.notes
    found = {
        s.key: (*(getattr(s.current, f) for f in WINDOW_FIELDS), f"{s.current.target_percent:.4f}")
        for s in ServiceStandard.objects.all()
    }
    assert found == expected
    before = standards_state()
    for fmt in ("openslo", "native"):
        exported = dump_yaml(standards_export(actor=SYSTEM, fmt=fmt))
        ServiceStandard.objects.all().delete()
        SpecDocument.objects.all().delete()
        standards_import(actor=SYSTEM, documents=docs(exported, f"export.{fmt}.yaml"))
        assert standards_state() == before, fmt
        assert not standards_import(actor=SYSTEM, documents=docs(exported)).changed


@pytest.mark.parametrize("case", ["v1", "v1alpha", "v2alpha"])
def test_a_standard_revised_here_exports_to_openslo_as_it_now_is(case):
    """Export writes the current targets and window back into the SLO, so importing the export elsewhere
    gives the standards as they are now, not as they were first imported."""
    from csi.standards import services

    standards_import(actor=SYSTEM, documents=docs(EXPECTED[case][0]))
    first, second = ServiceStandard.objects.order_by("key")
    services.standard_revise(
        actor=SYSTEM,
        standard=first,
        changes={
            "window_kind": "rolling",
            "window_days": 28,
            "calendar_period": "",
            "window_count": 1,
            "window_start_date": None,
        },
    )
    services.standard_revise(actor=SYSTEM, standard=second, changes={"target_percent": "97.5"})
    before = standards_state()
    exported = dump_yaml(standards_export(actor=SYSTEM, fmt="openslo"))
    ServiceStandard.objects.all().delete()
    SpecDocument.objects.all().delete()
    standards_import(actor=SYSTEM, documents=docs(exported, "export.yaml"))
    after = standards_state()
    # the second objective's window follows the SLO's one window, which the first standard now sets
    assert after[0] == before[0] and after[1][:8] == before[1][:8]
    assert after[1][8:] == before[0][8:] and float(after[1][6]) == 97.5


def test_objective_keys_and_names_and_a_removed_objective_is_reported():
    standards_import(actor=SYSTEM, documents=docs(V1))
    first, second = ServiceStandard.objects.order_by("key")
    assert (first.key, first.name, second.key, second.name) == (
        "checkout",
        "Checkout: Fast",
        "checkout.2",
        "Checkout: Usable",
    )
    assert second.current.spec["objective"] == 1 and second.current.threshold == 1000
    one = V1.replace("    - {displayName: Usable, op: lte, value: 1000, targetPercent: 99.5}\n", "")
    report = standards_import(actor=SYSTEM, documents=docs(one))
    assert any("standard checkout.2 is no longer in this openslo document" in n for n in report.notes)
    assert ServiceStandard.objects.filter(key="checkout.2").exists()  # kept: it may be referenced


def test_window_start_and_length_judge_the_right_days():
    """The window holding a day, against a day-by-day walk from the start (an independent computation)."""
    for kind, period, count, start in [
        ("calendar", "day", 30, date(2026, 1, 1)),
        ("calendar", "week", 2, date(2022, 1, 1)),
        ("calendar", "month", 3, date(2026, 2, 1)),
        ("calendar", "month", 1, None),
        ("calendar", "week", 1, None),
    ]:
        version = SimpleNamespace(
            window_kind=kind,
            calendar_period=period,
            window_count=count,
            window_start_date=start,
            window_days=None,
        )
        anchor = start or (date(2026, 1, 5) if period == "week" else date(2026, 1, 1))
        boundaries, day = [anchor], anchor
        while day < date(2027, 12, 31):
            if period == "day":
                day += timedelta(days=count)
            elif period == "week":
                day += timedelta(days=7 * count)
            else:
                month = day.month - 1 + count
                day = date(day.year + month // 12, month % 12 + 1, 1)
            boundaries.append(day)
        probe = anchor
        while probe < date(2027, 12, 1):
            expected = max(b for b in boundaries if b <= probe)
            assert window_first_day(version, probe) == expected, (period, count, start, probe)
            probe += timedelta(days=3)
    rolling = SimpleNamespace(window_kind="rolling", window_days=30)
    assert window_first_day(rolling, date(2026, 3, 30)) == date(2026, 3, 1)  # 30 days: 1 to 30 March


SLO_HEAD = (
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: api\n  indicatorRef: l\n"
)
REFUSED = {
    # (document, where the problem is, what it says): each after a valid document, nothing stored.
    "sub-day window": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 36h, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec.timeWindow[0].duration",
        "not a whole number of days",
    ),
    "rolling with a calendar": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true, calendar: {timeZone: UTC}}]\n  objectives: [{target: 0.9}]\n",
        "spec.timeWindow[0]",
        "'calendar' cannot be set when 'isRolling' is true",
    ),
    "calendar without calendar": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w}]\n  objectives: [{target: 0.9}]\n",
        "spec.timeWindow[0]",
        "'calendar' must be set when 'isRolling' is false",
    ),
    "bad start time": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, calendar: {startTime: '2022-01-01T12:00'}}]\n  objectives: [{target: 0.9}]\n",
        "spec.timeWindow[0].calendar.startTime",
        "YYYY-MM-DD HH:MM:SS",
    ),
    "two time windows": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}, {duration: 2w, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec.timeWindow",
        "at most 1 item",
    ),
    "target of 1": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 1}]\n",
        "spec.objectives[0].target",
        "less than 1",
    ),
    "target and targetPercent": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9, targetPercent: 90}]\n",
        "spec.objectives[0]",
        "not both",
    ),
    "timeslices without timeSliceTarget": (
        SLO_HEAD
        + "  budgetingMethod: Timeslices\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9, timeSliceWindow: 5m}, {target: 0.8, timeSliceWindow: 5m}]\n",
        "spec.objectives[0].timeSliceTarget",
        "required by Timeslices",
    ),
    "ratio timeslices without window": (
        SLO_HEAD
        + "  budgetingMethod: RatioTimeslices\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec.objectives[0].timeSliceWindow",
        "required by RatioTimeslices",
    ),
    "threshold metric without op": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: api\n  indicator: {metadata: {name: l}, spec: {thresholdMetric: {metricSource: {type: P, spec: {q: 1}}}}}\n"
        "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec.objectives[0]",
        "needs op and value",
    ),
    "indicator on spec and objective": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9, indicatorRef: other}]\n",
        "spec",
        "but not both",
    ),
    "no indicator at all": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: api\n  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec",
        "none were given",
    ),
    "alert policy with two conditions": (
        "apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: x}\nspec: {conditions: [{conditionRef: a}, {conditionRef: b}], notificationTargets: [{targetRef: t}]}\n",
        "spec.conditions",
        "at most 1 item",
    ),
    "v1alpha window in hours": (
        "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicator: {thresholdMetric: {query: q}}, budgetingMethod: Occurrences, timeWindows: [{unit: Hour, count: 24, isRolling: true}], objectives: [{op: lte, value: 1, target: 0.9}]}\n",
        "spec.timeWindows[0].unit",
        "'Hour' is not one of Second, Day, Week, Month, Quarter",
    ),
    "v1alpha objective without value": (
        "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: x}\nspec: {service: api, indicator: {thresholdMetric: {query: q}}, budgetingMethod: Occurrences, timeWindows: [{unit: Day, count: 7, isRolling: true}], objectives: [{op: lte, target: 0.9}]}\n",
        "spec.objectives[0].value",
        "required",
    ),
    "v2alpha serviceRef and service": (
        "apiVersion: openslo.com/v2alpha\nkind: SLO\nmetadata: {name: x}\nspec: {serviceRef: api, service: api, sliRef: l, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n",
        "spec",
        "give one of serviceRef or service, not both",
    ),
    "objective keys too long": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: "
        + "a" * 62
        + "}\nspec: {service: api, indicatorRef: l, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}, {target: 0.8}]}\n",
        "metadata.name",
        "longer than 63 characters",
    ),
    "v1 SLI ratio without good or bad": (
        "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: x}\nspec: {ratioMetric: {total: {metricSource: {spec: {q: 1}}}}}\n",
        "spec.ratioMetric",
        "give exactly one of good or bad",
    ),
    "v1 SLI raw without rawType": (
        "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: x}\nspec: {ratioMetric: {raw: {metricSource: {spec: {q: 1}}}}}\n",
        "spec.ratioMetric.rawType",
        "one of success, failure",
    ),
    "v1 inline indicator without a metric source spec": (
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: api\n  indicator: {metadata: {name: l}, spec: {ratioMetric: {good: {metricSource: {type: P, spec: {q: 1}}}, total: {metricSource: {type: P}}}}}\n"
        "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9}]\n",
        "spec.indicator.spec.ratioMetric.total.metricSource.spec",
        "at least one entry",
    ),
    "alert condition of another kind": (
        "apiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: x}\nspec: {severity: page, condition: {kind: static, op: gt, threshold: 2, lookbackWindow: 1h}}\n",
        "spec.condition.kind",
        "is not burnrate",
    ),
    "alert condition window": (
        "apiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: x}\nspec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1 hour}}\n",
        "spec.condition.lookbackWindow",
        "String should match pattern",
    ),
    "data source without connection details": (
        "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: x}\nspec: {type: Prometheus}\n",
        "spec.connectionDetails",
        "Field required",
    ),
    "unknown field in an objective": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9, goal: 0.8}]\n",
        "spec.objectives[0].goal",
        "Extra inputs are not permitted",
    ),
    "display name over 63": (
        "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x, displayName: '"
        + "D" * 64
        + "'}\nspec: {}\n",
        "metadata.displayName",
        "at most 63 characters",
    ),
    "bad label key": (
        "apiVersion: openslo.com/v2alpha\nkind: Service\nmetadata: {name: x, labels: {'team a': b}}\nspec: {}\n",
        "metadata.labels",
        "'team a' is not a label key",
    ),
    "negative threshold": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{target: 0.9}, {op: gt, value: -5, target: 0.9}]\n",
        "spec.objectives[1].value",
        "cannot be a standard's threshold",
    ),
    "threshold with 5 decimals": (
        SLO_HEAD
        + "  budgetingMethod: Occurrences\n  timeWindow: [{duration: 1w, isRolling: true}]\n  objectives: [{op: lt, value: 0.00005, target: 0.9}]\n",
        "spec.objectives[0].value",
        "more than 4 decimals",
    ),
    "sloth objective above 100": (
        "version: prometheus/v1\nservice: api\nslos: [{name: avail, objective: 120, sli: {raw: {error_ratio_query: q}}}]\n",
        "slos[0].objective",
        "at most 100",
    ),
    "sloth two sli kinds": (
        "version: prometheus/v1\nservice: api\nslos: [{name: avail, objective: 99, sli: {raw: {error_ratio_query: q}, plugin: {id: p}}}]\n",
        "slos[0].sli",
        "exactly one of events, raw or plugin",
    ),
    "sloth k8s without alerting": (
        "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: x}\nspec: {service: api, slos: [{name: avail, objective: 99, sli: {raw: {errorRatioQuery: q}}}]}\n",
        "spec.slos[0].alerting",
        "required by Sloth",
    ),
    "pyrra combined window": (
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x, namespace: api}\nspec: {target: '99', window: 1d12h, indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}}\n",
        "spec.window",
        "give the window in one unit",
    ),
    "pyrra without service": (
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec: {target: '99', window: 4w, indicator: {ratio: {errors: {metric: e}, total: {metric: t}}}}\n",
        "metadata",
        "add the label `service: <service key>`",
    ),
    "unknown format": (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec: {}\n",
        "apiVersion",
        "nor Pyrra (pyrra.dev/v1alpha1)",
    ),
}
GOOD = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: ok-slo}\nspec: {service: api, indicatorRef: lat, budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n"


def _counts():
    return (
        ServiceStandard.objects.count(),
        StandardVersion.objects.count(),
        SpecDocument.objects.count(),
        Service.objects.count(),
    )


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_cannot_be_kept_is_refused_with_its_field_path(case):
    text, path, message = REFUSED[case]
    before = _counts()
    with pytest.raises(DocumentErrors) as info:
        standards_import(actor=SYSTEM, documents=docs(GOOD + "---\n" + text))
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"slos.yaml, document 2, {path}: ") and message in p for p in problems), problems
    assert _counts() == before


def test_sloth_and_pyrra_examples_import_as_standards():
    report = standards_import(
        actor=SYSTEM,
        paths=[DATA / "sloth/getting-started.yml", DATA / "pyrra/slo-coredns-response-errors.yaml"],
    )
    assert {"created service myservice", "created service monitoring"} <= set(report.notes)
    assert any("30 days rolling" in n for n in report.notes)
    sloth = ServiceStandard.objects.get(key="myservice-requests-availability")
    v = sloth.current
    assert (sloth.service.key, float(v.target_percent), v.window_kind, v.window_days, v.threshold_unit) == (
        "myservice",
        99.9,
        "rolling",
        30,
        "ratio",
    )
    pyrra = ServiceStandard.objects.get(key="coredns-response-errors").current
    assert (float(pyrra.target_percent), pyrra.window_kind, pyrra.window_days) == (99.99, "rolling", 14)
    assert not standards_import(
        actor=SYSTEM,
        paths=[DATA / "sloth/getting-started.yml", DATA / "pyrra/slo-coredns-response-errors.yaml"],
    ).changed
    # The Kubernetes form of the same Sloth SLO is the same standard with the same target and window (a new
    # version records the other source document).
    standards_import(actor=SYSTEM, paths=[DATA / "sloth/k8s-getting-started.yml"])
    k8s = ServiceStandard.objects.get(key="myservice-requests-availability").current
    assert (k8s.target_percent, k8s.window_days, k8s.spec["sloth"]["kind"]) == (
        v.target_percent,
        30,
        "PrometheusServiceLevel",
    )
    # An SLO removed from the Sloth file: its standard is kept and the report says so.
    text = (
        (DATA / "sloth/getting-started.yml")
        .read_text()
        .replace('name: "requests-availability"', 'name: "requests-ok"')
    )
    report = standards_import(actor=SYSTEM, documents=docs(text, "sloth.yml"))
    assert any(
        "standard myservice-requests-availability is no longer in this sloth document" in n
        for n in report.notes
    )
    # Pyrra's caddy example names no service: refused, saying what to add.
    with pytest.raises(DocumentErrors, match="add the label `service: <service key>`"):
        standards_import(actor=SYSTEM, paths=[DATA / "pyrra/caddy-response-latency.yaml"])


def test_current_go_sdk_v2alpha_example_with_service_ref():
    path = DATA / "openslo/v2alpha-slos.yaml"
    with pytest.raises(
        DocumentErrors, match=r"document 1, spec.objectives\[0\].op: forbidden with a ratioMetric"
    ):
        standards_import(actor=SYSTEM, paths=[path])  # as `oslo validate` refuses it
    standards_import(
        actor=SYSTEM, documents=docs(path.read_text().replace("        op: gt\n", ""), str(path))
    )
    standard = ServiceStandard.objects.get(key="web-availability")
    assert standard.service.key == "web"
    assert (
        standard.current.window_kind,
        standard.current.calendar_period,
        standard.current.window_start_date,
    ) == (
        "calendar",
        "week",
        date(2022, 1, 1),
    )


OSLO = DATA / "openslo/oslo"
OSLO_ERRORS = re.compile(r"^Errors in /oslo/test/inputs/validate/(?P<file>\S+):$")
OSLO_OBJECT = re.compile(r"^  Validation for \S+ '[^']*'(?: at index (?P<index>\d+))? has failed")
OSLO_PATH = re.compile(r"^    - '(?P<path>[^']+)'")


def _oslo_expected(output):
    """(file, document number, field path) of every problem in an `oslo validate` expected output."""
    expected, file, number = set(), None, None
    for line in output.read_text().splitlines():
        if match := OSLO_ERRORS.match(line):
            file = match["file"]
        elif match := OSLO_OBJECT.match(line):
            number = int(match["index"] or 0) + 1
        elif (match := OSLO_PATH.match(line)) and not match["path"].endswith("timeZone"):
            # oslo's test image has no time zone database, so it refuses America/New_York: not a rule.
            expected.add((file, number, match["path"]))
    return expected


@pytest.mark.parametrize("case", ["v1", "v1alpha", "v2alpha", "mix", "recursive"])
def test_oslo_validate_test_cases_are_refused_at_the_same_fields(case):
    """The `oslo validate` test inputs: the same documents and fields are refused as in oslo's expected
    output (tests/data/openslo/oslo, from github.com/OpenSLO/oslo)."""
    inputs = OSLO / "inputs/validate"
    target = inputs / f"{case}.yaml" if (inputs / f"{case}.yaml").exists() else inputs / case
    found = set()
    for path in sorted(target.rglob("*.yaml")) if target.is_dir() else [target]:
        with pytest.raises(DocumentErrors) as info:
            standards_import(actor=SYSTEM, paths=[path])
        for problem in info.value.problems:
            where = str(problem.where).split(", ")
            found.add((str(path.relative_to(inputs)), int(where[1].removeprefix("document ")), where[2]))
    assert found == _oslo_expected(OSLO / "outputs/validate" / case)
    assert not ServiceStandard.objects.exists() and not SpecDocument.objects.exists()


def test_oslo_unknown_field_and_unknown_version():
    text = (
        (OSLO / "inputs/validate/unknown-field.yaml").read_text().replace("my-rad service", "my-rad-service")
    )
    with pytest.raises(DocumentErrors, match=r"document 1, spec.markdown: Extra inputs are not permitted"):
        standards_import(actor=SYSTEM, documents=docs(text))
    with pytest.raises(DocumentErrors, match=r"document 1, apiVersion: 'foo' is neither"):
        standards_import(actor=SYSTEM, paths=[OSLO / "inputs/validate/invalid-apiversion.yaml"])


def test_cli_lists_created_services_and_keeps_a_30_day_window(cli, tmp_path):
    (tmp_path / "slos.yaml").write_text(V1)
    out = cli("standards", "import", str(tmp_path / "slos.yaml"), check=True).stdout
    assert "created service shop" in out and "checkout.2" in out
    exported = cli("standards", "export", "--format", "openslo", check=True).stdout
    assert yaml.safe_load(exported)["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    rows = {r["key"]: r["target"] for r in json.loads(cli("standards", "list", "--json", check=True).stdout)}
    assert "rolling 30 days" in rows["checkout"] and "rolling 30 days" in rows["checkout.2"]
    (tmp_path / "bad.yaml").write_text(REFUSED["sub-day window"][0])
    result = cli("standards", "import", str(tmp_path / "bad.yaml"))
    assert result.returncode != 0 and "document 1, spec.timeWindow[0].duration" in result.stderr


def test_api_reports_created_services_and_refuses_with_the_path(api, strategist):
    client = api(strategist)
    response = client.post(
        "/api/v1/standards/import", {"files": [SimpleUploadedFile("slos.yaml", V1.encode())]}
    )
    body = response.json()
    assert response.status_code == 200 and "created service shop" in body["notes"]
    assert ServiceStandard.objects.get(key="checkout.2").current.window_days == 30
    version = client.get("/api/v1/standards/checkout").json()
    assert json.dumps(version)  # the standard reads back through the API
    bad = client.post(
        "/api/v1/standards/import",
        {"files": [SimpleUploadedFile("bad.yaml", REFUSED["alert policy with two conditions"][0].encode())]},
    )
    assert bad.status_code == 422 and "spec.conditions" in bad.content.decode()
    sloth = client.post(
        "/api/v1/standards/import",
        {"files": [SimpleUploadedFile("k8s.yml", (DATA / "sloth/k8s-getting-started.yml").read_bytes())]},
    ).json()
    assert "created service myservice" in sloth["notes"] and any(
        "30 days rolling" in n for n in sloth["notes"]
    )
    pyrra = client.post(
        "/api/v1/standards/import",
        {
            "files": [
                SimpleUploadedFile("caddy.yaml", (DATA / "pyrra/caddy-response-latency.yaml").read_bytes())
            ]
        },
    )
    assert pyrra.status_code == 422 and "add the label `service: <service key>`" in pyrra.content.decode()


def test_import_page_shows_created_services(strategist):
    client = Client()
    client.force_login(strategist)
    preview = client.post("/standards/import/", {"files": [SimpleUploadedFile("slos.yaml", V1.encode())]})
    html = preview.content.decode()
    assert (
        preview.status_code == 200
        and "created service shop" in html
        and "2 objectives, one standard each" in html
    )
    assert not Service.objects.filter(key="shop").exists()


def test_api_and_page_carry_a_calendar_window_of_several_periods(api, owner, viewer, service):
    payload = {
        "service": service.key,
        "key": "month-close",
        "name": "Month close",
        "kind": "slo",
        "metric": "availability",
        "threshold": "1",
        "threshold_unit": "ratio",
        "target_percent": "99",
        "window_kind": "calendar",
        "calendar_period": "day",
        "window_count": 30,
        "window_start_date": "2026-01-01",
    }
    client = api(owner)
    assert client.post("/api/v1/standards", payload, content_type="application/json").status_code == 201
    current = api(viewer).get("/api/v1/standards/month-close").json()["current"]
    assert (current["window_count"], current["window_start_date"]) == (30, "2026-01-01")
    refused = client.post(
        "/api/v1/standards/month-close/versions",
        {"window_kind": "rolling", "window_days": 30},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "window_count" in refused.content.decode()
    page = Client()
    page.force_login(viewer)
    html = page.get("/standards/month-close/").content.decode()
    assert "each 30 days from 2026-01-01" in html


def test_a_composite_slo_keeps_each_objectives_indicator_and_weight():
    text = """apiVersion: openslo/v1
kind: SLO
metadata: {name: journey}
spec:
  service: shop
  budgetingMethod: Occurrences
  timeWindow: [{duration: 4w, isRolling: true}]
  objectives:
    - {displayName: Search, indicatorRef: search-ok, target: 0.99, compositeWeight: 2}
    - {displayName: Pay, indicatorRef: pay-ok, target: 0.999, compositeWeight: 1}
"""
    standards_import(actor=SYSTEM, documents=docs(text))
    rows = [
        (s.key, s.current.custom_metric, s.current.spec["compositeWeight"], s.current.window_days)
        for s in ServiceStandard.objects.order_by("key")
    ]
    assert rows == [("journey", "search-ok", 2, 28), ("journey.2", "pay-ok", 1, 28)]


SLOTH_TWO = """version: prometheus/v1
service: pay
slos:
  - {name: avail, objective: 99.9, sli: {raw: {error_ratio_query: a}}}
  - {name: avail, objective: 99.0, sli: {raw: {error_ratio_query: b}}}
"""
SLOTH_ONE = "version: prometheus/v1\nservice: pay\nslos: [{name: avail, objective: 99.9, sli: {raw: {error_ratio_query: a}}}]\n"
SLOTH_K8S_SAME = (
    "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: pay}\n"
    "spec: {service: pay, slos: [{name: avail, objective: 99.5, sli: {raw: {errorRatioQuery: c}}, alerting: {name: A}}]}\n"
)
OSLO_SLO = (
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: same%s}\nspec: {service: api, indicatorRef: lat, "
    "budgetingMethod: Occurrences, timeWindow: [{duration: 1w, isRolling: true}], objectives: [{target: 0.9}]}\n"
)


def test_two_slos_keyed_alike_in_one_import_are_refused_and_nothing_is_stored():
    before = _counts()
    with pytest.raises(DocumentErrors) as info:
        standards_import(actor=SYSTEM, documents=docs(SLOTH_TWO, "sloth.yml"))
    problems = [str(p) for p in info.value.problems]
    assert any(
        p.startswith(
            "sloth.yml, document 1, slos[1].name: another SLO of this import is also keyed pay-avail"
        )
        for p in problems
    ), problems
    # A Sloth file and a PrometheusServiceLevel with the same service and SLO name, in one import.
    with pytest.raises(DocumentErrors) as info:
        standards_import(actor=SYSTEM, documents=docs(SLOTH_ONE + "---\n" + SLOTH_K8S_SAME, "both.yml"))
    problems = [str(p) for p in info.value.problems]
    assert any(
        p.startswith(
            "both.yml, document 2, spec.slos[0].name: another SLO of this import (both.yml, document 1)"
        )
        and "pay-avail" in p
        for p in problems
    ), problems
    # Two OpenSLO SLOs with the same metadata.name would be one standard.
    with pytest.raises(DocumentErrors) as info:
        standards_import(
            actor=SYSTEM,
            documents=docs(OSLO_SLO % "" + "---\n" + (OSLO_SLO % "").replace("0.9", "0.8"), "o.yaml"),
        )
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith("o.yaml, document 2, metadata.name: ") for p in problems), problems
    assert _counts() == before


def test_a_standard_from_another_file_is_reported_as_updated_not_created():
    report = standards_import(actor=SYSTEM, documents=docs(SLOTH_ONE, "sloth.yml"))
    assert [(c.kind, c.name, c.action) for c in report.changes] == [("Standard", "pay-avail", "create")]
    report = standards_import(actor=SYSTEM, documents=docs(SLOTH_K8S_SAME, "k8s.yml"))
    assert [(c.kind, c.name, c.action) for c in report.changes] == [("Standard", "pay-avail", "update")]
    assert report.summary().startswith("0 created, 1 updated")


def test_report_counts_standards_not_documents():
    three = (OSLO_SLO % "").replace("[{target: 0.9}]", "[{target: 0.9}, {target: 0.8}, {target: 0.7}]")
    report = standards_import(actor=SYSTEM, documents=docs(three))
    assert report.summary().startswith("3 created, 0 updated, 0 unchanged")
    report = standards_import(
        actor=SYSTEM, documents=docs(three.replace("0.7", "0.6").replace("0.8", "0.5").replace("0.9", "0.4"))
    )
    assert report.summary().startswith("0 created, 3 updated, 0 unchanged")
    assert not standards_import(
        actor=SYSTEM, documents=docs(three.replace("0.7", "0.6").replace("0.8", "0.5").replace("0.9", "0.4"))
    ).changed


def test_openslo_export_says_which_standards_it_leaves_out(cli, tmp_path, api, strategist):
    (tmp_path / "sloth.yml").write_text(SLOTH_ONE)
    (tmp_path / "slos.yaml").write_text(V1)
    cli("standards", "import", str(tmp_path / "sloth.yml"), str(tmp_path / "slos.yaml"), check=True)
    result = cli("standards", "export", "--format", "openslo", check=True)
    assert "left out 1 standard(s) not from OpenSLO: pay-avail (Sloth; use --format native)" in result.stderr
    assert "pay-avail" not in result.stdout
    native = cli("standards", "export", check=True)
    assert "left out" not in native.stderr and "pay-avail" in native.stdout
    response = api(strategist).get("/api/v1/standards/export?format=openslo")
    assert "pay-avail (Sloth; use --format native)" in response["X-CSI-Left-Out"]
    assert response.content.decode().startswith("# left out 1 standard(s)")


def test_timeslices_budgeting_is_kept_and_the_report_says_figures_count_occurrences():
    text = (
        (OSLO_SLO % "")
        .replace("Occurrences", "Timeslices")
        .replace("{target: 0.9}", "{target: 0.9, timeSliceTarget: 0.95, timeSliceWindow: 5m}")
    )
    report = standards_import(actor=SYSTEM, documents=docs(text))
    assert any(
        "budgetingMethod Timeslices is kept in the document; figures are computed over occurrences (events)"
        in n
        for n in report.notes
    ), report.notes
    plain = standards_import(actor=SYSTEM, documents=docs((OSLO_SLO % "").replace("same", "plain")))
    assert not any("budgetingMethod" in n for n in plain.notes)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            (OSLO_SLO % "").replace("service: api", "service: 'Shop Service!'"),
            "spec.service",
            "'Shop Service!' cannot be a service key",
        ),
        (
            SLOTH_ONE.replace("service: pay", "service: 'Shop Service!'"),
            "service",
            "'Shop Service!' cannot be a service key",
        ),
        (
            SLOTH_K8S_SAME.replace("service: pay", "service: 'Shop Service!'"),
            "spec.service",
            "'Shop Service!' cannot be a service key",
        ),
        (
            SLOTH_ONE.replace("prometheus/v1", "prometheus/v2"),
            "version",
            "'prometheus/v2' is not a Sloth version this reads (prometheus/v1",
        ),
        (
            (OSLO_SLO % "").replace("{name: same}", "{name: same, labels: {'bad key!': x}}"),
            "metadata.labels",
            "'bad key!' is not a label key",
        ),
    ],
)
def test_messages_name_the_field_and_carry_no_value_error_prefix(text, path, message):
    before = _counts()
    with pytest.raises(DocumentErrors) as info:
        standards_import(actor=SYSTEM, documents=docs(text))
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"slos.yaml, document 1, {path}: {message}") for p in problems), problems
    assert not any("Value error" in p for p in problems), problems
    assert _counts() == before
