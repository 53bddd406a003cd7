"""Sloth and Pyrra SLOs (Prometheus SLO generators) read as standards.

- Sloth's service file (`version: prometheus/v1`) and its Kubernetes resource (`apiVersion:
  sloth.slok.dev/v1, kind: PrometheusServiceLevel`): each SLO of `slos` becomes a standard keyed
  `<service>-<slo name>` (Sloth's own SLO id). Sloth files hold no period: Sloth judges every SLO over its
  `--default-slo-period`, 30 days rolling by default, which is what the standard takes (said in the
  report). `objective` is the target in percent.
- Pyrra's `apiVersion: pyrra.dev/v1alpha1, kind: ServiceLevelObjective`: one standard keyed by
  metadata.name, `target` in percent, `window` a rolling Prometheus duration. Pyrra names no service: the
  label `service`, else metadata.namespace, is the service's key.
Every SLO is a ratio of good events (threshold 1, ratio); queries, labels and alerting stay in the stored
document and in each version's `spec`.
"""

from __future__ import annotations

import re
from typing import Any

from csi.standards.imports.slo_mapping import (
    Plan,
    Planned,
    Unrepresentable,
    keys,
    percent,
    service_key,
    window,
)

SLOTH_VERSION = "prometheus/v1"
SLOTH_K8S = "sloth.slok.dev/v1"
PYRRA = "pyrra.dev/v1alpha1"
KEY = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")
PROMETHEUS_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d|w|y)$")
SLOTH_PERIOD_DAYS = 30


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def detect(data: dict[str, Any]) -> str | None:
    """'sloth', 'sloth-k8s' or 'pyrra' when the document is one of theirs (by version, kind or group)."""
    version = str(data.get("apiVersion", ""))
    if not version and str(data.get("version", "")) == SLOTH_VERSION:
        return "sloth"
    if version.startswith("sloth.slok.dev/"):
        return "sloth-k8s"
    if version.startswith("pyrra.dev/"):
        return "pyrra"
    return None


def identity(data: dict[str, Any]) -> tuple[str, str, str, str]:
    metadata = _mapping(data.get("metadata"))
    source = detect(data) or ""
    if source == "sloth":
        return "sloth", SLOTH_VERSION, "", str(data.get("service", ""))
    return (
        source.split("-")[0],
        str(data.get("kind", "")),
        str(metadata.get("namespace") or ""),
        str(metadata.get("name", "")),
    )


def _text(value: Any, path: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Unrepresentable(path, "required: a non-empty text")
    if len(value) > limit:
        raise Unrepresentable(path, f"longer than {limit} characters")
    return value


def _sloth(data: dict[str, Any], spec: dict[str, Any], prefix: str, k8s: bool) -> Plan:
    fmt = f"Sloth ({SLOTH_K8S} PrometheusServiceLevel)" if k8s else f"Sloth ({SLOTH_VERSION})"
    service = service_key(_text(spec.get("service"), f"{prefix}service", 63), f"{prefix}service")
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        raise Unrepresentable(f"{prefix}slos", f"a {fmt} file needs at least one SLO under slos")
    notes = [
        f"{fmt} {service}: no period in the file; each SLO is judged over Sloth's default period, "
        f"{SLOTH_PERIOD_DAYS} days rolling (a different --default-slo-period is not in the file)"
    ]
    plan = Plan(service=service, notes=notes)
    events = ("errorQuery", "totalQuery") if k8s else ("error_query", "total_query")
    raw = "errorRatioQuery" if k8s else "error_ratio_query"
    fields = window(SLOTH_PERIOD_DAYS, "d", True, None, f"{prefix}slos", notes)
    for index, slo in enumerate(slos):
        path = f"{prefix}slos[{index}]"
        if not isinstance(slo, dict):
            raise Unrepresentable(path, "expected a mapping with name, objective and sli")
        name = _text(slo.get("name"), f"{path}.name", 128)
        key = f"{service}-{name}"
        if not KEY.match(key):
            raise Unrepresentable(
                f"{path}.name",
                f"the standard would be keyed '{key}' (Sloth's SLO id): use lower-case letters, digits and "
                "hyphens, 63 characters in all",
            )
        keys(key, 1, f"{path}.name")
        objective = slo.get("objective")
        if isinstance(objective, bool) or not isinstance(objective, int | float) or not 0 < objective <= 100:
            raise Unrepresentable(
                f"{path}.objective", "required: the target in percent, above 0 and at most 100"
            )
        sli = slo.get("sli")
        kinds = [k for k in ("events", "raw", "plugin") if isinstance(sli, dict) and sli.get(k) is not None]
        if len(kinds) != 1:
            raise Unrepresentable(f"{path}.sli", "give exactly one of events, raw or plugin")
        body = _mapping(sli)[kinds[0]]
        required = {"events": events, "raw": (raw,), "plugin": ("id",)}[kinds[0]]
        for name_ in required:
            _text(
                (body or {}).get(name_) if isinstance(body, dict) else None,
                f"{path}.sli.{kinds[0]}.{name_}",
                10000,
            )
        if k8s and not isinstance(slo.get("alerting"), dict):
            raise Unrepresentable(f"{path}.alerting", f"required by {fmt} (give at least name)")
        plan.standards.append(
            Planned(
                key=key,
                path=f"{path}.name",
                name=str(slo.get("description") or name)[:200],
                version={
                    "metric": "custom",
                    "custom_metric": name[:100],
                    "comparator": "gte",
                    "threshold": 1,
                    "threshold_unit": "ratio",
                    "target_percent": percent(objective, f"{path}.objective"),
                    "budgeting_method": "occurrences",
                    "spec": {"sloth": data, "slo": index},
                    **fields,
                },
            )
        )
    return plan


def _pyrra(data: dict[str, Any]) -> Plan:
    fmt = f"Pyrra ({PYRRA} ServiceLevelObjective)"
    if data.get("apiVersion") != PYRRA or data.get("kind") != "ServiceLevelObjective":
        raise Unrepresentable(
            "kind", f"this reads {fmt} only, not {data.get('apiVersion')} {data.get('kind')}"
        )
    metadata = _mapping(data.get("metadata"))
    name = _text(metadata.get("name"), "metadata.name", 63)
    if not KEY.match(name):
        raise Unrepresentable("metadata.name", "use 1 to 63 lower-case letters, digits, dots and hyphens")
    labels = _mapping(metadata.get("labels"))
    service = labels.get("service") or metadata.get("namespace")
    if not service:
        raise Unrepresentable(
            "metadata",
            f"a {fmt} names no service: add the label `service: <service key>` (or a metadata.namespace) "
            "so that the standard belongs to a service",
        )
    spec = _mapping(data.get("spec"))
    target = spec.get("target")
    if target is None or target == "":
        raise Unrepresentable("spec.target", "required: the target in percent, e.g. '99.9'")
    duration = PROMETHEUS_DURATION.match(str(spec.get("window", "")))
    if duration is None:
        raise Unrepresentable(
            "spec.window",
            f"'{spec.get('window')}' is not one Prometheus duration such as 28d or 4w "
            "(give the window in one unit: 1d12h as 36h)",
        )
    count, unit = int(duration[1]), duration[2]
    if unit == "y":
        count, unit = count * 365, "d"
    if unit == "ms":
        raise Unrepresentable("spec.window", "a window in milliseconds is not a whole number of days")
    notes: list[str] = []
    fields = window(count, unit, True, None, "spec.window", notes)
    indicator = spec.get("indicator")
    kinds = [
        k
        for k in ("ratio", "latency", "latencyNative", "bool_gauge")
        if isinstance(indicator, dict) and indicator.get(k) is not None
    ]
    if len(kinds) != 1:
        raise Unrepresentable(
            "spec.indicator", "give exactly one of ratio, latency, latencyNative or bool_gauge"
        )
    where = "metadata.labels.service" if labels.get("service") else "metadata.namespace"
    plan = Plan(service=service_key(service, where), notes=notes)
    plan.standards.append(
        Planned(
            key=name,
            name=str(spec.get("description") or name)[:200],
            version={
                "metric": "custom",
                "custom_metric": f"{name} ({kinds[0]})"[:100],
                "comparator": "gte",
                "threshold": 1,
                "threshold_unit": "ratio",
                "target_percent": percent(target, "spec.target"),
                "budgeting_method": "occurrences",
                "spec": {"pyrra": data},
                **fields,
            },
        )
    )
    return plan


def plan(data: dict[str, Any]) -> Plan:
    """The standards of a Sloth or Pyrra document; Unrepresentable names the field and what to do."""
    source = detect(data)
    if source == "sloth":
        return _sloth(data, data, "", False)
    if source == "sloth-k8s":
        if data.get("apiVersion") != SLOTH_K8S or data.get("kind") != "PrometheusServiceLevel":
            raise Unrepresentable(
                "kind",
                f"this reads Sloth's {SLOTH_K8S} PrometheusServiceLevel only, not "
                f"{data.get('apiVersion')} {data.get('kind')}",
            )
        spec = _mapping(data.get("spec"))
        return _sloth(data, spec, "spec.", True)
    return _pyrra(data)
