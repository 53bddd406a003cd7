"""`catalog_import`: validate every document first, then apply them all in one transaction (or none)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from pydantic import ValidationError as PydanticError

from csi.accounts import services as account_services
from csi.accounts.models import User
from csi.catalog import services
from csi.catalog.imports import backstage
from csi.catalog.imports.apply import apply_service_parts, differing_fields, upsert_service
from csi.catalog.imports.export import catalog_export
from csi.catalog.imports.native_schema import NATIVE_KINDS
from csi.catalog.models import OrganisationObjective, Process, Service, ServiceDependency, Stakeholder
from csi.core.documents import (
    Document,
    DocumentErrors,
    ImportReport,
    Problems,
    check_duplicates,
    load_documents,
    pydantic_problems,
)
from csi.core.errors import ConflictError
from csi.core.models import AuditEvent
from csi.core.permissions import require

NATIVE_API_VERSION = "csi-workbench/v1"
__all__ = ["NATIVE_API_VERSION", "catalog_export", "catalog_import"]


def _identity(document: Document) -> tuple[str, str, str, str]:
    raw = document.data.get("metadata")
    metadata: dict[str, Any] = raw if isinstance(raw, dict) else {}
    namespace = (
        str(metadata.get("namespace", "default")) if document.api_version in backstage.API_VERSIONS else ""
    )
    family = "backstage" if document.api_version in backstage.API_VERSIONS else document.api_version
    return family, document.kind, namespace, document.name


def _parse(documents: list[Document], problems: Problems, report: ImportReport) -> list[tuple[Document, Any]]:
    parsed: list[tuple[Document, Any]] = []
    for document in documents:
        version, kind = document.api_version, document.kind
        if version == NATIVE_API_VERSION:
            model = NATIVE_KINDS.get(kind)
            if model is None:
                problems.add(
                    document.where("kind"), f"'{kind}' is not a catalog kind ({', '.join(NATIVE_KINDS)})"
                )
                continue
            try:
                parsed.append((document, model.model_validate(document.data)))
            except PydanticError as exc:
                problems.items.extend(pydantic_problems(document, exc))
        elif version in backstage.API_VERSIONS:
            if kind not in backstage.KINDS:
                report.add(
                    kind or "?",
                    document.name,
                    "skip",
                    f"{document.where()}: Backstage {kind} is not imported",
                )
                continue
            try:
                metadata = backstage.Metadata.model_validate(document.data.get("metadata"))
            except PydanticError as exc:
                problems.items.extend(pydantic_problems(document, exc, prefix="metadata."))
                continue
            try:
                _, spec = backstage.validate(document)
            except backstage.PrefixedError as exc:
                for path, message in exc.items:
                    problems.add(document.where(path), message)
                continue
            parsed.append((document, (metadata, spec)))
        elif version.startswith("backstage.io/"):
            problems.add(
                document.where("apiVersion"),
                f"'{version}' is not a Backstage version this reads ({', '.join(sorted(backstage.API_VERSIONS))})",
            )
        elif "openslo" in version.lower():
            problems.add(
                document.where("apiVersion"), "an OpenSLO document: import it with `csi standards import`"
            )
        else:
            problems.add(
                document.where("apiVersion"), f"'{version}' is neither {NATIVE_API_VERSION} nor Backstage's"
            )
    return parsed


class _Run:
    """One import: applies documents in dependency order and records, per document, what happened."""

    def __init__(
        self, actor: Any, parsed: list[tuple[Document, Any]], report: ImportReport, problems: Problems
    ) -> None:
        self.actor, self.parsed, self.report, self.problems = actor, parsed, report, problems
        self.events: dict[int, int] = {}
        self.created: dict[int, bool] = {}
        self.domains: dict[str, str] = {}
        self.system_domain: dict[str, str] = {}

    def step(self, document: Document, existed: bool, action: Any) -> Any:
        """Run one write for a document in a savepoint; an error becomes a problem at its location."""
        before = AuditEvent.objects.count()
        try:
            with transaction.atomic():
                result = action()
        except ValidationError as exc:
            messages = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
            for field, texts in messages:
                self.problems.add(
                    document.where(
                        field
                        if field.startswith("spec")
                        else f"spec.{field}"
                        if field and field != "__all__"
                        else ""
                    ),
                    " ".join(texts),
                )
            return None
        except ConflictError as exc:
            self.problems.add(document.where(f"spec.{exc.field}" if exc.field else ""), exc.message)
            return None
        except PermissionDenied as exc:
            self.problems.add(document.where(), str(exc) or "not permitted")
            return None
        key = id(document)
        self.events[key] = self.events.get(key, 0) + AuditEvent.objects.count() - before
        self.created[key] = self.created.get(key, False) or not existed
        return result

    def of(self, *kinds: str, native: bool) -> list[tuple[Document, Any]]:
        return [
            (doc, obj)
            for doc, obj in self.parsed
            if doc.kind in kinds and (doc.api_version == NATIVE_API_VERSION) == native
        ]

    def finish(self) -> None:
        for document, _ in self.parsed:
            key = id(document)
            if key not in self.events and key not in self.created:
                continue
            action = "create" if self.created.get(key) else "update" if self.events.get(key) else "unchanged"
            self.report.add(document.kind, document.name, action, document.where())

    # --- people and directories -----------------------------------------------------------------------
    def user(self, username: str | None, where: Document) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = self.step(
                where, True, lambda: account_services.user_create(actor=self.actor, username=username)
            )
        return user

    def stakeholder(self, name: str, where: Document) -> Stakeholder | None:
        found = Stakeholder.objects.filter(name=name).first()
        if found is None:
            found = self.step(
                where,
                True,
                lambda: services.stakeholder_create(
                    actor=self.actor, data={"name": name, "kind": "internal_team", "source": "backstage"}
                ),
            )
        return found

    def upsert(
        self,
        model: type[Any],
        lookup: dict[str, Any],
        data: dict[str, Any],
        create: Any,
        update: Any,
        document: Document,
    ) -> Any:
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            return self.step(document, False, lambda: create({**lookup, **data}))
        changed = differing_fields(obj, data)
        if changed:
            return self.step(document, True, lambda: update(obj, changed))
        self.step(document, True, lambda: obj)
        return obj

    def run(self) -> None:
        actor = self.actor
        for document, doc in self.of("Stakeholder", native=True):
            spec = doc.spec.model_dump()
            self.upsert(
                Stakeholder,
                {"name": doc.metadata.name},
                spec,
                lambda data: services.stakeholder_create(actor=actor, data=data),
                lambda obj, data: services.stakeholder_update(actor=actor, stakeholder=obj, data=data),
                document,
            )
        for document, (metadata, spec) in self.of("Group", native=False):
            data = {
                "kind": "internal_team",
                "description": metadata.description,
                "contact_email": spec.profile.email or "",
                "contact_name": spec.profile.displayName or "",
                "source": "backstage",
            }
            self.upsert(
                Stakeholder,
                {"name": metadata.name},
                data,
                lambda data: services.stakeholder_create(actor=actor, data=data),
                lambda obj, data: services.stakeholder_update(actor=actor, stakeholder=obj, data=data),
                document,
            )
        for document, (metadata, spec) in self.of("User", native=False):
            display = (spec.profile.displayName or "").split(" ", 1)
            data = {
                "email": spec.profile.email or "",
                "first_name": display[0] if spec.profile.displayName else "",
                "last_name": display[1] if len(display) > 1 else "",
            }
            self.upsert(
                User,
                {"username": metadata.name},
                data,
                lambda data: account_services.user_create(actor=actor, **data),
                lambda obj, data: account_services.user_update(actor=actor, user=obj, **data),
                document,
            )
        for document, doc in self.of("Process", native=True):
            data = {
                "name": doc.spec.name,
                "description": doc.spec.description,
                "owner": self.user(doc.spec.owner, document),
            }
            self.upsert(
                Process,
                {"key": doc.metadata.name},
                data,
                lambda data: services.process_create(actor=actor, data=data),
                lambda obj, data: services.process_update(actor=actor, process=obj, data=data),
                document,
            )
        for document, doc in self.of("Objective", native=True):
            data = {
                "description": doc.spec.description,
                "owner": self.user(doc.spec.owner, document),
                "period_start_date": doc.spec.period_start,
                "period_end_date": doc.spec.period_end,
            }
            self.upsert(
                OrganisationObjective,
                {"name": doc.metadata.name},
                data,
                lambda data: services.objective_create(actor=actor, data=data),
                lambda obj, data: services.objective_update(actor=actor, objective=obj, data=data),
                document,
            )
        self.services()

    def services(self) -> None:
        actor = self.actor
        native = self.of("Service", native=True)
        for document, doc in native:
            spec = doc.spec
            fields = {
                "name": spec.name,
                "description": spec.description,
                "category": spec.category,
                "service_type": spec.type,
                "tier": spec.tier,
                "tier_reason": spec.tier_reason,
                "owner": self.user(spec.owner, document),
                "owning_team": self.stakeholder(spec.owning_team, document) if spec.owning_team else None,
                "charging_model": spec.charging.model,
                "price": spec.charging.price,
                "currency": spec.charging.currency,
                "price_unit": spec.charging.unit,
                "strengths": spec.portfolio.strengths,
                "weaknesses": spec.portfolio.weaknesses,
                "portfolio_priority": spec.portfolio.priority,
            }
            existed = Service.objects.filter(key=doc.metadata.name).exists()
            self.step(
                document,
                existed,
                lambda f=fields, d=doc: upsert_service(actor, d.metadata.name, f, d.spec.lifecycle),
            )
        for document, doc in native:
            service = Service.objects.filter(key=doc.metadata.name).first()
            if service is not None:
                self.step(document, True, lambda s=service, d=doc: apply_service_parts(actor, s, d.spec))
        self.backstage_services()

    def backstage_services(self) -> None:
        actor = self.actor
        for document, (metadata, _spec) in self.of("Domain", native=False):
            self.domains[metadata.name] = metadata.title or metadata.name
            self.report.add(
                "Domain", metadata.name, "skip", f"{document.where()}: kept as the category of its systems"
            )
        for _, (metadata, spec) in self.of("System", native=False):
            if spec.domain:
                self.system_domain[metadata.name] = backstage.parse_ref(spec.domain, "domain")[1]
        entities = self.of("System", "Component", "Resource", native=False)
        for document, (metadata, spec) in entities:
            key = backstage.service_key(metadata.name)
            owner_kind, owner_name = backstage.parse_ref(spec.owner, "group")
            fields: dict[str, Any] = {
                "name": metadata.title or metadata.name,
                "description": metadata.description.strip(),
                "service_type": "business" if document.kind == "System" else "technical",
                "category": self._category(document.kind, spec),
                "source": "backstage",
            }
            if owner_kind == "user":
                fields["owner"] = self.user(owner_name, document)
            else:
                fields["owning_team"] = self.stakeholder(owner_name, document)
            lifecycle = (
                backstage.LIFECYCLES.get(str(getattr(spec, "lifecycle", "")).lower())
                if document.kind == "Component"
                else None
            )
            existed = Service.objects.filter(key=key).exists()
            self.step(
                document, existed, lambda k=key, f=fields, lc=lifecycle: upsert_service(actor, k, f, lc)
            )
        for document, (metadata, spec) in entities:
            service = Service.objects.filter(key=backstage.service_key(metadata.name)).first()
            if service is None:
                continue
            if document.kind != "System" and getattr(spec, "system", None):
                system = self._service_for_ref(spec.system, "system", document)
                if system is not None:
                    self.step(document, True, lambda s=system, c=service: self._depend(s, c))
            for ref in getattr(spec, "dependsOn", []) or []:
                target = self._service_for_ref(ref, "component", document)
                if target is not None:
                    self.step(document, True, lambda s=service, t=target: self._depend(s, t))

    def _category(self, kind: str, spec: Any) -> str:
        if kind == "System":
            domain = backstage.parse_ref(spec.domain, "domain")[1] if spec.domain else ""
            return self.domains.get(domain, domain)
        system = backstage.parse_ref(spec.system, "system")[1] if getattr(spec, "system", None) else ""
        domain = self.system_domain.get(system, "")
        return self.domains.get(domain, domain) or str(spec.type)

    def _service_for_ref(self, ref: str, default_kind: str, document: Document) -> Service | None:
        kind, name = backstage.parse_ref(ref, default_kind)
        if kind not in {"component", "system", "resource"}:
            return None  # dependencies on APIs or groups are not services
        key = backstage.service_key(name)
        service = Service.objects.filter(key=key).first()
        if service is None:
            fields = {
                "name": name,
                "service_type": "business" if kind == "system" else "technical",
                "source": "backstage",
            }
            service = self.step(document, True, lambda: upsert_service(self.actor, key, fields, None))
        return service

    def _depend(self, service: Service, target: Service) -> None:
        if (
            service.pk != target.pk
            and not ServiceDependency.objects.filter(service=service, depends_on=target).exists()
        ):
            services.dependency_add(actor=self.actor, service=service, depends_on=target)


def catalog_import(
    *,
    actor: Any,
    paths: Iterable[str | Path] | None = None,
    documents: list[Document] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import Backstage and CSI Workbench catalog documents. Everything is validated first; any problem
    (with file, document number and field path) raises DocumentErrors and nothing is stored. Documents
    are matched to what is stored by kind and name: a known name updates, a new one creates, and
    importing the same files again changes nothing. With `dry_run` the report says what would change
    and nothing is stored. Catalog managers only."""
    require(actor, "catalog.import_catalog")
    problems = Problems()
    documents = documents if documents is not None else load_documents(paths or [], problems)
    documents = check_duplicates(documents, _identity, problems)
    report = ImportReport(dry_run=dry_run)
    parsed = _parse(documents, problems, report)
    problems.raise_if_any()
    with transaction.atomic():
        run = _Run(actor, parsed, report, problems)
        run.run()
        if problems.items:
            transaction.set_rollback(True)
        else:
            run.finish()
            if dry_run:
                transaction.set_rollback(True)
    if problems.items:
        raise DocumentErrors(problems.items)
    return report
