"""`standards_export`: calendars and standards with every version (native), or the OpenSLO documents as
imported, brought up to date with their standards (openslo), so that export then import gives back the
same standards, windows and objectives even after a standard was revised here."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from csi.core.permissions import require
from csi.standards.imports import openslo, slo_mapping
from csi.standards.imports.engine import NATIVE, _normal, _version_state
from csi.standards.models import Calendar, ServiceHours, ServiceStandard, SpecDocument

PERIOD_UNIT = {period: unit for unit, period in slo_mapping.CALENDAR_PERIOD.items()}
V1ALPHA_UNIT_NAMES = {"d": "Day", "w": "Week", "M": "Month", "Q": "Quarter"}


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def standards_export(*, actor: Any, fmt: str = "native") -> list[dict[str, Any]]:
    """Calendars and standards with every version (native), or the stored OpenSLO documents (openslo),
    each SLO's objectives and window as its standards' current versions say."""
    require(actor, "standards.view_standards")
    if fmt == "openslo":
        return [
            _current_openslo(doc)
            for doc in SpecDocument.objects.filter(source="openslo").order_by("kind", "namespace", "name")
        ]
    documents: list[dict[str, Any]] = []
    for calendar in Calendar.objects.prefetch_related("periods", "holidays").order_by("key"):
        documents.append(
            {
                "apiVersion": NATIVE,
                "kind": "Calendar",
                "metadata": {"name": calendar.key},
                "spec": {
                    "name": calendar.name,
                    "timeZone": calendar.time_zone,
                    "alwaysOpen": calendar.always_open,
                    "periods": [
                        {
                            "weekday": p.weekday,
                            "start": p.start_time.strftime("%H:%M"),
                            "end": p.end_time.strftime("%H:%M"),
                        }
                        for p in calendar.periods.all()
                    ],
                    "holidays": [
                        {"date": h.date.isoformat(), "name": h.name} for h in calendar.holidays.all()
                    ],
                },
            }
        )
    for hours in ServiceHours.objects.select_related("service", "calendar").order_by("service__key"):
        documents.append(
            {
                "apiVersion": NATIVE,
                "kind": "ServiceHours",
                "metadata": {"name": hours.service.key},
                "spec": {"calendar": hours.calendar.key},
            }
        )
    for standard in ServiceStandard.objects.select_related("service", "package").order_by("key"):
        versions = []
        for v in standard.versions.select_related("calendar").order_by("number"):
            versions.append(
                {
                    "effectiveAt": v.effective_at.isoformat(),
                    "note": v.change_note,
                    "metric": v.metric,
                    "customMetric": v.custom_metric,
                    "scope": v.scope,
                    "comparator": v.comparator,
                    "threshold": _number(v.threshold),
                    "thresholdUnit": v.threshold_unit,
                    "targetPercent": _number(v.target_percent),
                    "windowKind": v.window_kind,
                    "windowDays": v.window_days,
                    "calendarPeriod": v.calendar_period,
                    "windowCount": v.window_count,
                    "windowStartDate": v.window_start_date.isoformat() if v.window_start_date else None,
                    "windowTimeZone": v.window_time_zone,
                    "calendar": v.calendar.key if v.calendar else None,
                    "pauseStates": v.pause_states,
                    "warningPercent": _number(v.warning_percent),
                    "benchmarkValue": _number(v.benchmark_value),
                    "benchmarkSource": v.benchmark_source,
                    "budgetingMethod": v.budgeting_method,
                    "spec": v.spec,
                }
            )
        documents.append(
            {
                "apiVersion": NATIVE,
                "kind": "Standard",
                "metadata": {"name": standard.key},
                "spec": {
                    "service": standard.service.key,
                    "name": standard.name,
                    "kind": standard.kind,
                    "package": standard.package.name if standard.package else None,
                    "counterparty": standard.counterparty,
                    "versions": versions,
                },
            }
        )
    return documents


SOURCE_NAMES = {"sloth": "Sloth", "pyrra": "Pyrra"}


def openslo_left_out(*, actor: Any) -> str | None:
    """What `standards_export(fmt="openslo")` leaves out, and why (None when nothing): standards that no
    stored OpenSLO SLO makes (Sloth/Pyrra ones, standards made here, standards kept after their objective
    left the OpenSLO document). Said by the CLI, the API and the page beside the export."""
    require(actor, "standards.view_standards")
    exported: set[str] = set()
    for doc in SpecDocument.objects.filter(source="openslo", kind="SLO"):
        plan = _plan(doc)
        exported |= {p.key for p in plan.standards} if plan else {doc.name}
    left = []
    for standard in ServiceStandard.objects.exclude(key__in=exported).order_by("key"):
        if standard.source in SOURCE_NAMES:
            why = f"{SOURCE_NAMES[standard.source]}; use --format native"
        elif standard.source == "openslo":
            why = "its objective is no longer in an OpenSLO document; use --format native"
        else:
            why = "made here, not from OpenSLO; use --format native"
        left.append(f"{standard.key} ({why})")
    if not left:
        return None
    return f"left out {len(left)} standard(s) not from OpenSLO: " + ", ".join(left)


def _plan(doc: SpecDocument) -> slo_mapping.Plan | None:
    try:
        spec = openslo.spec_model(doc.api_version, "SLO").model_validate(doc.document.get("spec") or {})
        metadata = doc.document.get("metadata") or {}
        return slo_mapping.openslo_plan(doc.name, metadata.get("displayName"), spec, doc.document)
    except (ValueError, KeyError, slo_mapping.Unrepresentable):  # stored before the rules of issue 12
        return None


def _window(version: Any, api_version: str) -> dict[str, Any]:
    zone = version.window_time_zone or "UTC"
    if version.window_kind == "rolling":
        if api_version == openslo.V1ALPHA:
            return {"unit": "Day", "count": version.window_days, "isRolling": True}
        return {"duration": f"{version.window_days}d", "isRolling": True}
    unit = PERIOD_UNIT[version.calendar_period or "month"]
    calendar: dict[str, Any] = {"timeZone": zone}
    if version.window_start_date:
        calendar = {"startTime": f"{version.window_start_date.isoformat()} 00:00:00", "timeZone": zone}
    if api_version == openslo.V1ALPHA:
        return {
            "unit": V1ALPHA_UNIT_NAMES.get(unit, "Day"),
            "count": version.window_count,
            "isRolling": False,
            "calendar": calendar,
        }
    return {"duration": f"{version.window_count}{unit}", "isRolling": False, "calendar": calendar}


def _current_openslo(doc: SpecDocument) -> dict[str, Any]:
    """The stored document; for an SLO whose standards were revised since, with their current target,
    comparator, threshold and window written back into its objectives and time window."""
    plan = _plan(doc) if doc.kind == "SLO" else None
    if plan is None:
        return doc.document
    data = copy.deepcopy(doc.document)
    spec = data["spec"]
    window_key = "timeWindows" if doc.api_version == openslo.V1ALPHA else "timeWindow"
    for index, planned in enumerate(plan.standards):
        standard = ServiceStandard.objects.filter(key=planned.key).first()
        version = standard.current if standard else None
        state = _version_state(version)
        if version is None or state is None:
            continue
        wanted = {k: _normal(v) for k, v in planned.version.items() if k != "spec"}
        if {k: state.get(k) for k in wanted} == wanted:
            continue
        objective = spec["objectives"][index]
        share = version.target_percent / Decimal(100)
        if "targetPercent" in objective:
            objective["targetPercent"] = float(version.target_percent)
        else:
            objective["target"] = float(share)
        if version.threshold_unit != "ratio":
            objective["op"], objective["value"] = version.comparator, float(version.threshold)
        if index == 0:
            spec[window_key] = [_window(version, doc.api_version)]
    return data
