"""The demo organisation. Loading it twice changes nothing."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from csi.accounts import services as account_services
from csi.accounts.choices import Role
from csi.accounts.models import User
from csi.catalog.imports import catalog_import
from csi.core.documents import DocumentErrors, load_documents
from csi.core.permissions import SystemActor
from csi.demo.improvement import demo_improvement
from csi.standards.imports import openslo
from csi.standards.imports.engine import standards_import
from csi.standards.models import SpecDocument

DEMO_USERS: list[tuple[str, str, str, str]] = [
    ("ada.admin", "Ada", "Admin", Role.ADMINISTRATOR),
    ("sam.steering", "Sam", "Steering", Role.STEERING_COMMITTEE),
    ("sofia.strategy", "Sofia", "Strategy", Role.SERVICE_STRATEGY_MANAGER),
    ("olivia.owner", "Olivia", "Owner", Role.SERVICE_OWNER),
    ("peter.process", "Peter", "Process", Role.PROCESS_OWNER),
    ("sean.security", "Sean", "Security", Role.SECURITY_MANAGER),
    ("carla.continuity", "Carla", "Continuity", Role.CONTINUITY_MANAGER),
    ("hana.skills", "Hana", "Skills", Role.HR_SKILLS_MANAGER),
    ("chris.contributor", "Chris", "Contributor", Role.CONTRIBUTOR),
    ("vera.viewer", "Vera", "Viewer", Role.VIEWER),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def _passwords_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-logins.json"


def _load_passwords() -> dict[str, str]:
    """The demo passwords, generated once per data directory and kept there (mode 0600), so that every
    run prints the same logins and nothing is ever committed."""
    path = _passwords_file()
    try:
        stored: dict[str, str] = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        stored = {}
    missing = [username for username, *_ in DEMO_USERS if not stored.get(username)]
    if missing:
        for username in missing:
            stored[username] = "demo-" + secrets.token_hex(5)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle, indent=2)
        tmp.replace(path)
    return stored


DATA = Path(__file__).resolve().parent / "data"


@dataclass
class DemoResult:
    logins: list[DemoLogin]
    lines: list[str]


def _shared_examples(actor: SystemActor) -> list[str]:
    """Import the public Backstage and OpenSLO examples when they are beside the project. OpenSLO files
    reuse names across versions, so they go file by file; a file whose every document is stored already
    is skipped, so loading the demo again changes nothing."""
    lines = []
    backstage = Path(settings.SHARED_DATA_DIR) / "backstage-catalog"
    if backstage.exists():
        report = catalog_import(actor=actor, paths=[backstage])
        lines.append(f"Backstage examples: {report.summary()}")
    openslo_dir = Path(settings.SHARED_DATA_DIR) / "openslo"
    if openslo_dir.exists():
        created = updated = skipped = 0
        refused: list[str] = []
        for path in sorted(openslo_dir.rglob("*.yaml")):
            documents = load_documents([path])
            known = all(
                SpecDocument.objects.filter(
                    kind=d.kind, name=d.name, namespace=openslo.folder(d.data)
                ).exists()
                for d in documents
            )
            if known:
                skipped += 1
                continue
            try:
                report = standards_import(actor=actor, documents=documents)
            except DocumentErrors as exc:
                # Some published examples break the OpenSLO schema (`oslo validate` refuses them too).
                refused.append(f"  {path.name}: {exc.problems[0]}")
                continue
            created, updated = created + report.count("create"), updated + report.count("update")
        lines.append(
            f"OpenSLO examples: {created} created, {updated} updated, {skipped} file(s) already loaded, "
            f"{len(refused)} refused"
        )
        lines.extend(refused)
    if not lines:
        lines.append(
            f"The public examples are not at {settings.SHARED_DATA_DIR}: skipped (set CSI_SHARED_DATA)."
        )
    return lines


def demo_load() -> DemoResult:
    """Create what is missing of the demo organisation and return the demo logins and what was loaded.

    Existing objects are left as they are (the catalog and standards are imported, which changes nothing
    when they are already there); a demo user whose password no longer matches the stored one (the
    data directory's password file was deleted) gets the stored one again. Then the service desk's
    tickets are imported (the ServiceNow incident event log when it is beside the project, else a
    synthetic log), mapped to the demo services, and the attainment computed. Last, the first time only,
    the improvement part (`csi.demo.improvement`): the six plans, the CSI register raised from the
    standards those tickets breached, and initiatives in every state, with baselines from the data.
    """
    actor = SystemActor("demo")
    with transaction.atomic():
        logins = demo_logins()
        lines = [
            f"Catalog: {catalog_import(actor=actor, paths=[DATA / 'catalog.yaml']).summary()}",
            f"Standards: {standards_import(actor=actor, paths=[DATA / 'standards.yaml']).summary()}",
            *_shared_examples(actor),
        ]
    lines += demo_measures(actor)
    lines += demo_improvement()
    return DemoResult(logins=logins, lines=lines)


# Where the demo's incident categories go: every incident is the service desk's; the busiest
# categories also belong to the service they are about.
DEMO_CATEGORY_SERVICES = {
    "end-user-devices": ["Category 42"],
    "email": ["Category 26"],
    "identity": ["Category 53"],
    "network": ["Category 46"],
    "collaboration": ["Category 32"],
    "erp": ["Category 9"],
    "hosting": ["Category 37"],
    "crm": ["Category 23"],
    "web-shop": ["Category 20"],
    "payroll": ["Category 57"],
    "hr-portal": ["Category 61"],
    "backup": ["Category 40"],
    "data-platform": ["Category 45"],
    "security-monitoring": ["Category 24"],
    "itsm-platform": ["Category 28"],
}
SYNTHETIC_TICKETS = 20_000


def demo_measures(actor: SystemActor) -> list[str]:
    """Import the demo's ticket data once (again: the same content is detected and nothing changes),
    add the mapping rules when the source has none, and refresh the rollups."""
    from csi.analytics.models import RollupRun
    from csi.analytics.services import rollups_refresh
    from csi.measures import services as measures_services
    from csi.measures.models import DataSource, MappingProfile

    servicenow = Path(settings.SHARED_DATA_DIR) / "servicenow-incident-event-log" / "incident_event_log.zip"
    if servicenow.exists():
        key, profile, path = "servicenow-incidents", "servicenow-incident-event-log", servicenow
        origin = "the ServiceNow incident event log"
    else:
        from csi.measures.generate import generate_event_log

        key, profile = "synthetic-incidents", "csi-event-log"
        path = Path(settings.DATA_DIR) / "demo-event-log.csv"
        if not path.exists():
            generate_event_log(path, tickets=SYNTHETIC_TICKETS, seed=2016)
        origin = f"a synthetic event log ({SYNTHETIC_TICKETS} tickets; {servicenow} is absent)"
    source = DataSource.objects.filter(key=key).first()
    if source is None:
        source = measures_services.source_create(
            actor=actor,
            key=key,
            name="Service desk incidents",
            profile=MappingProfile.objects.get(key=profile),
            time_zone="Europe/Brussels",
            description=f"Incidents of the demo service desk, from {origin}.",
        )
    with transaction.atomic():
        _demo_rules_and_import(actor, source, path)
    run = RollupRun.objects.order_by("-finished_at").first()
    if run is None or source.batches.filter(status="committed", finished_at__gt=run.finished_at).exists():
        run = rollups_refresh(actor=actor)  # now, so the demo shows its figures before any worker runs
    batch = source.batches.filter(status="committed").order_by("-pk").first()
    return [
        f"Tickets: {origin}: batch #{batch.pk if batch else '-'}, {batch.events if batch else 0} events "
        f"of {batch.tickets if batch else 0} tickets",
        f"Attainment: computed from {run.events if run else 0} events"
        + (f" in {run.duration_seconds:.1f} s" if run else ""),
    ]


def _demo_rules_and_import(actor: SystemActor, source: Any, path: Path) -> None:
    from csi.catalog.models import Service
    from csi.measures import services as measures_services
    from csi.measures.importer import import_file

    if not source.rules.exists():
        services = {
            s.key: s for s in Service.objects.filter(key__in=["service-desk", *DEMO_CATEGORY_SERVICES])
        }
        every_priority = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]
        rules: list[dict[str, Any]] = [
            {"service": services["service-desk"], "field": "priority", "values": every_priority}
        ]
        rules += [
            {"service": services[k], "field": "category", "values": v}
            for k, v in DEMO_CATEGORY_SERVICES.items()
            if k in services
        ]
        for position, data in enumerate(rules):
            measures_services.rule_create(actor=actor, source=source, data={**data, "position": position})
    import_file(actor=actor, source=source, path=path)


@transaction.atomic
def demo_logins() -> list[DemoLogin]:
    """Create the demo users that are missing (one per role) and return their logins."""
    actor = SystemActor("demo")
    passwords = _load_passwords()
    logins = []
    for username, first, last, role in DEMO_USERS:
        password = passwords[username]
        user = User.objects.filter(username=username).first()
        if user is None:
            account_services.user_create(
                actor=actor,
                username=username,
                password=password,
                email=f"{username}@demo.example",
                first_name=first,
                last_name=last,
                roles=[role],
            )
        elif not user.check_password(password):
            account_services.user_set_password(actor=actor, user=user, password=password)
        logins.append(DemoLogin(username=username, role=Role(role).label, password=password))
    return logins
