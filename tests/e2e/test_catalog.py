"""The catalog as a service owner uses it: find a service, add a standard; a manager imports OpenSLO files."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from csi.catalog.imports import catalog_import
from csi.core.permissions import SystemActor
from csi.demo.services import DATA, demo_logins
from csi.standards.imports.engine import standards_import
from csi.standards.models import ServiceStandard
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_owner_finds_a_service_and_adds_a_standard(page):
    # The demo's organisation as this page shows it: its users, catalog and standards (the whole demo also
    # imports and measures tickets and builds the register, which this test does not read).
    owner = next(login for login in demo_logins() if login.username == "olivia.owner")
    catalog_import(actor=SystemActor("test"), paths=[DATA / "catalog.yaml"])
    standards_import(actor=SystemActor("test"), paths=[DATA / "standards.yaml"])
    sign_in(page, owner.username, owner.password)
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_label("Search").fill("mail")
    table = page.locator("#service-table")
    expect(table).to_contain_text("Email and calendar")
    expect(table).not_to_contain_text("Payroll")
    table.get_by_role("link", name="Email and calendar").click()
    expect(page.get_by_role("heading", name="Email and calendar", level=1)).to_be_visible()
    expect(page.locator("#standards")).to_contain_text("Email available 99.9% of the month")
    expect(page.locator("#portfolio")).to_contain_text("Phishing campaign")
    page.locator("#standards").get_by_role("button", name="Add a standard").click()
    page.locator("#id_meta-key").fill("email-p2-resolution")
    page.locator("#id_meta-name").fill("P2 mail incidents fixed in 8 business hours")
    page.locator("#id_v-metric").select_option("resolution_time")
    page.locator("#id_v-threshold").fill("8")
    page.locator("#id_v-target_percent").fill("90")
    page.locator("#id_v-calendar_period").select_option("month")
    page.locator("#id_v-calendar").select_option(label="Office hours (Brussels)")
    page.get_by_label("Priorities").fill("2 - High")
    page.get_by_role("button", name="Add standard").click()
    expect(page.get_by_role("heading", name="P2 mail incidents fixed in 8 business hours")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Office hours (Brussels)")
    standard = ServiceStandard.objects.get(key="email-p2-resolution")
    assert standard.current.scope == {"priority": ["2 - High"]} and standard.service.key == "email"


def test_inline_validation_shows_errors_while_typing(page):
    from csi.demo.services import demo_logins

    admin = next(login for login in demo_logins() if login.username == "ada.admin")
    sign_in(page, admin.username, admin.password)
    page.goto("/catalog/new/")
    page.locator("#id_key").fill("Not A Key")
    page.locator("#id_key").blur()
    expect(page.locator("#errors-key")).to_contain_text("lower-case letters")
    page.locator("#id_key").fill("good-key")
    page.locator("#id_name").focus()
    expect(page.locator("#errors-key")).to_be_empty()


@pytest.mark.skipif(
    not (settings.SHARED_DATA_DIR / "openslo").exists(),
    reason="the OpenSLO examples are not beside the project",
)
def test_manager_imports_openslo_files_and_sees_them(page):
    from csi.demo.services import demo_logins

    strategist = next(login for login in demo_logins() if login.username == "sofia.strategy")
    sign_in(page, strategist.username, strategist.password)
    page.goto("/standards/")
    page.get_by_role("button", name="Import OpenSLO").click()
    examples = settings.SHARED_DATA_DIR / "openslo" / "spec" / "examples" / "budgeting-method"
    # The other two examples give `op` with a ratioMetric, which OpenSLO's validator refuses: so does this.
    page.get_by_label("Files").set_input_files([str(examples / "ratio-timeslices.yaml")])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("body")).to_contain_text("spec.objectives[0].op: forbidden with a ratioMetric")
    page.goto("/standards/import/")
    page.get_by_label("Files").set_input_files([str(examples / "occurences-slo.yaml")])
    page.get_by_role("button", name="Preview").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Preview: nothing is stored yet")
    expect(report).to_contain_text("search-slo")
    expect(report).to_contain_text("created service web-shop")
    assert not ServiceStandard.objects.exists()
    page.get_by_role("button", name="Import these changes").click()
    expect(page.locator("#import-report")).to_contain_text("Imported")
    page.goto("/standards/?kind=slo")
    expect(page.locator("table")).to_contain_text("Searching time")
    page.get_by_role("link", name="Searching time").click()
    expect(page.locator("body")).to_contain_text("search-latency less than (<) 500")
    expect(page).to_have_url(re.compile(r"/standards/search-slo/$"))
