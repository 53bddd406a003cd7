"""The analytics pages in a real browser: the charts are drawn as SVG under the strict CSP, without errors."""

import re

import pytest
from playwright.sync_api import expect

from csi.analytics.tests.test_views import measured_service
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_performance_draws_its_charts_and_the_board_shows_the_status(page, make_user, tmp_path):
    owner = make_user(roles=["service-owner"], username="olga.owner")
    measured_service(owner, tmp_path)
    # The site has no favicon yet; the browser's request for one is not an error of these pages.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, "olga.owner", "pw-for-tests-1")

    page.goto("/analytics/services/email/")
    expect(page.get_by_role("heading", name="Performance of Email", level=1)).to_be_visible()
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(4)
    for index in range(4):
        expect(charts.nth(index).locator("svg")).to_be_visible()
        expect(charts.nth(index)).to_have_attribute("data-chart-state", "drawn")
    expect(page.locator("#attainment-1")).to_have_attribute("role", "img")

    # Another breakdown through htmx: the new Pareto chart is drawn too.
    page.locator("#pareto-attribute").select_option("priority")
    expect(page.locator("#pareto-data")).to_contain_text("P2")
    expect(page.locator("#pareto svg")).to_be_visible()
    expect(page).to_have_url(re.compile(r"attribute=priority"))

    page.goto("/analytics/board/")
    row = page.locator("tr", has_text="Incidents resolved in 8 hours")
    expect(row).to_contain_text("Red")
    expect(row).to_contain_text("75.0")
    assert errors == []
