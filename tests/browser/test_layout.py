"""Layout on a phone: nothing scrolls sideways. Set CHECKUP_SCREENSHOTS=/some/dir to keep screenshots."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check, has_horizontal_scroll

PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("CHECKUP_SCREENSHOTS")


def shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("path", ["/me", "/me/packages"])
def test_client_pages_fit_a_phone(signed_in, base_url, path):
    page = signed_in("client@demo.test", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(base_url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert not has_horizontal_scroll(page), f"{path} scrolls sideways on a phone: scrollWidth/innerWidth = {width}"
    # The header's links wrap inside the screen instead of running off it.
    for box in (el.bounding_box() for el in page.locator("header nav a, header nav button").all()):
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
    shoot(page, "phone" + path.replace("/", "_"))


def test_public_pages_fit_a_phone_and_skip_link_works(new_context, base_url):
    page = new_context(viewport=PHONE).new_page()
    page.goto(base_url + "/login")
    assert not has_horizontal_scroll(page)
    page.goto(base_url + "/password/forgot")  # no autofocus here, so the first Tab reaches the skip link
    skip = page.get_by_role("link", name="Skip to content")
    # The skip link is off-screen until focused, then visible and on-screen.
    box = skip.bounding_box()
    assert box is None or box["y"] + box["height"] <= 1 or box["width"] <= 1
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["width"] > 20 and box["height"] > 10, box
    axe_check(page)


@pytest.mark.skipif(not SHOTS, reason="set CHECKUP_SCREENSHOTS=/dir to save screenshots for a visual review")
@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_for_review(new_context, signed_in, base_url, width):
    pages = {
        "client@demo.test": ["/me", "/me/packages", "/me/packages/{first}", "/account"],
        "admin@demo.test": ["/admin", "/admin/accounts", "/admin/audit", "/admin/catalog/items", "/directory/clients"],
        "physician@demo.test": ["/exam"],
        "hr@acme.demo.test": ["/hr"],
        "scheduler@demo.test": ["/desk", "/no-such-page"],
    }
    anonymous = new_context(viewport={"width": width, "height": 900}).new_page()
    for path in ["/login", "/register", "/password/forgot"]:
        anonymous.goto(base_url + path)
        shoot(anonymous, f"{width}{path.replace('/', '_')}")
    anonymous.goto(base_url + "/login")
    anonymous.get_by_role("textbox", name="Email", exact=True).fill("nobody@demo.test")
    anonymous.get_by_label("Password").fill("wrong-password")
    anonymous.get_by_role("button", name="Sign in").click()
    shoot(anonymous, f"{width}_login_error")
    for email, paths in pages.items():
        page = signed_in(email, viewport={"width": width, "height": 900})
        for path in paths:
            if "{first}" in path:
                page.goto(base_url + "/me/packages")
                href = page.locator(".cards article h2 a").first.get_attribute("href")
                path = href
            page.goto(base_url + path)
            shoot(page, f"{width}{path.replace('/', '_')}")
