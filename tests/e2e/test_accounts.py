import re

import pytest
from playwright.sync_api import expect

from csi.accounts.models import ApiToken, User
from csi.demo.services import demo_logins
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_user_logs_in_sees_home_and_logs_out(page):
    login = next(login for login in demo_logins() if login.username == "olivia.owner")
    sign_in(page, login.username, login.password)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Olivia Owner")).to_be_visible()
    expect(page.get_by_role("heading", name="Your roles")).to_be_visible()
    expect(page.get_by_text("Service owner", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))


def test_wrong_password_shows_error_and_does_not_log_in(page):
    login = demo_logins()[0]
    sign_in(page, login.username, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("The username or password is wrong")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_keyboard_only_sign_in(page):
    login = demo_logins()[0]
    page.goto("/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(login.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(login.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


@pytest.mark.parametrize("width", [1280, 400])
def test_pages_fit_the_screen(page, width):
    login = next(login for login in demo_logins() if login.username == "ada.admin")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, login.username, login.password)
    for url in ["/", "/accounts/profile/", "/admin/users/", "/admin/audit/"]:
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} overflows by {overflow}px at {width}px"
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_create_and_revoke_token_in_the_browser(page):
    login = next(login for login in demo_logins() if login.username == "chris.contributor")
    sign_in(page, login.username, login.password)
    page.get_by_role("link", name="chris.contributor").click()
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("csi_")
    row = page.locator("tr", has_text="my script")
    expect(row).to_contain_text("active")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke token my script").click()
    expect(page.locator("tr", has_text="my script")).to_contain_text("revoked")
    assert ApiToken.objects.get(name="my script").revoked_at is not None


def test_administrator_gives_a_role(page):
    demo_logins()
    login = next(login for login in demo_logins() if login.username == "ada.admin")
    User.objects.create_user("newbie", password="newbie-long-pass-1")
    sign_in(page, login.username, login.password)
    expect(page.get_by_text("1 user without a role")).to_be_visible()
    page.get_by_role("link", name="Assign roles").click()
    page.get_by_role("link", name="newbie").click()
    page.get_by_label("Contributor").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("User newbie was saved.")).to_be_visible()
    assert User.objects.get(username="newbie").role_names == ["contributor"]
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table.audit")).to_contain_text("set_roles")


def test_user_search_filters_as_you_type(page):
    login = next(login for login in demo_logins() if login.username == "ada.admin")
    sign_in(page, login.username, login.password)
    page.get_by_role("link", name="Admin", exact=True).click()
    table = page.locator("#user-table")
    expect(table).to_contain_text("vera.viewer")
    page.get_by_label("Search").fill("olivia")
    expect(table).not_to_contain_text("vera.viewer")
    expect(table).to_contain_text("olivia.owner")
    expect(page).to_have_url(re.compile(r"q=olivia"))
    page.get_by_label("Search").fill("")
    page.get_by_label("Role").select_option("viewer")
    expect(table).to_contain_text("vera.viewer")
    expect(table).not_to_contain_text("olivia.owner")


def test_api_docs_render_offline(page):
    page.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    page.goto("/api/v1/docs")
    # Swagger UI renders the whole schema (over 100 operations) before the heading: on a loaded 2-core CI
    # machine that took over 5 s, so wait longer than the default (this checks offline rendering, not speed).
    expect(page.get_by_role("heading", name=re.compile("CSI Workbench API"))).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/v1/health", exact=True)).to_be_visible()
