"""An initiative through its gates in the browser, each role signed in through the login form: the plan
owner proposes (and sees no approve button), the steering committee approves the above-limit initiative
from its home page, the owner requests the budget, the steering committee funds it with an amount, the
owner starts it, posts a status update and marks it implemented. Also: a stale edit in two tabs."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from csi.catalog.tests.factories import ServiceFactory
from csi.improvement.models import Initiative, Plan, PlanObjective, TimelineEntry
from csi.improvement.services import initiatives
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-1"  # what make_user gives every user


@pytest.fixture
def people(make_user):
    return {
        "owner": make_user(
            roles=["service-owner"], username="olga.owner", first_name="Olga", last_name="Owner"
        ),
        "steering": make_user(roles=["steering-committee"], username="stan.steering"),
    }


@pytest.fixture
def initiative(people):
    """A draft in the email SIP (the owner decides alone up to 10,000 EUR) asking for 25,000 EUR, with a
    measurable, dated objective: set up through the services to save time; the workflow is clicked."""
    owner = people["owner"]
    service = ServiceFactory(key="email", name="Email", owner=owner)
    plan = Plan.objects.create(
        key="email-sip",
        kind="service",
        name="Email SIP",
        owner=owner,
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2027, 12, 31),
        budget_limit=Decimal("10000"),
    )
    plan.services.set([service])
    aim = PlanObjective.objects.create(plan=plan, title="Faster resolution")
    created = initiatives.initiative_create(
        actor=owner,
        plan=plan,
        data={"title": "Faster email restores", "owner": owner, "budget_requested": Decimal("25000")},
    )
    initiatives.objective_add(
        actor=owner,
        initiative=created,
        data={
            "title": "Median resolution under 8 hours",
            "kpi_kind": "measure",
            "measure": "median_resolution_hours",
            "service": service,
            "baseline_value": 12.0,
            "target_value": 8.0,
            "unit": "h",
            "due_date": date(2027, 6, 30),
            "plan_objective": aim,
        },
    )
    return created


def open_as(browser, live_server, username):
    """A separate browser session signed in as `username` through the login form."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, username, PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    return page


def press(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def test_an_initiative_goes_through_its_gates(page, browser, live_server, people, initiative):
    path = f"/initiatives/{initiative.number}/"
    state = page.locator("#initiative-state")

    # The plan owner proposes; having proposed it, they see no approve button.
    sign_in(page, "olga.owner", PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Olga Owner")).to_be_visible()
    page.goto(path)
    expect(page.get_by_role("heading", name="Faster email restores", level=1)).to_be_visible()
    expect(page.locator("#want")).to_contain_text("Median resolution under 8 hours")
    expect(state).to_have_text("Draft")
    press(page, "Propose")
    expect(state).to_have_text("Proposed")
    expect(page.get_by_role("status")).to_contain_text("is now proposed")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    steps = page.locator("#steps li")
    expect(steps).to_have_count(7)
    expect(steps.nth(0)).to_contain_text("done")
    expect(steps.nth(3)).to_contain_text("proposed, waiting for approval")

    # The steering committee (25,000 is above the owner's limit) finds it on its home page and approves.
    boss = open_as(browser, live_server, "stan.steering")
    decisions = boss.locator("#decisions")
    expect(decisions.get_by_role("heading", name="Waiting for your decision")).to_be_visible()
    expect(decisions).to_contain_text(f"{initiative.number} Faster email restores waits for your approval")
    decisions.get_by_role("link", name="Decide").click()
    expect(boss).to_have_url(re.compile(re.escape(path) + "$"))
    press(boss, "Approve")
    expect(boss.locator("#initiative-state")).to_have_text("Approved")

    # The owner requests the budget.
    page.reload()
    expect(state).to_have_text("Approved")
    press(page, "Request budget")
    expect(state).to_have_text("Budget requested")

    # The steering committee funds it with an amount (the form starts at the requested 25,000).
    boss.goto("/")
    expect(boss.locator("#decisions")).to_contain_text("asks you for funding")
    boss.goto(path)
    boss.get_by_role("button", name="Fund…").click()
    amount = boss.get_by_label("Amount approved (EUR)")
    expect(amount).to_have_value("25000.00")
    amount.fill("20000")
    press(boss, "Fund")
    expect(boss.locator("#initiative-state")).to_have_text("Funded")
    expect(boss.locator("#budget-approved")).to_have_text("20000.00 EUR")

    # The owner starts it, reports its status through the form and marks it implemented.
    page.reload()
    press(page, "Start")
    expect(state).to_have_text("In progress")
    form = page.locator("#status-form")
    form.get_by_label("Health").select_option("amber")
    form.get_by_label("% complete").fill("40")
    form.get_by_label("Note").fill("Vendor delivery slipped a week")
    press(page, "Add status update")
    expect(page.locator("#timeline-table")).to_contain_text("Vendor delivery slipped a week")
    expect(page.locator("#initiative-percent")).to_have_text("40% complete")
    expect(page.locator("header, main").get_by_text("Amber: at risk").first).to_be_visible()
    press(page, "Mark implemented")
    expect(state).to_have_text("Implemented")

    timeline = page.locator("#timeline-table")
    for word in ["Propose", "Approve", "Request-budget", "Fund", "Start", "Implement", "20000.00 EUR"]:
        expect(timeline).to_contain_text(word)
    actions = list(
        TimelineEntry.objects.filter(initiative=initiative).values_list("action", "actor__username")
    )
    assert actions == [
        ("create", "olga.owner"),
        ("propose", "olga.owner"),
        ("approve", "stan.steering"),
        ("request-budget", "olga.owner"),
        ("fund", "stan.steering"),
        ("start", "olga.owner"),
        ("status", "olga.owner"),
        ("implement", "olga.owner"),
    ]
    boss.context.close()


def test_a_stale_edit_in_a_second_tab_shows_the_conflict(page, people, initiative):
    sign_in(page, "olga.owner", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    edit = f"/initiatives/{initiative.number}/edit/"
    first = page
    second = page.context.new_page()
    first.goto(edit)
    second.goto(edit)
    first.get_by_label("Title").fill("Faster email restores (tab one)")
    press(first, "Save changes")
    expect(first.get_by_role("heading", level=1)).to_contain_text("Faster email restores (tab one)")
    second.get_by_label("Title").fill("Faster email restores (tab two)")
    press(second, "Save changes")
    expect(second.get_by_role("alert").first).to_contain_text("changed by someone else")
    expect(second.get_by_label("Title")).to_have_value("Faster email restores (tab two)")
    assert Initiative.objects.get(pk=initiative.pk).title == "Faster email restores (tab one)"


def test_the_initiative_pages_fit_a_narrow_screen(page, people, initiative):
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, "olga.owner", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    for path in [f"/initiatives/{initiative.number}/", "/initiatives/", "/initiatives/board/"]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
