"""Fixtures of the improvement tests: one user per role, a service owned by `owner`, a process owned by
`process_owner`, the service improvement plan (SIP) covering the service, and a helper that raises
register entries through the service (factories build initial states; later states come from services)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from csi.catalog.tests.factories import ProcessFactory, ServiceFactory
from csi.core.permissions import SystemActor
from csi.improvement.models import Opportunity, Plan

SYSTEM = SystemActor("test")


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
