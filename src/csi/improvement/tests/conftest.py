"""Fixtures of the improvement tests: one user per role, a service owned by `owner`, a process owned by
`process_owner`, the service improvement plan (SIP) covering the service, and a helper that raises
register entries through the service (factories build initial states; later states come from services)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from csi.analytics import services as analytics_services
from csi.catalog.tests.factories import ProcessFactory, ServiceFactory
from csi.core.permissions import SystemActor
from csi.improvement.models import Opportunity, Plan
from csi.measures import services as measures_services
from csi.measures.importer import import_file
from csi.measures.models import MappingProfile
from csi.standards import services as standards_services

SYSTEM = SystemActor("test")
ROLES = ("owner", "contributor", "other_owner", "process_owner", "viewer", "steering", "strategist", "admin")


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Tests here make several users; hashing their passwords properly would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_of(api: Callable[..., Client]) -> Callable[[Any], Client]:
    """client_of(user): one API client per user for the whole test (one token each)."""
    clients: dict[Any, Client] = {}

    def make(user: Any) -> Client:
        if user not in clients:
            clients[user] = api(user)
        return clients[user]

    return make


@pytest.fixture
def people(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One user of each role in ROLES, by role."""
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def steering(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["steering-committee"], username="steering")


@pytest.fixture
def strategist(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["service-strategy-manager"], username="strategist")


@pytest.fixture
def owner(make_user: Callable[..., Any]) -> Any:
    """Owns `service` and the SIP `plan`."""
    return make_user(roles=["service-owner"], username="owner")


@pytest.fixture
def other_owner(make_user: Callable[..., Any]) -> Any:
    """A service owner, but not of `service`."""
    return make_user(roles=["service-owner"], username="other_owner")


@pytest.fixture
def process_owner(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["process-owner"], username="process_owner")


@pytest.fixture
def contributor(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["contributor"], username="contributor")


@pytest.fixture
def viewer(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["viewer"], username="viewer")


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(roles=["administrator"], username="admin")


@pytest.fixture
def service(owner: Any) -> Any:
    return ServiceFactory(key="email", name="Email", owner=owner)


@pytest.fixture
def other_service(other_owner: Any) -> Any:
    return ServiceFactory(key="printing", name="Printing", owner=other_owner)


@pytest.fixture
def process(process_owner: Any) -> Any:
    return ProcessFactory(key="incident-management", name="Incident management", owner=process_owner)


@pytest.fixture
def plan(owner: Any, service: Any) -> Plan:
    """The email service's SIP, owned by `owner`, who approves up to 10,000 EUR alone."""
    sip = Plan.objects.create(
        key="email-sip",
        kind="service",
        name="Email SIP",
        owner=owner,
        period_start_date=date(2025, 1, 1),
        period_end_date=date(2026, 12, 31),
        budget_limit=Decimal("10000"),
    )
    sip.services.set([service])
    return sip


@pytest.fixture
def make_opportunity(db: Any) -> Callable[..., Opportunity]:
    """make_opportunity(actor=None, **fields): a new register entry raised through the service (by the
    system actor unless `actor` is given), titled, described and sourced by default."""
    from csi.improvement.services.register import opportunity_raise

    def make(actor: Any = None, **fields: Any) -> Opportunity:
        data = {"title": "Email tickets breach the resolution SLA", "source": "standard-breach"}
        data["description"] = "Too many email incidents are resolved after 8 hours."
        data.update(fields)
        return opportunity_raise(actor=actor or SYSTEM, data=data)

    return make


# Resolution within 8 hours, target 80 %. January: T1 1 h, T2 12 h (breached): 1 of 2 met, red.
EXPORT = """ticket_id,event_at,state,priority,category
T1,2024-01-02T09:00:00Z,New,P2,Email
T1,2024-01-02T10:00:00Z,Resolved,P2,Email
T2,2024-01-10T09:00:00Z,New,P2,Mailbox
T2,2024-01-10T21:00:00Z,Resolved,P2,Mailbox
"""


# A standard's first version: incidents resolved within 8 hours, 80 % of them, per calendar month.
RESOLUTION_IN_8_HOURS = {
    "metric": "resolution_time",
    "threshold": "8",
    "threshold_unit": "hours",
    "target_percent": "80",
    "window_kind": "calendar",
    "calendar_period": "month",
    "window_time_zone": "UTC",
}


@pytest.fixture
def measured(service: Any, tmp_path: Path) -> Any:
    """`service` with a resolution standard, two tickets imported and mapped to it, rollups computed."""
    standards_services.standard_create(
        actor=SYSTEM,
        service=service,
        data={"key": "email-resolution", "name": "Incidents resolved in 8 hours", "kind": "sla"},
        version=RESOLUTION_IN_8_HOURS,
        effective_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    source = measures_services.source_create(
        actor=SYSTEM, key="desk", name="Service desk", profile=MappingProfile.objects.get(key="csi-event-log")
    )
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    assert import_file(actor=SYSTEM, source=source, path=path).status == "committed"
    measures_services.rule_create(
        actor=SYSTEM, source=source, data={"service": service, "field": "priority", "values": ["P2"]}
    )
    analytics_services.rollups_refresh()
    return service
