"""Reads of the measures app, permission-checked (everybody signed in may read measured data)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from csi.core.permissions import require
from csi.core.services import Actor
from csi.measures.choices import BatchStatus
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


def committed_batches(*, actor: Actor, source: DataSource) -> list[tuple[int, int]]:
    """(source id, batch id) of the source's committed batches, oldest first: what analytics read."""
    require(actor, "measures.view_measures")
    ids = source.batches.filter(status=BatchStatus.COMMITTED).order_by("pk").values_list("pk", flat=True)
    return [(source.pk, pk) for pk in ids]


def rule_list(*, actor: Actor, source: DataSource) -> QuerySet[ServiceMappingRule]:
    require(actor, "measures.view_measures")
    return source.rules.select_related("service").order_by("position", "pk")


def rule_get(*, actor: Actor, pk: int) -> ServiceMappingRule:
    require(actor, "measures.view_measures")
    rule = ServiceMappingRule.objects.select_related("source", "service").filter(pk=pk).first()
    if rule is None:
        raise Http404(f"No rule #{pk}.")
    return rule
