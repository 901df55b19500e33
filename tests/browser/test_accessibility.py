"""axe-core (and no sideways scrolling at desktop width) on the pages beyond each role's home.

Homes and /account are covered in test_roles; the phone width in test_layout.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check, has_horizontal_scroll

PAGES = {
    "client@demo.test": ["/me/packages", "/me/packages/{package}"],
    "admin@demo.test": ["/admin/accounts", "/admin/accounts/new", "/admin/accounts/{account}", "/admin/audit",
                        "/admin/catalog/items", "/directory/clients", "/directory/organizations"],
    "scheduler@demo.test": ["/no-such-page"],
}


@pytest.mark.parametrize("email", list(PAGES))
def test_pages_pass_axe(signed_in, base_url, email):
    page = signed_in(email)
    for path in PAGES[email]:
        if path == "/me/packages/{package}":
            page.goto(base_url + "/me/packages")
            path = page.locator("main article h2 a").first.get_attribute("href")
        elif path == "/admin/accounts/{account}":
            page.goto(base_url + "/admin/accounts")
            path = page.locator("#account-rows a").first.get_attribute("href")
        page.goto(base_url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
        assert not has_horizontal_scroll(page), f"{path} scrolls sideways at {page.viewport_size}"


def test_ineligible_package_cards_stay_readable(signed_in, base_url):
    """Packages the client cannot book are muted, but their text keeps full contrast (axe checks it)."""
    page = signed_in("client@demo.test")
    page.goto(base_url + "/me/packages")
    ineligible = page.locator("article.ineligible")
    expect(ineligible.first).to_be_visible()
    axe_check(page, context="article.ineligible")


def test_invalid_reset_link_page_passes_axe(page, base_url):
    page.goto(base_url + "/password/reset/not-a-real-token")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link not valid")
    axe_check(page)
