"""The plan, portfolio and suggestion pages through Django's test client: who sees and does what, form
errors, stale saves, refusals that change nothing, and hostile text shown as text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from csi.catalog.models import OrganisationObjective
from csi.core.testing import assert_page_access
from csi.improvement.models import Initiative, Plan, PlanObjective, Suggestion
from csi.improvement.services.initiatives import initiative_create
from csi.improvement.tests.conftest import SYSTEM

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script>'


def signed_in(user: Any, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def plan_data(**fields: Any) -> dict[str, Any]:
    data = {
        "key": "printing-sip",
        "kind": "service",
        "name": "Printing SIP",
        "period_start_date": "2026-01-01",
        "period_end_date": "2026-12-31",
        "budget_limit": "5000",
        "currency": "EUR",
    }
    data.update(fields)
    return data


def edit_data(plan: Plan, **fields: Any) -> dict[str, Any]:
    data = {
        "name": plan.name,
        "scope": plan.scope,
        "vision": plan.vision,
        "period_start_date": plan.period_start_date.isoformat(),
        "period_end_date": plan.period_end_date.isoformat(),
        "owner": plan.owner_id or "",
        "maintainer": plan.maintainer_id or "",
        "budget_limit": str(plan.budget_limit),
        "currency": plan.currency,
        "services": [s.pk for s in plan.services.all()],
        "version": plan.version,
    }
    data.update(fields)
    return data


@pytest.fixture
def strategic(steering: Any, strategist: Any) -> Plan:
    return Plan.objects.create(
        key="strategy",
        kind="strategic",
        name="Strategic plan",
        owner=steering,
        maintainer=strategist,
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2028, 12, 31),
    )


def test_read_pages_need_sign_in_and_are_open_to_viewers(viewer, plan):
    for url in ["/plans/", f"/plans/{plan.key}/", "/portfolio/", "/suggestions/"]:
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        assert signed_in(viewer).get(url).status_code == 200, url
    assert signed_in(viewer).get("/plans/nope/").status_code == 404


def test_plan_list_groups_plans_by_kind_with_their_figures(viewer, owner, plan, strategic):
    initiative_create(actor=SYSTEM, plan=plan, data={"title": "Faster fixes"})
    body = signed_in(viewer).get("/plans/").content.decode()
    assert body.index("Strategic plan") < body.index("Service improvement plan") < body.index("Email SIP")
    assert "10000.00 EUR" in body and "2025-01-01 to 2026-12-31" in body and "Email" in body
    assert "No security improvement plan yet" in body
    assert "New plan" not in body
    assert "New plan" in signed_in(owner).get("/plans/").content.decode()


def test_plan_create_offers_only_the_kinds_the_user_may_create(viewer, contributor, owner, strategist):
    assert_page_access("/plans/new/", forbidden=viewer, permitted=owner)
    assert signed_in(contributor).get("/plans/new/").status_code == 403
    owner_form = signed_in(owner).get("/plans/new/").content.decode()
    assert 'value="service"' in owner_form and 'value="strategic"' not in owner_form
    assert 'value="strategic"' in signed_in(strategist).get("/plans/new/").content.decode()
    response = signed_in(owner).post("/plans/new/", plan_data(kind="strategic"))
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not Plan.objects.exists()


def test_plan_create_and_its_errors(owner, other_service):
    client = signed_in(owner)
    response = client.post("/plans/new/", plan_data(period_end_date="2025-01-01"))
    assert response.status_code == 422 and "The period ends before it starts" in response.content.decode()
    response = client.post("/plans/new/", plan_data(key="Not A Key"))
    assert response.status_code == 422
    assert not Plan.objects.exists()
    response = client.post("/plans/new/", plan_data(owner=owner.pk, services=[other_service.pk]))
    assert response.status_code == 302 and response["Location"] == "/plans/printing-sip/"
    plan = Plan.objects.get()
    # The limit the owner approves within is the steering committee's to set: the field is disabled
    # for her, so what the form sent is ignored and the plan starts at 0.
    assert (plan.owner, list(plan.services.all()), plan.budget_limit) == (
        owner,
        [other_service],
        Decimal("0"),
    )
    response = client.post("/plans/new/", plan_data(name="Again"))
    assert response.status_code == 422 and "already exists" in response.content.decode()
    assert Plan.objects.count() == 1


def test_plan_page_shows_everything_and_links_for_those_allowed(viewer, owner, plan):
    initiative = initiative_create(
        actor=SYSTEM, plan=plan, data={"title": "Faster fixes", "budget_requested": 700}
    )
    objective = OrganisationObjective.objects.create(
        name="Happy customers", period_start_date=date(2026, 1, 1), period_end_date=date(2026, 12, 31)
    )
    PlanObjective.objects.create(plan=plan, title="Fix mail faster", organisation_objective=objective)
    body = signed_in(viewer).get(f"/plans/{plan.key}/").content.decode()
    assert "Fix mail faster" in body and "Happy customers" in body
    assert initiative.number in body and "Faster fixes" in body and "Draft" in body and "not reported" in body
    assert "requested 700.00" in body
    assert "New initiative" not in body and "Add an objective" not in body and "/edit/" not in body
    body = signed_in(owner).get(f"/plans/{plan.key}/").content.decode()
    assert f"/initiatives/new/?plan={plan.key}" in body and "Add an objective" in body
    assert f"/plans/{plan.key}/edit/" in body


def test_plan_edit_permissions_and_save(owner, other_owner, viewer, plan):
    url = f"/plans/{plan.key}/edit/"
    assert_page_access(url, forbidden=other_owner, permitted=owner)
    assert signed_in(viewer).post(url, edit_data(plan, name="Hijacked")).status_code == 403
    response = signed_in(owner).post(
        url, edit_data(plan, name="Email improvement plan", vision="Mail that works")
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.vision, plan.version) == ("Email improvement plan", "Mail that works", 2)
    # Owner and limit are the steering committee's: the owner's form cannot hand the plan over or raise
    # its limit (the fields are disabled, what is sent is ignored); she may lower the limit.
    response = signed_in(owner).post(url, edit_data(plan, owner=other_owner.pk, budget_limit="999999999"))
    plan.refresh_from_db()
    assert response.status_code == 403 and plan.owner == owner and plan.budget_limit == Decimal("10000")
    assert "Only the steering committee may set or raise" in response.content.decode()
    response = signed_in(owner).post(url, edit_data(plan, budget_limit="9000"))
    plan.refresh_from_db()
    assert response.status_code == 302 and plan.budget_limit == Decimal("9000")


def test_plan_owner_and_limit_are_set_by_the_steering_committee_on_the_page(
    owner, other_owner, steering, plan
):
    url = f"/plans/{plan.key}/edit/"
    body = signed_in(steering).get(f"/plans/{plan.key}/").content.decode()
    assert "Set owner and budget limit" in body
    response = signed_in(steering).post(url, edit_data(plan, owner=other_owner.pk, budget_limit="25000"))
    plan.refresh_from_db()
    assert response.status_code == 302 and (plan.owner, plan.budget_limit) == (other_owner, Decimal("25000"))
    # Not an editor of the plan: its contents stay the owner's.
    response = signed_in(steering).post(url, edit_data(plan, vision="Steered"))
    plan.refresh_from_db()
    assert response.status_code == 403 and plan.vision != "Steered"
    assert "may not" in response.content.decode() or "permission" in response.content.decode()


def test_plan_stale_save_shows_the_conflict_and_keeps_the_input(owner, plan):
    url = f"/plans/{plan.key}/edit/"
    seen = edit_data(plan)
    assert signed_in(owner).post(url, {**seen, "vision": "First"}).status_code == 302
    response = signed_in(owner).post(url, {**seen, "vision": "My own vision"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed by someone else" in body and "My own vision" in body
    plan.refresh_from_db()
    assert plan.vision == "First" and f'value="{plan.version}"' in body
    response = signed_in(owner).post(
        url, {**seen, "vision": "", "period_end_date": "2020-01-01", "version": 2}
    )
    assert response.status_code == 422 and "The period ends before it starts" in response.content.decode()


def test_plan_objectives_add_edit_delete(owner, viewer, plan):
    client = signed_in(owner)
    url = f"/plans/{plan.key}/objectives/"
    assert signed_in(viewer).post(url, {"objective-title": "X"}).status_code == 403
    assert not PlanObjective.objects.exists()
    assert client.post(url, {"objective-title": ""}).status_code == 422
    assert client.post(url, {"objective-title": "Fix mail faster"}).status_code == 302
    objective = PlanObjective.objects.get()
    response = client.post(url, {"objective-title": "Fix mail faster"})
    assert response.status_code == 422 and "already exists" in response.content.decode()
    edit = f"/plans/{plan.key}/objectives/{objective.pk}/"
    assert signed_in(viewer).post(edit, {f"objective-{objective.pk}-title": "Changed"}).status_code == 403
    response = client.post(edit, {f"objective-{objective.pk}-title": "Fix mail much faster"})
    objective.refresh_from_db()
    assert response.status_code == 302 and objective.title == "Fix mail much faster"
    assert client.post(edit, {f"objective-{objective.pk}-title": ""}).status_code == 422
    assert signed_in(viewer).post(f"{edit}delete/").status_code == 403
    assert client.post(f"{edit}delete/").status_code == 302 and not PlanObjective.objects.exists()
    assert client.post(f"{edit}delete/").status_code == 404


def test_portfolio_shows_each_plan_and_the_totals(viewer, plan, strategic):
    initiative_create(actor=SYSTEM, plan=plan, data={"title": "One", "budget_requested": 700})
    initiative_create(actor=SYSTEM, plan=strategic, data={"title": "Two", "budget_requested": 300})
    body = signed_in(viewer).get("/portfolio/").content.decode()
    assert "Email SIP" in body and "Strategic plan" in body
    assert "700.00 EUR" in body and "1000.00 EUR" in body
    assert "All plans (2 initiatives)" in body and "Draft: 2" in body


def test_hostile_text_is_escaped(owner, strategist, plan, make_opportunity):
    Plan.objects.filter(pk=plan.pk).update(name=HOSTILE, vision=HOSTILE)
    PlanObjective.objects.create(plan=plan, title=HOSTILE)
    Suggestion.objects.create(title=HOSTILE, description=HOSTILE, review_reference=HOSTILE)
    suggestion = Suggestion.objects.get()
    for url in [
        "/plans/",
        f"/plans/{plan.key}/",
        f"/plans/{plan.key}/edit/",
        "/portfolio/",
        "/suggestions/",
        f"/suggestions/{suggestion.pk}/",
    ]:
        body = signed_in(owner if "edit" in url else strategist).get(url).content.decode()
        assert "<script>alert" not in body and "&lt;script&gt;" in body, url


def test_suggestion_create_from_a_register_entry(contributor, viewer, make_opportunity):
    entry = make_opportunity()
    assert_page_access("/suggestions/new/", forbidden=viewer, permitted=contributor)
    body = signed_in(contributor).get(f"/suggestions/new/?opportunity={entry.number}").content.decode()
    assert f'value="{entry.number}"' in body
    assert signed_in(viewer).post("/suggestions/new/", {"title": "T", "description": "D"}).status_code == 403
    client = signed_in(contributor)
    response = client.post("/suggestions/new/", {"title": "Mail platform", "description": "Replace it"})
    assert response.status_code == 422 and "Say where the suggestion comes from" in response.content.decode()
    response = client.post(
        "/suggestions/new/",
        {
            "title": "Mail platform",
            "description": "Replace it",
            "opportunity": "CSI-9999",
            "initiative": "INI-9",
        },
    )
    body = response.content.decode()
    assert response.status_code == 422 and "There is no register entry CSI-9999" in body
    assert "There is no initiative INI-9" in body
    assert not Suggestion.objects.exists()
    response = client.post(
        "/suggestions/new/",
        {"title": "Mail platform", "description": "Replace it", "opportunity": entry.number.lower()},
    )
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/suggestions/{suggestion.pk}/"
    assert (suggestion.opportunity, suggestion.suggested_by, suggestion.state) == (entry, contributor, "open")
    assert "Mail platform" in client.get("/suggestions/").content.decode()


def test_suggestion_decisions(contributor, strategist, owner, strategic, plan):
    suggestion = Suggestion.objects.create(
        title="Mail platform",
        description="Replace it",
        review_reference="Q1 review",
        suggested_by=contributor,
    )
    url = f"/suggestions/{suggestion.pk}/"
    assert "Accept as a strategic initiative" not in signed_in(owner).get(url).content.decode()
    body = signed_in(strategist).get(url).content.decode()
    assert "Accept as a strategic initiative" in body and "Decline" in body and "Q1 review" in body
    assert f'value="{plan.pk}"' not in body  # only strategic plans
    for user in (owner, contributor):
        assert signed_in(user).post(f"{url}accept/", {"accept-plan": strategic.pk}).status_code == 403
        assert signed_in(user).post(f"{url}decline/", {"decline-reason": "No"}).status_code == 403
    client = signed_in(strategist)
    response = client.post(f"{url}accept/", {"accept-plan": plan.pk})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    response = client.post(f"{url}decline/", {"decline-reason": ""})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.state == "open" and not Initiative.objects.exists()
    response = client.post(
        f"{url}accept/", {"accept-plan": strategic.pk, "accept-title": "New mail platform"}
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    initiative = Initiative.objects.get()
    assert suggestion.state == "accepted" and suggestion.created_initiative == initiative
    assert initiative.plan == strategic and initiative.title == "New mail platform"
    body = client.get(url).content.decode()
    assert initiative.number in body and "Accept as a strategic initiative" not in body
    response = client.post(f"{url}decline/", {"decline-reason": "Too late"})
    assert response.status_code == 409 and "already accepted" in response.content.decode()
    assert signed_in(strategist).get("/suggestions/9999/").status_code == 404


def test_suggestion_list_filters_by_state(viewer, contributor):
    Suggestion.objects.create(title="Open one", description="D", review_reference="R")
    body = signed_in(viewer).get("/suggestions/", {"state": "declined"}).content.decode()
    assert "Open one" not in body and "No suggestion in this state" in body
    body = signed_in(viewer).get("/suggestions/").content.decode()
    assert "Open one" in body and "Suggest a strategic initiative" not in body
    assert "Suggest a strategic initiative" in signed_in(contributor).get("/suggestions/").content.decode()


def test_list_pages_queries_do_not_grow(viewer, owner, plan, strategic, service):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(viewer)
    counts = []
    for n in range(2):
        for i in range(5):
            initiative_create(actor=SYSTEM, plan=plan, data={"title": f"Initiative {n}-{i}"})
            Suggestion.objects.create(title=f"Suggestion {n}-{i}", description="D", review_reference="R")
        Plan.objects.create(
            key=f"extra-{n}", kind="process", name=f"Extra {n}", owner=owner,
            period_start_date=date(2026, 1, 1), period_end_date=date(2026, 12, 31),
        ).services.set([service])  # fmt: skip
        seen = []
        for url in ["/plans/", "/portfolio/", "/suggestions/", f"/plans/{plan.key}/"]:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            seen.append(len(queries))
        counts.append(seen)
    assert counts[0] == counts[1] and max(counts[0]) <= 20, counts
