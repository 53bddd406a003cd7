"""Reads of the measures app, permission-checked (everybody signed in may read measured data)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from csi.core.permissions import require
from csi.core.services import Actor
from csi.measures.batchref import BatchRef
from csi.measures.choices import BatchStatus, ImportMode
from csi.measures.models import DataSource, ImportBatch, ImportReject, MappingProfile, ServiceMappingRule


def profile_list(*, actor: Actor) -> QuerySet[MappingProfile]:
    require(actor, "measures.view_measures")
    return MappingProfile.objects.order_by("-builtin", "key")


def profile_get(*, actor: Actor, key: str) -> MappingProfile:
    require(actor, "measures.view_measures")
    profile = MappingProfile.objects.filter(key=key).first()
    if profile is None:
        raise Http404(f"No profile '{key}'.")
    return profile


def source_list(*, actor: Actor) -> QuerySet[DataSource]:
    require(actor, "measures.view_measures")
    return DataSource.objects.select_related("profile").order_by("name")


def source_get(*, actor: Actor, key: str) -> DataSource:
    require(actor, "measures.view_measures")
    source = DataSource.objects.select_related("profile").filter(key=key).first()
    if source is None:
        raise Http404(f"No data source '{key}'.")
    return source


def batch_list(*, actor: Actor, source_key: str | None = None) -> QuerySet[ImportBatch]:
    require(actor, "measures.view_measures")
    batches = ImportBatch.objects.select_related("source", "created_by")
    if source_key:
        batches = batches.filter(source__key=source_key)
    return batches.order_by("-started_at", "-pk")


def batch_get(*, actor: Actor, pk: int) -> ImportBatch:
    require(actor, "measures.view_measures")
    batch = ImportBatch.objects.select_related("source").filter(pk=pk).first()
    if batch is None:
        raise Http404(f"No import run #{pk}.")
    return batch


def reject_list(*, actor: Actor, batch: ImportBatch) -> QuerySet[ImportReject]:
    require(actor, "measures.view_measures")
    return batch.reject_rows.order_by("line", "pk")


def committed_batches(*, actor: Actor, source: DataSource) -> list[BatchRef]:
    """The source's committed batches, oldest first, as `store.ticket_events` reads them (each a
    (source id, batch id, mode, seen_in, rebased) tuple): what analytics read."""
    require(actor, "measures.view_measures")
    return visible_batches(source.pk)


def visible_batches(source_id: int) -> list[BatchRef]:
    """`committed_batches` without the permission check, for the importer comparing a file with what
    its source holds. `rebased`: a replace batch before it was deleted since (see store.ticket_events)."""
    rows = (
        ImportBatch.objects.filter(
            source_id=source_id, status__in=[BatchStatus.COMMITTED, BatchStatus.DELETED]
        )
        .order_by("pk")
        .values_list("pk", "status", "mode", "seen_in")
    )
    refs: list[BatchRef] = []
    deleted_replace = False
    for pk, status, mode, seen_in in rows:
        if status == BatchStatus.DELETED:
            deleted_replace = deleted_replace or mode == ImportMode.REPLACE
            continue
        refs.append(BatchRef(source_id, pk, mode, tuple(seen_in or ()), deleted_replace))
    return refs


def rule_list(*, actor: Actor, source: DataSource) -> QuerySet[ServiceMappingRule]:
    require(actor, "measures.view_measures")
    return source.rules.select_related("service").order_by("position", "pk")


def rule_get(*, actor: Actor, pk: int) -> ServiceMappingRule:
    require(actor, "measures.view_measures")
    rule = ServiceMappingRule.objects.select_related("source", "service").filter(pk=pk).first()
    if rule is None:
        raise Http404(f"No rule #{pk}.")
    return rule
