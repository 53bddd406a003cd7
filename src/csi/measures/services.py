"""Writes of the measures app: profiles, data sources, batches, service mapping rules. Every write is
permission-checked, validated first and audited; import runs are in `csi.measures.importer`."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from csi.core.errors import ConflictError
from csi.core.permissions import require
from csi.core.services import Actor, audit_record, model_create, model_delete, model_update, snapshot
from csi.measures.choices import BatchStatus
from csi.measures.hooks import notify_data_changed
from csi.measures.models import DataSource, ImportBatch, MappingProfile, ServiceMappingRule
from csi.measures.profiles import ProfileDocument, builtin_profiles, profile_from_text


def data_changed(source_id: int) -> None:
    """Tell the registered hooks, once the current transaction commits, that a source changed; several
    changes in one transaction call them once (a rolled-back transaction calls nothing)."""
    for _savepoints, pending, *_ in connection.run_on_commit:
        if getattr(pending, "csi_source_id", None) == source_id:
            return
    notify = partial(notify_data_changed, source_id)
    notify.csi_source_id = source_id  # type: ignore[attr-defined]
    transaction.on_commit(notify)


def sync_builtin_profiles() -> None:
    """Create or refresh the built-in profiles from the files that ship with the code."""
    for key, profile in builtin_profiles().items():
        MappingProfile.objects.update_or_create(
            key=key,
            defaults={
                "name": profile.spec.name,
                "source_kind": profile.spec.source_kind,
                "builtin": True,
                "document": profile.model_dump(mode="json", by_alias=True),
            },
        )


@transaction.atomic
def profile_save(*, actor: Actor, text: str, path: str = "profile.yaml") -> tuple[MappingProfile, bool]:
    """Create or update a profile from YAML text (raises DocumentErrors saying what and where).
    Built-in profiles cannot be replaced; a profile's source kind cannot change while sources use it.
    Returns the profile and whether it was created."""
    require(actor, "measures.manage_sources")
    profile = profile_from_text(text, path)
    return _profile_store(actor, profile)


def _profile_store(actor: Actor, profile: ProfileDocument) -> tuple[MappingProfile, bool]:
    key = profile.metadata.name
    data = {
        "name": profile.spec.name,
        "source_kind": profile.spec.source_kind,
        "document": profile.model_dump(mode="json", by_alias=True),
    }
    existing = MappingProfile.objects.filter(key=key).first()
    if existing is None:
        return model_create(actor=actor, model=MappingProfile, data={"key": key, **data}), True
    if existing.builtin:
        raise ConflictError(
            f"'{key}' is a built-in profile; save yours under another name.", field="metadata.name"
        )
    if existing.source_kind != data["source_kind"] and existing.sources.exists():
        raise ConflictError(
            f"Sources use '{key}' for {existing.get_source_kind_display().lower()}; its kind cannot change.",
            field="spec.sourceKind",
        )
    return model_update(actor=actor, instance=existing, data=data), False


@transaction.atomic
def profile_delete(*, actor: Actor, profile: MappingProfile) -> None:
    """Delete a profile no source uses; built-in profiles stay."""
    require(actor, "measures.manage_sources")
    if profile.builtin:
        raise ConflictError(f"'{profile.key}' is built in and cannot be deleted.")
    if profile.sources.exists():
        raise ConflictError(f"'{profile.key}' is used by {profile.sources.count()} source(s).")
    model_delete(actor=actor, instance=profile)


@transaction.atomic
def source_create(
    *,
    actor: Actor,
    key: str,
    name: str,
    profile: MappingProfile,
    time_zone: str = "UTC",
    description: str = "",
) -> DataSource:
    """Create a data source read with `profile` (its kind is the profile's)."""
    require(actor, "measures.manage_sources")
    data = {
        "key": key,
        "name": name or key,
        "kind": profile.source_kind,
        "profile": profile,
        "time_zone": time_zone,
        "description": description,
    }
    return model_create(actor=actor, model=DataSource, data=data)


@transaction.atomic
def source_update(*, actor: Actor, source: DataSource, data: dict[str, Any]) -> DataSource:
    """Change a source's name, description, time zone or profile (a profile of the same kind)."""
    require(actor, "measures.manage_sources", source)
    allowed = {"name", "description", "time_zone", "profile"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    profile = data.get("profile")
    if profile is not None and profile.source_kind != source.kind:
        raise ValidationError(
            {"profile": f"The source holds {source.get_kind_display().lower()}; pick a profile of that kind."}
        )
    return model_update(actor=actor, instance=source, data=data, scope=source)


def source_for_import(*, actor: Actor, key: str, profile_key: str | None) -> DataSource:
    """The source named `key` (the CLI's `--source NAME [--profile P]`); a given profile must match an
    existing source's profile. When there is no such source, a new one read with `profile_key`, checked
    (permission, key, profile) but NOT saved: the importer saves it only if the import commits, so a dry
    run or a refused first import creates nothing."""
    source = DataSource.objects.select_related("profile").filter(key=key).first()
    if source is not None:
        if profile_key and source.profile.key != profile_key:
            raise ConflictError(
                f"Source '{key}' is read with profile '{source.profile.key}', not '{profile_key}'.",
                field="profile",
            )
        return source
    if not profile_key:
        raise ValidationError({"profile": f"Source '{key}' is new: name its profile (--profile)."})
    profile = MappingProfile.objects.filter(key=profile_key).first()
    if profile is None:
        known = ", ".join(MappingProfile.objects.values_list("key", flat=True))
        raise ValidationError({"profile": f"No profile '{profile_key}' (known: {known})."})
    require(actor, "measures.manage_sources")
    source = DataSource(key=key, name=key, kind=profile.source_kind, profile=profile, time_zone="UTC")
    source.full_clean()
    return source


@transaction.atomic
def batch_delete(*, actor: Actor, batch: ImportBatch) -> ImportBatch:
    """Take a committed batch out of the store: its files are removed and the source reads as if it had
    never been imported (its new events go; events it shared with later batches stay, read from their
    seen.parquet; a replace batch's hidden events come back; see docs/decisions/0006). The run stays in
    the history as deleted (audited)."""
    require(actor, "measures.import_data", batch.source)
    if batch.status != BatchStatus.COMMITTED:
        raise ConflictError(
            f"Batch #{batch.pk} is {batch.get_status_display().lower()}; only committed batches can be deleted."
        )
    before = snapshot(batch)
    batch.status = BatchStatus.DELETED
    batch.deleted_at = timezone.now()
    batch.save(update_fields=["status", "deleted_at"])
    audit_record(
        actor=actor, verb="delete", obj=batch, before=before, after=snapshot(batch), scope=batch.source
    )
    from csi.measures import store  # DuckDB and Arrow load only when data is touched

    source_id, batch_id = batch.source_id, batch.pk
    transaction.on_commit(lambda: store.remove_batch(source_id, batch_id))
    data_changed(source_id)
    return batch


# Samples and answers are mapped by one field of theirs (they have no ticket fields for expressions).
RECORD_RULE_FIELD = {"metric_samples": "configuration_item", "survey_answers": "category"}


def _rule_data(data: dict[str, Any], source: DataSource) -> dict[str, Any]:
    from csi.measures.expressions import RuleError, check_expression

    expression = (data.get("expression") or "").strip()
    field = data.get("field") or ""
    values = [str(v).strip() for v in data.get("values") or [] if str(v).strip()]
    if bool(expression) == bool(field):
        raise ValidationError({"expression": "Give either a field with its values or an expression."})
    if field and not values:
        raise ValidationError({"values": "List the values of the field that belong to the service."})
    wanted = RECORD_RULE_FIELD.get(source.kind)
    if wanted and (expression or field != wanted):
        raise ValidationError(
            {
                "field": f"A source of {source.get_kind_display().lower()} is mapped by {wanted.replace('_', ' ')}."
            }
        )
    if expression:
        try:
            check_expression(expression)
        except RuleError as exc:
            raise ValidationError({"expression": str(exc)}) from exc
    return {**data, "expression": expression, "field": field, "values": values}


@transaction.atomic
def rule_create(*, actor: Actor, source: DataSource, data: dict[str, Any]) -> ServiceMappingRule:
    """Add a rule assigning the source's tickets to a service (see ServiceMappingRule)."""
    require(actor, "measures.manage_sources", source)
    rule = model_create(
        actor=actor,
        model=ServiceMappingRule,
        data={**_rule_data(data, source), "source": source},
        scope=source,
    )
    data_changed(source.pk)
    return rule


@transaction.atomic
def rule_update(*, actor: Actor, rule: ServiceMappingRule, data: dict[str, Any]) -> ServiceMappingRule:
    require(actor, "measures.manage_sources", rule.source)
    merged = {"field": rule.field, "values": rule.values, "expression": rule.expression, **data}
    rule = model_update(actor=actor, instance=rule, data=_rule_data(merged, rule.source), scope=rule.source)
    data_changed(rule.source_id)
    return rule


@transaction.atomic
def rule_delete(*, actor: Actor, rule: ServiceMappingRule) -> None:
    require(actor, "measures.manage_sources", rule.source)
    source = rule.source
    model_delete(actor=actor, instance=rule, scope=source)
    data_changed(source.pk)
