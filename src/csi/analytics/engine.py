"""The bridge between the app database and the Ibis analytics: a source's events, its ticket facts and
service assignments as Ibis tables, and the standard versions as plain targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from csi.analytics.attainment import STOP_COLUMN, VersionTarget
from csi.analytics.measurements import RecordTarget
from csi.analytics.rules import ServiceRule, assign_services
from csi.analytics.tickets import TicketRules, ticket_facts
from csi.core.services import Actor
from csi.measures import selectors as measures_selectors
from csi.measures import store
from csi.measures.models import DataSource
from csi.standards.business_time import calendar_spec
from csi.standards.choices import UNIT_SECONDS
from csi.standards.models import ServiceStandard, StandardVersion

SCOPE_FIELDS = {
    "priority": "priority",
    "category": "category",
    "customer": "customer",
    "ticket_type": "ticket_type",
}


def ticket_rules(source: DataSource) -> TicketRules:
    states = source.profile.parsed.spec.states
    return TicketRules(
        resolved_states=tuple(states.resolved),
        closed_states=tuple(states.closed),
        new_states=tuple(states.new),
    )


def service_rules(source: DataSource) -> list[ServiceRule]:
    rules = []
    for rule in source.rules.select_related("service").order_by("position", "pk"):
        rules.append(
            ServiceRule(
                service=rule.service.key,
                field=rule.field or None,
                values=tuple(rule.values) if rule.field else (),
                expression=rule.expression or None,
            )
        )
    return rules


@dataclass
class SourceTables:
    """A source's data as Ibis tables on one connection; `facts` and `services` are materialised once
    (temporary tables), since every report reads them several times. `facts` is `ticket_facts` without
    its `ping_pongs` column (call `ticket_facts(events, ...)` for them)."""

    con: ibis.BaseBackend
    events: ir.Table
    facts: ir.Table
    services: ir.Table
    batches: int


def source_tables(*, actor: Actor, source: DataSource, con: ibis.BaseBackend | None = None) -> SourceTables:
    """The source's committed data: each ticket's history the union of its batches' events, each event
    once (`csi.measures.store.ticket_events`)."""
    con = con or store.ibis_connection()
    batches = measures_selectors.committed_batches(actor=actor, source=source)
    events = store.ticket_events(con, batches)
    # Without ping_pongs: no report reads them, and they cost a distinct count over the events.
    facts = ticket_facts(events, ticket_rules(source), ping_pongs=False)
    facts = con.create_table(f"facts_{source.pk}", facts, temp=True)
    rules = service_rules(source)
    if rules:
        services = con.create_table(f"services_{source.pk}", assign_services(facts, rules), temp=True)
    else:
        services = facts.select("ticket_id", service=ibis.literal("", "string")).limit(0)
    return SourceTables(con=con, events=events, facts=facts, services=services, batches=len(batches))


def versions_in_force(standard: ServiceStandard) -> list[tuple[StandardVersion, datetime | None]]:
    """A standard's versions in effective order, each with the time the next one takes over."""
    versions = sorted(standard.versions.all(), key=lambda v: (v.effective_at, v.number))
    ends = [v.effective_at for v in versions[1:]] + [None]
    return list(zip(versions, ends, strict=True))


def version_targets(service_keys: set[str]) -> list[VersionTarget]:
    """The response- and resolution-time versions of the standards of these services, each with the
    time it stops being in force (the next version's effective time)."""
    targets: list[VersionTarget] = []
    standards = (
        ServiceStandard.objects.filter(service__key__in=service_keys)
        .select_related("service")
        .prefetch_related("versions__calendar__periods", "versions__calendar__holidays")
    )
    for standard in standards:
        for version, following in versions_in_force(standard):
            if version.metric not in STOP_COLUMN or version.threshold_unit not in UNIT_SECONDS:
                continue
            scope = tuple(
                (SCOPE_FIELDS[key], tuple(str(v) for v in values))
                for key, values in sorted((version.scope or {}).items())
                if key in SCOPE_FIELDS and values
            )
            targets.append(
                VersionTarget(
                    version_id=version.pk,
                    standard_key=standard.key,
                    service_key=standard.service.key,
                    metric=version.metric,
                    comparator=version.comparator,
                    threshold_seconds=float(
                        Decimal(version.threshold) * UNIT_SECONDS[version.threshold_unit]
                    ),
                    warning_percent=float(version.warning_percent),
                    effective_from=version.effective_at,
                    effective_to=following,
                    calendar=calendar_spec(version.calendar),
                    pause_states=tuple(version.pause_states or ()),
                    scope=scope,
                    window_time_zone=version.window_time_zone or "UTC",
                )
            )
    return targets


RECORD_METRICS = {"availability", "csat", "custom"}


def record_targets(service_keys: set[str]) -> list[RecordTarget]:
    """The availability, CSAT and custom-metric versions of the standards of these services."""
    targets: list[RecordTarget] = []
    standards = ServiceStandard.objects.filter(service__key__in=service_keys).select_related("service")
    for standard in standards.prefetch_related("versions"):
        for version, following in versions_in_force(standard):
            if version.metric not in RECORD_METRICS:
                continue
            targets.append(
                RecordTarget(
                    version_id=version.pk,
                    service_key=standard.service.key,
                    metric=version.metric,
                    custom_metric=version.custom_metric,
                    comparator=version.comparator,
                    threshold=float(version.threshold),
                    window_time_zone=version.window_time_zone or "UTC",
                    effective_from=version.effective_at,
                    effective_to=following,
                )
            )
    return targets


def record_rules(source: DataSource) -> list[tuple[str, str, tuple[str, ...]]]:
    """(service key, field, values) of a sample or answer source's rules (field rules only)."""
    return [
        (rule.service.key, rule.field, tuple(rule.values))
        for rule in source.rules.select_related("service").order_by("position", "pk")
        if rule.field
    ]
