"""Query budgets of every list and detail page, read as the person who would read it.

Each page is counted on a small installation, then again after more rows of every kind (services,
standards, register entries, initiatives with tasks and status updates, notifications, imports, and
the audit events all of these leave): the count must be the same and within the page's budget, so a
page's cost does not grow with the data. The improvement app sits above every app these pages come
from (catalog, standards, measures, analytics, core), so the test lives here and builds its rows
through their services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from csi.catalog.tests.factories import ServiceFactory
from csi.core import services as core_services
from csi.improvement.models import Plan
from csi.improvement.services import initiatives
from csi.improvement.services.workflow import initiative_transition
from csi.measures.importer import import_file
from csi.measures.models import DataSource
from csi.standards import services as standards_services

from .conftest import RESOLUTION_IN_8_HOURS, SYSTEM

# (page, path, who reads it, most queries it may make): what each page needed when the budget was set,
# plus two; what matters most is that the count does not grow with the rows.
PAGES = [
    ("home", "/", "owner", 15),
    ("home, deciding", "/", "steering", 14),
    ("register", "/register/", "viewer", 12),
    ("register entry", "/register/{entry}/", "owner", 20),
    ("plans", "/plans/", "steering", 14),
    ("plan", "/plans/email-sip/", "steering", 19),
    ("portfolio", "/portfolio/", "steering", 14),
    ("initiatives", "/initiatives/", "owner", 12),
    ("initiative board", "/initiatives/board/", "owner", 10),
    ("initiative page", "/initiatives/{initiative}/", "owner", 25),
    ("services", "/catalog/", "viewer", 12),
    ("service page", "/catalog/services/email/", "owner", 32),
    ("standards", "/standards/", "viewer", 11),
    ("measures sources", "/measures/", "admin", 7),
    ("import history", "/measures/runs/", "admin", 9),
    ("analytics board", "/analytics/board/", "viewer", 16),
    ("service performance", "/analytics/services/email/", "viewer", 18),
    ("notifications", "/notifications/", "owner", 11),
    ("audit log", "/admin/audit/", "admin", 10),
]


@pytest.fixture
def grow(
    owner: Any, plan: Plan, measured: Any, make_opportunity: Callable[..., Any], tmp_path: Path
) -> Callable[[int], dict[str, str]]:
    """grow(n): n more rows of every kind the pages list; returns the entry and initiative to open."""
    source = DataSource.objects.get(key="desk")
    rounds = [0]

    def add(n: int) -> dict[str, str]:
        for _ in range(n):
            rounds[0] += 1
            i = rounds[0]
            service = ServiceFactory(key=f"grown-{i}", name=f"Grown service {i}", owner=owner)
            standards_services.standard_create(
                actor=SYSTEM,
                service=service,
                data={"key": f"grown-{i}-resolution", "name": f"Resolved in 8 hours ({i})", "kind": "sla"},
                version=RESOLUTION_IN_8_HOURS,
                effective_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
            entry = make_opportunity(actor=owner, title=f"Grown entry {i}", service=measured)
            initiative = initiatives.initiative_create(
                actor=owner, plan=plan, data={"title": f"Grown initiative {i}", "owner": owner}
            )
            initiatives.objective_add(
                actor=owner,
                initiative=initiative,
                data={
                    "title": f"Median resolution under {i + 8} hours",
                    "kpi_kind": "measure",
                    "measure": "median_resolution_hours",
                    "service": measured,
                    "baseline_value": 12.0 + i,
                    "target_value": 8.0,
                    "unit": "h",
                    "due_date": date(2027, 6, 30),
                    "plan_objective": plan.objectives.first(),
                },
            )
            initiatives.task_add(
                actor=owner, initiative=initiative, data={"title": f"Task {i}", "owner": owner}
            )
            initiatives.status_update_add(
                actor=owner, initiative=initiative, health="amber", percent_complete=i, note=f"Note {i}"
            )
            if i % 2:
                initiative_transition(actor=owner, initiative=initiative, action="propose")
            core_services.notify(recipients=[owner], title=f"Grown notification {i}", url="/register/")
            path = tmp_path / f"grown-{i}.csv"
            path.write_text(
                "ticket_id,event_at,state,priority,category\n"
                f"G{i},2024-01-03T09:00:00Z,New,P2,Email\nG{i},2024-01-03T10:00:00Z,Resolved,P2,Email\n",
                encoding="utf-8",
            )
            assert import_file(actor=SYSTEM, source=source, path=path).status == "committed"
            made = {"entry": entry.number, "initiative": initiative.number}
        return made

    return add


def test_every_list_and_detail_page_keeps_to_a_query_budget_that_does_not_grow(
    grow: Callable[[int], dict[str, str]],
    owner: Any,
    steering: Any,
    viewer: Any,
    admin: Any,
    django_assert_max_num_queries: Any,
) -> None:
    people = {"owner": owner, "steering": steering, "viewer": viewer, "admin": admin}
    clients = {}
    for name, user in people.items():
        clients[name] = Client()
        clients[name].force_login(user)

    def count(objects: dict[str, str]) -> dict[str, int]:
        counts = {}
        for page, path, reader, budget in PAGES:
            url = path.format(**objects)
            with django_assert_max_num_queries(budget) as counted:
                response = clients[reader].get(url)
            assert response.status_code == 200, (page, url, response.status_code)
            counts[page] = len(counted)
        return counts

    few = count(grow(2))
    more = count(grow(6))
    grew = {page: (few[page], more[page]) for page in few if more[page] != few[page]}
    assert not grew, f"queries grew with the rows (few, more): {grew}"
