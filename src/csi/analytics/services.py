"""Writes of the analytics app: the rollups that pages and the attainment API read."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import ibis
from django.db import transaction
from django.utils import timezone

from csi.analytics import attainment as attainment_engine
from csi.analytics.engine import record_rules, record_targets, source_tables, version_targets
from csi.analytics.measurements import record_days
from csi.analytics.models import AttainmentDay, BreachCount, RollupRun, ServiceDay, ServiceDuration
from csi.catalog.models import Service
from csi.core.permissions import SystemActor, require
from csi.core.services import Actor
from csi.measures import selectors as measures_selectors
from csi.measures import store
from csi.measures.choices import TICKET_KINDS, BatchStatus
from csi.measures.models import DataSource
from csi.standards.models import StandardVersion

# Resolution-hour buckets of the duration distribution: [0, 1), [1, 2), ... [192, open).
BUCKETS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 24.0, 48.0, 96.0, 192.0)
SYSTEM = SystemActor("rollups")


def _bucket(hours: float) -> int:
    index = 0
    for i, low in enumerate(BUCKETS):
        if hours >= low:
            index = i
    return index


def _service_days(tables: Any, services: dict[str, int]) -> tuple[list[ServiceDay], list[ServiceDuration]]:
    """Per service and UTC day: opened, resolved, closed, end-of-day backlog; and the resolution-hour
    distribution per service and month of resolution."""
    con, facts, assigned = tables.con, tables.facts, tables.services
    joined = facts.join(assigned, "ticket_id")
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, index in (("opened_at", 0), ("resolved_at", 1), ("closed_at", 2)):
        present = joined.filter(joined[column].notnull())
        per_day = present.group_by(["service", present[column].date().name("day")]).aggregate(
            n=present.count()
        )
        for row in con.to_pyarrow(per_day).to_pylist():
            counts[(row["service"], row["day"])][index] += int(row["n"])
    days: list[ServiceDay] = []
    by_service: dict[str, list[date]] = defaultdict(list)
    for service, day in counts:
        by_service[service].append(day)
    for service, seen in by_service.items():
        if service not in services:
            continue
        backlog = 0
        day, last = min(seen), max(seen)
        while day <= last:
            opened, resolved, closed = counts.get((service, day), (0, 0, 0))
            backlog += opened - closed
            days.append(
                ServiceDay(
                    service_id=services[service],
                    day=day,
                    opened=opened,
                    resolved=resolved,
                    closed=closed,
                    backlog=backlog,
                )
            )
            day += timedelta(days=1)
    resolved = joined.filter(joined.resolution_seconds.notnull())
    hours = resolved.resolution_seconds / 3600.0
    bucket = ibis.cases(*[(hours >= low, i) for i, low in reversed(list(enumerate(BUCKETS)))], else_=0)
    histogram = resolved.group_by(
        ["service", resolved.resolved_at.truncate("M").date().name("month"), bucket.name("bucket")]
    ).aggregate(n=resolved.count())
    durations = []
    for row in con.to_pyarrow(histogram).to_pylist():
        if row["service"] not in services:
            continue
        index = int(row["bucket"])
        durations.append(
            ServiceDuration(
                service_id=services[row["service"]],
                month=row["month"],
                low_hours=BUCKETS[index],
                high_hours=BUCKETS[index + 1] if index + 1 < len(BUCKETS) else None,
                tickets=int(row["n"]),
            )
        )
    return days, durations


def rollups_refresh(*, actor: Actor = SYSTEM) -> RollupRun:
    """Recompute every rollup from the committed batches of every ticket source and the standards in
    force, then replace the stored rollups in one transaction (readers see the old or the new, never a
    mix). Returns the run record."""
    require(actor, "measures.import_data")
    started = time.perf_counter()
    services = dict(Service.objects.values_list("key", "pk"))
    version_standard = dict(StandardVersion.objects.values_list("pk", "standard_id"))
    day_rows: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    breach_rows: dict[tuple[int, str, str], int] = defaultdict(int)
    service_days: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    durations: dict[tuple[int, date, float], list[Any]] = {}
    events = tickets = 0
    sources = (
        DataSource.objects.filter(kind__in=TICKET_KINDS, batches__status=BatchStatus.COMMITTED)
        .distinct()
        .select_related("profile")
    )
    for source in sources:
        if not source.rules.exists():
            continue  # no ticket of it belongs to a service: nothing to roll up
        tables = source_tables(actor=actor, source=source)
        events += int(tables.con.to_pyarrow(tables.events.count()).as_py())
        tickets += int(tables.con.to_pyarrow(tables.facts.count()).as_py())
        mapped = {
            row["service"]
            for row in tables.con.to_pyarrow(tables.services.select("service").distinct()).to_pylist()
        }
        targets = version_targets(mapped)
        result = attainment_engine.attainment(
            tables.con, tables.events, tables.facts, tables.services, targets
        )
        for row in result.days:
            counts = day_rows[(int(row["version_id"]), row["day"])]
            counts[0] += int(row["tickets"])
            counts[1] += int(row["met"])
            counts[2] += int(row["near_breached"])
        for row in result.pareto:
            breach_rows[(int(row["version_id"]), str(row["attribute"]), str(row["value"])[:300])] += int(
                row["breaches"]
            )
        days, buckets = _service_days(tables, services)
        for d in days:
            totals = service_days[(d.service_id, d.day)]
            for i, value in enumerate((d.opened, d.resolved, d.closed, d.backlog)):
                totals[i] += value
        for b in buckets:
            key = (b.service_id, b.month, b.low_hours)
            if key in durations:
                durations[key][1] += b.tickets
            else:
                durations[key] = [b.high_hours, b.tickets]
        tables.con.disconnect()
    for source in (
        DataSource.objects.exclude(kind__in=TICKET_KINDS)
        .filter(batches__status=BatchStatus.COMMITTED)
        .distinct()
    ):
        rules = record_rules(source)
        if not rules:
            continue
        con = store.ibis_connection()
        try:
            batches = measures_selectors.committed_batches(actor=actor, source=source)
            table = store.records(con, batches, source.kind)
            if table is None:
                continue
            record_versions = record_targets({service for service, _, _ in rules})
            for row in record_days(con, table, source.kind, rules, record_versions):
                counts = day_rows[(int(row["version_id"]), row["day"])]
                counts[0] += row["tickets"]
                counts[1] += row["met"]
        finally:
            con.disconnect()
    with transaction.atomic():
        AttainmentDay.objects.all().delete()
        BreachCount.objects.all().delete()
        ServiceDay.objects.all().delete()
        ServiceDuration.objects.all().delete()
        AttainmentDay.objects.bulk_create(
            [
                AttainmentDay(
                    version_id=version_id,
                    standard_id=version_standard[version_id],
                    day=day,
                    tickets=t,
                    met=m,
                    near_breached=n,
                )
                for (version_id, day), (t, m, n) in sorted(day_rows.items())
            ],
            batch_size=2000,
        )
        BreachCount.objects.bulk_create(
            [
                BreachCount(
                    version_id=version_id,
                    standard_id=version_standard[version_id],
                    attribute=attribute,
                    value=value,
                    breaches=count,
                )
                for (version_id, attribute, value), count in breach_rows.items()
            ],
            batch_size=2000,
        )
        ServiceDay.objects.bulk_create(
            [
                ServiceDay(service_id=s, day=d, opened=o, resolved=r, closed=c, backlog=b)
                for (s, d), (o, r, c, b) in sorted(service_days.items())
            ],
            batch_size=2000,
        )
        ServiceDuration.objects.bulk_create(
            [
                ServiceDuration(service_id=s, month=m, low_hours=low, high_hours=high, tickets=n)
                for (s, m, low), (high, n) in sorted(
                    durations.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])
                )
            ],
            batch_size=2000,
        )
        run = RollupRun.objects.create(
            finished_at=timezone.now(),
            duration_seconds=round(time.perf_counter() - started, 3),
            events=events,
            tickets=tickets,
        )
    return run


def rollups_refresh_later(*, actor: Actor) -> str:
    """Queue `rollups_refresh` for the background worker, for whoever may run it now (checked here);
    returns the task's id."""
    require(actor, "measures.import_data")
    from csi.analytics.tasks import refresh_rollups

    return str(refresh_rollups.enqueue().id)


def refresh_after_change(source_id: int) -> None:
    """The measures app's data-changed hook (called once the change has committed): queue a rollup
    refresh for the background worker, so that an import or a rule change answers at once however much
    data there is."""
    from csi.analytics.tasks import refresh_rollups

    refresh_rollups.enqueue()
