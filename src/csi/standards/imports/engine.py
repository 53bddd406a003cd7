"""`standards_import` and `standards_export`: all documents validated first, then applied in one
transaction (or not at all); matched to what is stored by kind and name."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from pydantic import ValidationError as PydanticError

from csi.catalog import services as catalog_services
from csi.catalog.models import Service
from csi.core.documents import (
    Document,
    DocumentErrors,
    ImportReport,
    Problem,
    Problems,
    check_duplicates,
    load_documents,
    pydantic_problems,
)
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent
from csi.core.permissions import require
from csi.core.services import model_create, model_update
from csi.standards import services
from csi.standards.imports import openslo, prometheus, slo_mapping
from csi.standards.imports.native import NATIVE_KINDS
from csi.standards.models import Calendar, ServiceHours, ServiceStandard, SpecDocument, StandardVersion
from csi.standards.services import VERSION_FIELDS

NATIVE = "csi-workbench/v1"
OPENSLO_VERSIONS = set(openslo.KINDS_BY_VERSION)


def _identity(document: Document) -> tuple[str, str, str, str]:
    if prometheus.detect(document.data):
        return prometheus.identity(document.data)
    if document.api_version in OPENSLO_VERSIONS:
        return "openslo", document.kind, openslo.folder(document.data), document.name
    return document.api_version, document.kind, "", document.name


def _parse(documents: list[Document], problems: Problems) -> list[tuple[Document, Any]]:
    parsed: list[tuple[Document, Any]] = []
    for document in documents:
        version, kind = document.api_version, document.kind
        if version == NATIVE:
            model = NATIVE_KINDS.get(kind)
            if model is None:
                problems.add(
                    document.where("kind"), f"'{kind}' is not a standards kind ({', '.join(NATIVE_KINDS)})"
                )
                continue
            try:
                parsed.append((document, model.model_validate(document.data)))
            except PydanticError as exc:
                problems.items.extend(_located(pydantic_problems(document, exc)))
        elif version in OPENSLO_VERSIONS or (kind in openslo.ALL_KINDS and "openslo" in version):
            allowed = openslo.KINDS_BY_VERSION.get(version)
            if allowed is None:
                problems.add(
                    document.where("apiVersion"),
                    f"'{version}' is not an OpenSLO version this reads ({', '.join(sorted(OPENSLO_VERSIONS))})",
                )
                continue
            if kind not in allowed:
                versions = [v for v, kinds in openslo.KINDS_BY_VERSION.items() if kind in kinds]
                hint = (
                    f"; {kind} is in {', '.join(versions)}"
                    if versions
                    else f"; kinds are {', '.join(openslo.ALL_KINDS)}"
                )
                problems.add(
                    document.where("kind" if not versions else "apiVersion"), f"{version} has no {kind}{hint}"
                )
                continue
            try:
                openslo.Document.model_validate(document.data)
            except PydanticError as exc:
                problems.items.extend(_located(pydantic_problems(document, exc)))
                continue
            raw = document.data.get("spec") or {}
            slices = [
                Problem(document.where(p), m) for p, m in openslo.time_slice_problems(version, kind, raw)
            ]
            try:
                spec: Any = openslo.spec_model(version, kind).model_validate(raw)
            except PydanticError as exc:
                found = _located(pydantic_problems(document, exc, prefix="spec."))
                problems.items.extend(found + [p for p in slices if p.where not in {f.where for f in found}])
                continue
            if slices:
                problems.items.extend(slices)
                continue
            if kind == "SLO":
                try:
                    metadata = document.data.get("metadata") or {}
                    spec = slo_mapping.openslo_plan(
                        document.name, metadata.get("displayName"), spec, document.data
                    )
                except slo_mapping.Unrepresentable as exc:
                    problems.add(document.where(exc.path), exc.message)
                    continue
            parsed.append((document, spec))
        elif prometheus.detect(document.data):
            try:
                parsed.append((document, prometheus.plan(document.data)))
            except slo_mapping.Unrepresentable as exc:
                problems.add(document.where(exc.path), exc.message)
        elif "backstage" in version:
            problems.add(
                document.where("apiVersion"), "a Backstage document: import it with `csi catalog import`"
            )
        elif not version and "version" in document.data:
            problems.add(
                document.where("version"),
                f"'{document.data.get('version')}' is not a Sloth version this reads ({prometheus.SLOTH_VERSION}; "
                f"or its Kubernetes resource {prometheus.SLOTH_K8S} PrometheusServiceLevel)",
            )
        else:
            problems.add(
                document.where("apiVersion"),
                f"'{version}' is neither {NATIVE}, OpenSLO ({', '.join(sorted(OPENSLO_VERSIONS))}), "
                f"Sloth ({prometheus.SLOTH_VERSION}, {prometheus.SLOTH_K8S}) nor Pyrra ({prometheus.PYRRA})",
            )
    _check_keys(parsed, problems)
    return parsed


def _check_keys(parsed: list[tuple[Document, Any]], problems: Problems) -> None:
    """Two documents (or two SLOs of one Sloth file) of one import that would make the same standard key
    are refused with the field path: one would silently overwrite the other."""
    seen: dict[str, Document] = {}
    for document, spec in parsed:
        if isinstance(spec, slo_mapping.Plan):
            planned = [(p.key, p.path) for p in spec.standards]
        elif document.api_version == NATIVE and document.kind == "Standard":
            planned = [(document.name, "metadata.name")]
        else:
            continue
        for key, path in planned:
            if key in seen:
                other = seen[key]
                where = "" if other is document else f" ({other.where()})"
                problems.add(
                    document.where(path),
                    f"another SLO of this import{where} is also keyed {key}: give each its own name",
                )
            else:
                seen[key] = document


LOCATED = re.compile(r"^(?P<where>.*?): Value error, (?P<path>[A-Za-z][\w\[\]\.\*]*): (?P<message>.*)$", re.S)


def _located(items: list[Problem]) -> list[Problem]:
    """A cross-field rule names the field it is about at the start of its message: move it into the path
    (and a rule on the whole spec is placed at `spec`, not `spec.`)."""
    located = []
    for problem in items:
        match = LOCATED.match(f"{problem.where}: {problem.message}")
        if match:
            where = match["where"].rstrip(".")
            located.append(Problem(f"{where}.{match['path']}", match["message"]))
        else:
            message = problem.message.removeprefix("Value error, ")
            located.append(Problem(problem.where.rstrip("."), message))
    return located


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def _version_state(version: StandardVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        name: _normal(getattr(version, name if name != "calendar" else "calendar_id"))
        for name in VERSION_FIELDS
    }


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if hasattr(value, "pk"):
        return value.pk
    return value


class _Run:
    def __init__(self, actor: Any, report: ImportReport, problems: Problems) -> None:
        self.actor, self.report, self.problems = actor, report, problems

    def step(
        self, document: Document, kind_name: tuple[str, str], existed: bool, action: Any, record: bool = True
    ) -> Any:
        before = AuditEvent.objects.count()
        try:
            with transaction.atomic():
                result = action()
        except ValidationError as exc:
            items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
            for field, texts in items:
                self.problems.add(
                    document.where(f"spec.{field}" if field and field != "__all__" else ""), " ".join(texts)
                )
            return None
        except ConflictError as exc:
            self.problems.add(document.where(f"spec.{exc.field}" if exc.field else ""), exc.message)
            return None
        except PermissionDenied as exc:
            self.problems.add(document.where(), str(exc) or "not permitted")
            return None
        changed = AuditEvent.objects.count() > before
        if not record:
            return result
        self.report.add(
            kind_name[0],
            kind_name[1],
            "create" if not existed else "update" if changed else "unchanged",
            document.where(),
        )
        return result

    def calendar(self, document: Document, doc: Any) -> None:
        spec = doc.spec
        data = {"name": spec.name, "time_zone": spec.time_zone, "always_open": spec.always_open}
        periods = [(p.weekday, p.start, p.end) for p in spec.periods]
        holidays = [(h.date, h.name) for h in spec.holidays]
        existing = Calendar.objects.filter(key=doc.metadata.name).first()
        if existing is None:
            self.step(
                document,
                ("Calendar", doc.metadata.name),
                False,
                lambda: services.calendar_create(
                    actor=self.actor,
                    data={"key": doc.metadata.name, **data},
                    periods=periods,
                    holidays=holidays,
                ),
            )
        else:
            self.step(
                document,
                ("Calendar", doc.metadata.name),
                True,
                lambda: services.calendar_update(
                    actor=self.actor, calendar=existing, data=data, periods=periods, holidays=holidays
                ),
            )

    def _version_data(self, document: Document, version: Any, index: int) -> dict[str, Any]:
        data = version.model_dump(exclude={"effective_at", "note"})
        if data["calendar"]:
            calendar = Calendar.objects.filter(key=data["calendar"]).first()
            if calendar is None:
                raise ValidationError(
                    {f"versions[{index}].calendar": f"No calendar has the key '{data['calendar']}'."}
                )
            data["calendar"] = calendar
        data["calendar_period"] = data["calendar_period"] or ""
        return data

    def hours(self, document: Document, doc: Any) -> None:
        def apply() -> None:
            service = Service.objects.filter(key=doc.metadata.name).first()
            if service is None:
                raise ValidationError({"metadata.name": f"No service has the key '{doc.metadata.name}'."})
            calendar = Calendar.objects.filter(key=doc.spec.calendar).first() if doc.spec.calendar else None
            if doc.spec.calendar and calendar is None:
                raise ValidationError({"calendar": f"No calendar has the key '{doc.spec.calendar}'."})
            current = ServiceHours.objects.filter(service=service).first()
            if (current.calendar_id if current else None) != (calendar.pk if calendar else None):
                services.service_hours_set(actor=self.actor, service=service, calendar=calendar)

        existed = ServiceHours.objects.filter(service__key=doc.metadata.name).exists()
        self.step(document, ("ServiceHours", doc.metadata.name), existed or doc.spec.calendar is None, apply)

    def standard(self, document: Document, doc: Any) -> None:
        spec = doc.spec

        def apply() -> None:
            service = Service.objects.filter(key=spec.service).first()
            if service is None:
                raise ValidationError({"service": f"No service has the key '{spec.service}'."})
            package = service.packages.filter(name=spec.package).first() if spec.package else None
            if spec.package and package is None:
                raise ValidationError({"package": f"{service.key} has no package named '{spec.package}'."})
            meta = {
                "name": spec.name,
                "kind": spec.kind,
                "package": package,
                "counterparty": spec.counterparty,
            }
            standard = ServiceStandard.objects.filter(key=doc.metadata.name).first()
            versions = [(v, self._version_data(document, v, i)) for i, v in enumerate(spec.versions)]
            if standard is None:
                first, first_data = versions[0]
                standard = services.standard_create(
                    actor=self.actor,
                    service=service,
                    data={"key": doc.metadata.name, **meta},
                    version=first_data,
                    effective_at=first.effective_at,
                )
                StandardVersion.objects.filter(standard=standard).update(change_note=first.note)
                for version, data in versions[1:]:
                    services.standard_revise(
                        actor=self.actor,
                        standard=standard,
                        changes=data,
                        effective_at=version.effective_at,
                        note=version.note,
                    )
                return
            if standard.service_id != service.pk:
                raise ConflictError(
                    f"The standard belongs to {standard.service.key}, not {service.key}.", field="service"
                )
            changed_meta = {k: v for k, v in meta.items() if _normal(getattr(standard, k)) != _normal(v)}
            if changed_meta:
                services.standard_update(actor=self.actor, standard=standard, data=changed_meta)
            last, last_data = versions[-1]
            current = standard.current
            wanted = {k: _normal(v) for k, v in last_data.items()}
            if _version_state(current) != wanted:
                effective = (
                    last.effective_at
                    if current is None or last.effective_at >= current.effective_at
                    else None
                )
                services.standard_revise(
                    actor=self.actor,
                    standard=standard,
                    changes=last_data,
                    effective_at=effective,
                    note=last.note,
                )

        existed = ServiceStandard.objects.filter(key=doc.metadata.name).exists()
        self.step(document, ("Standard", doc.metadata.name), existed, apply)

    def openslo_document(self, document: Document, spec: Any) -> None:
        namespace = openslo.folder(document.data)
        lookup = {"source": "openslo", "kind": document.kind, "namespace": namespace, "name": document.name}
        self._spec_document(document, lookup, document.kind, document.name, spec)

    def prometheus_document(self, document: Document, plan: slo_mapping.Plan) -> None:
        source, kind, namespace, name = prometheus.identity(document.data)
        lookup = {"source": source, "kind": kind, "namespace": namespace, "name": name}
        self._spec_document(document, lookup, "SLO", name, plan)

    def _spec_document(
        self, document: Document, lookup: dict[str, str], kind: str, name: str, spec: Any
    ) -> None:
        stored = SpecDocument.objects.filter(**lookup).first()
        digest = _digest(document.data)

        def apply() -> None:
            standard = None
            if document.kind == "Service" and lookup["source"] == "openslo":
                self._service(
                    document.name,
                    (document.data.get("metadata") or {}).get("displayName"),
                    spec.description or "",
                    lookup["source"],
                )
            if isinstance(spec, slo_mapping.Plan):
                standard = self._slo(document, spec, lookup["source"])
            data = {
                "api_version": document.api_version or str(document.data.get("version", "")),
                "document": document.data,
                "digest": digest,
                "standard": standard,
            }
            if stored is None:
                model_create(actor=self.actor, model=SpecDocument, data={**lookup, **data})
            elif stored.digest != digest or (standard is not None and stored.standard_id != standard.pk):
                model_update(actor=self.actor, instance=stored, data=data)

        # An SLO's changes are reported per standard it makes (see `_objective`), not per document.
        self.step(
            document, (kind, name), stored is not None, apply, record=not isinstance(spec, slo_mapping.Plan)
        )

    def _service(self, key: str, name: str | None, description: str, source: str) -> Service:
        service = Service.objects.filter(key=key).first()
        if service is None:
            service = catalog_services.service_create(
                actor=self.actor,
                data={
                    "key": key,
                    "name": name or key,
                    "description": description,
                    "service_type": "technical",
                    "source": source,
                },
            )
            self.report.note(f"created service {key}")
        return service

    def _slo(self, document: Document, plan: slo_mapping.Plan, source: str) -> ServiceStandard:
        """Every objective's standard, created or revised; returns the first (the one keyed by the name)."""
        service = self._service(plan.service, None, "", source)
        for note in plan.notes:
            self.report.note(f"{document.where()}: {note}")
        standards = [self._objective(document, planned, service, source) for planned in plan.standards]
        if len(plan.standards) > 1:
            self.report.note(
                f"{document.where()}: {len(plan.standards)} objectives, one standard each: "
                + ", ".join(p.key for p in plan.standards)
            )
        # Standards of this SLO (OpenSLO: `<name>.<n>`) or of this Sloth service (`<service>-<slo>`) that the
        # document no longer holds are kept, since improvement work may refer to them, and said so.
        prefix = {"openslo": f"{document.name}.", "sloth": f"{plan.service}-"}.get(source)
        if prefix:
            stale = (
                ServiceStandard.objects.filter(key__startswith=prefix, source=source, service=service)
                .exclude(key__in=[p.key for p in plan.standards])
                .order_by("key")
            )
            for standard in stale:
                self.report.note(
                    f"{document.where()}: standard {standard.key} is no longer in this {source} document; "
                    "it is kept (delete it if it is no longer wanted)"
                )
        return standards[0]

    def _objective(
        self, document: Document, planned: slo_mapping.Planned, service: Service, source: str
    ) -> ServiceStandard:
        """The standard of one objective, created or revised, reported as such under its key."""
        existed = ServiceStandard.objects.filter(key=planned.key).exists()
        before = AuditEvent.objects.count()
        standard = self._objective_apply(planned, service, source)
        changed = AuditEvent.objects.count() > before
        action = "create" if not existed else "update" if changed else "unchanged"
        self.report.add("Standard", planned.key, action, document.where())
        return standard

    def _objective_apply(
        self, planned: slo_mapping.Planned, service: Service, source: str
    ) -> ServiceStandard:
        version = planned.version
        standard = ServiceStandard.objects.filter(key=planned.key).first()
        if standard is None:
            return services.standard_create(
                actor=self.actor,
                service=service,
                data={"key": planned.key, "name": planned.name, "kind": "slo", "source": source},
                version=version,
            )
        if standard.service_id != service.pk:
            raise ConflictError(
                f"'{planned.key}' is already a standard of {standard.service.key}.", field="service"
            )
        if standard.name != planned.name:
            services.standard_update(actor=self.actor, standard=standard, data={"name": planned.name})
        current = _version_state(standard.current) or {}
        if {k: current.get(k) for k in version} != {k: _normal(v) for k, v in version.items()}:
            services.standard_revise(
                actor=self.actor, standard=standard, changes=version, note=f"{source} import"
            )
        return standard


def standards_import(
    *,
    actor: Any,
    paths: Iterable[str | Path] | None = None,
    documents: list[Document] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import OpenSLO (v1, v1alpha, v2alpha) and CSI Workbench standards documents. Validates everything
    first (problems name file, document and field; DocumentErrors, nothing stored), then applies in one
    transaction. An SLO becomes an SLO standard of its service (created in the catalog when missing);
    every OpenSLO document is also kept as it was, for export. Re-importing the same files changes
    nothing; a changed SLO makes a new version. Catalog managers only."""
    require(actor, "standards.import_standards")
    problems = Problems()
    documents = documents if documents is not None else load_documents(paths or [], problems)
    documents = check_duplicates(documents, _identity, problems)
    parsed = _parse(documents, problems)
    problems.raise_if_any()
    report = ImportReport(dry_run=dry_run)
    order = {"Calendar": 0, "Service": 1, "ServiceHours": 2, "Standard": 3, "SLO": 4}
    with transaction.atomic():
        run = _Run(actor, report, problems)
        for document, spec in sorted(parsed, key=lambda item: order.get(item[0].kind, 9)):
            if document.api_version == NATIVE:
                {"Calendar": run.calendar, "ServiceHours": run.hours, "Standard": run.standard}[
                    document.kind
                ](document, spec)
            elif isinstance(spec, slo_mapping.Plan) and document.api_version not in OPENSLO_VERSIONS:
                run.prometheus_document(document, spec)
            else:
                run.openslo_document(document, spec)
        if problems.items or dry_run:
            transaction.set_rollback(True)
    if problems.items:
        raise DocumentErrors(problems.items)
    return report
