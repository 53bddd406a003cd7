"""Measures as a data manager uses them: upload an export, check the preview, import it; map tickets to a
service."""

import re

import pytest
from playwright.sync_api import expect

from csi.catalog.tests.factories import ServiceFactory
from csi.core.permissions import SystemActor
from csi.demo.services import demo_logins
from csi.measures import services
from csi.measures.models import ImportBatch, MappingProfile, ServiceMappingRule
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPORT = (
    "ticket_id,event_at,state,priority,category\n"
    "T1,2024-01-01T10:00:00Z,New,P1,Email\n"
    "T1,2024-01-01T11:30:00Z,Resolved,P1,Email\n"
    "T2,2024-01-02T09:00:00Z,New,P3,Network\n"
)


@pytest.fixture
def desk(db):
    return services.source_create(
        actor=SystemActor("test"),
        key="desk",
        name="Service desk",
        profile=MappingProfile.objects.get(key="csi-event-log"),
    )


def sign_in_as_data_manager(page):
    strategist = next(login for login in demo_logins() if login.username == "sofia.strategy")
    sign_in(page, strategist.username, strategist.password)


def test_upload_preview_import_and_find_it_in_the_history(page, desk, tmp_path):
    export = tmp_path / "desk-export.csv"
    export.write_text(EXPORT)
    sign_in_as_data_manager(page)
    page.get_by_role("link", name="Measures", exact=True).click()
    page.get_by_role("link", name="Service desk").click()
    page.get_by_role("link", name="Import a file").click()
    page.locator("#id_file").set_input_files(str(export))
    page.get_by_role("button", name="Preview").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Preview: nothing is stored yet")
    expect(report.locator("table.preview")).to_contain_text("Network")
    assert not ImportBatch.objects.exists()
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_role("heading", name=re.compile(r"Import run #\d+"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Imported 3 records of 2 tickets")
    page.get_by_role("link", name="Import history", exact=True).click()
    expect(page.locator("table")).to_contain_text("desk-export.csv")
    expect(page.locator("table")).to_contain_text("Committed")
    assert ImportBatch.objects.get().events == 3


def test_add_a_mapping_rule(page, desk):
    ServiceFactory(key="email", name="Email and calendar")
    sign_in_as_data_manager(page)
    page.goto("/measures/sources/desk/")
    page.get_by_text("Add a rule").click()
    page.locator("#id_rule-service").select_option(label="Email and calendar")
    page.locator("#id_rule-field").select_option("category")
    page.locator("#id_rule-values").fill("Email\nMail")
    page.get_by_role("button", name="Add rule").click()
    rules = page.locator("#rules")
    expect(rules).to_contain_text("being recomputed")
    expect(rules.locator("table")).to_contain_text("Email and calendar")
    rule = ServiceMappingRule.objects.get()
    assert (rule.field, rule.values) == ("category", ["Email", "Mail"])
