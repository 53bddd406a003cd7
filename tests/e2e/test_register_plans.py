"""The CSI register in a real browser: a contributor raises an entry and is shown a likely duplicate while
typing; the service owner assesses it and accepts it into the SIP; a viewer cannot raise entries."""

from datetime import date

import pytest
from playwright.sync_api import expect

from csi.accounts.tests.factories import UserFactory
from csi.catalog.tests.factories import ServiceFactory
from csi.core.permissions import SystemActor
from csi.improvement.models import Initiative, Opportunity, Plan
from csi.improvement.services.register import opportunity_raise
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-1"


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()


@pytest.fixture
def people():
    owner = UserFactory(username="olivia", roles=["service-owner"])
    contributor = UserFactory(username="chris", roles=["contributor"])
    viewer = UserFactory(username="vera", roles=["viewer"])
    service = ServiceFactory(key="email", name="Email", owner=owner)
    sip = Plan.objects.create(
        key="email-sip",
        kind="service",
        name="Email SIP",
        owner=owner,
        period_start_date=date(2026, 1, 1),
        period_end_date=date(2026, 12, 31),
    )
    sip.services.set([service])
    existing = opportunity_raise(
        actor=SystemActor("test"),
        data={
            "title": "Email tickets breach the resolution SLA",
            "source": "standard-breach",
            "description": "Too many email incidents are resolved late.",
            "service": service,
        },
    )
    return {"owner": owner, "contributor": contributor, "viewer": viewer, "existing": existing}


def test_raise_with_duplicate_hint_then_owner_accepts_into_the_sip(page, people):
    existing = people["existing"]
    sign_in(page, people["contributor"].username, PASSWORD)
    page.get_by_role("link", name="Register", exact=True).click()
    expect(page.locator("#register-table")).to_contain_text(existing.title)
    page.get_by_role("button", name="Raise an opportunity").click()
    page.locator("#id_title").press_sequentially("Email ticket resolution SLA breached")
    hint = page.locator("#duplicates")
    expect(hint).to_contain_text("This may repeat an open entry")
    expect(hint.get_by_role("link", name=f"{existing.number} {existing.title}")).to_be_visible()
    page.locator("#id_title").fill("Mailbox quota alerts come too late")
    page.locator("#id_description").press_sequentially("Users hit the quota before any warning.")
    expect(hint).not_to_contain_text(existing.number)
    page.locator("#id_source").select_option("incident-problem")
    page.locator("#id_service").select_option(label="Email")
    page.locator("#id_impact").select_option("4")
    page.get_by_role("button", name="Raise", exact=True).click()
    expect(page.get_by_role("heading", name="Mailbox quota alerts come too late", level=1)).to_be_visible()
    entry = Opportunity.objects.get(title="Mailbox quota alerts come too late")
    assert entry.raised_by == people["contributor"] and entry.impact == 4
    expect(page.locator("#entry-state")).to_have_text("New")
    expect(page.locator("#decision")).not_to_contain_text("Start assessment")
    sign_out(page)

    sign_in(page, people["owner"].username, PASSWORD)
    page.goto("/register/")
    page.locator("#register-table").get_by_role("link", name=entry.title).click()
    page.locator("#action-assess summary").click()
    page.locator("#action-assess").get_by_role("button", name="Start assessment").click()
    expect(page.locator("#entry-state")).to_have_text("Under assessment")
    page.locator("#action-accept summary").click()
    page.locator("#id_accept-plan").select_option(label="Email SIP")
    page.locator("#action-accept").get_by_role("button", name="Accept into a plan").click()
    expect(page.locator("#entry-state")).to_have_text("Accepted")
    initiative = Initiative.objects.get()
    assert initiative.plan.key == "email-sip" and initiative.title == entry.title
    expect(page.locator("#decision")).to_contain_text(initiative.number)


def test_viewer_sees_no_raise_button(page, people):
    sign_in(page, people["viewer"].username, PASSWORD)
    page.goto("/register/")
    expect(page.locator("#register-table")).to_contain_text(people["existing"].title)
    expect(page.get_by_role("button", name="Raise an opportunity")).to_have_count(0)


def test_the_steering_committee_sets_a_plans_owner_and_limit_the_owner_may_only_lower_it(page, people):
    """Governance on the plan page: the owner sees the limit as hers to lower and the owner field as the
    steering committee's; a steering committee member, not an editor of the plan, sets both."""
    UserFactory(username="sam", roles=["steering-committee"])
    UserFactory(username="otto", roles=["service-owner"])
    Plan.objects.filter(key="email-sip").update(budget_limit=10_000)
    sign_in(page, people["owner"].username, PASSWORD)
    page.goto("/plans/email-sip/edit/")
    expect(page.locator("#id_owner")).to_be_disabled()
    expect(page.get_by_text("You may lower it; the steering committee sets or raises it.")).to_be_visible()
    page.locator("#id_budget_limit").fill("50000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only the steering committee may set or raise")).to_be_visible()
    for width in (1280, 400):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"test-results/plan-limit-refused-{width}.png", full_page=True)
    assert Plan.objects.get(key="email-sip").budget_limit == 10_000
    page.locator("#id_budget_limit").fill("8000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    sign_out(page)

    sign_in(page, "sam", PASSWORD)
    page.goto("/plans/email-sip/")
    page.get_by_role("button", name="Set owner and budget limit").click()
    page.locator("#id_owner").select_option(label="otto")
    page.locator("#id_budget_limit").fill("25000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    plan = Plan.objects.get(key="email-sip")
    assert (plan.owner.username, plan.budget_limit) == ("otto", 25_000)
