"""Layout on a phone: nothing scrolls sideways. Set CHECKUP_SCREENSHOTS=/some/dir to keep screenshots."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check, has_horizontal_scroll, login_as

PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("CHECKUP_SCREENSHOTS")


def shoot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("path", ["/me", "/me/packages"])
def test_client_pages_fit_a_phone(new_context, base_url, path):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login_as(page, base_url, "client@demo.test")
    page.goto(base_url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert not has_horizontal_scroll(page), f"{path} scrolls sideways on a phone: scrollWidth/innerWidth = {width}"
    # The header's links wrap inside the screen instead of running off it.
    for box in (el.bounding_box() for el in page.locator("header nav a, header nav button").all()):
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box
    shoot(page, "phone" + path.replace("/", "_"))


def test_sign_in_page_fits_a_phone_and_skip_link_works(new_context, base_url):
    page = new_context(viewport=PHONE).new_page()
    page.goto(base_url + "/login")
    assert not has_horizontal_scroll(page)
    shoot(page, "phone_login")
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
def test_screenshots_for_review(new_context, base_url, width):
    pages = {
        "client@demo.test": ["/me", "/me/packages", "/me/packages/{first}", "/account"],
        "admin@demo.test": ["/admin", "/admin/accounts", "/admin/audit"],
        "physician@demo.test": ["/exam"],
        "hr@acme.demo.test": ["/hr"],
        "scheduler@demo.test": ["/desk", "/no-such-page"],
    }
    anonymous = new_context(viewport={"width": width, "height": 900}).new_page()
    for path in ["/login", "/register", "/password/forgot"]:
        anonymous.goto(base_url + path)
        shoot(anonymous, f"{width}{path.replace('/', '_')}")
    anonymous.goto(base_url + "/login")
    anonymous.get_by_label("Email").fill("nobody@demo.test")
    anonymous.get_by_label("Password").fill("wrong-password")
    anonymous.get_by_role("button", name="Sign in").click()
    shoot(anonymous, f"{width}_login_error")
    for email, paths in pages.items():
        page = new_context(viewport={"width": width, "height": 900}).new_page()
        login_as(page, base_url, email)
        for path in paths:
            if "{first}" in path:
                page.goto(base_url + "/me/packages")
                href = page.locator(".cards article h2 a").first.get_attribute("href")
                path = href
            page.goto(base_url + path)
            shoot(page, f"{width}{path.replace('/', '_')}")
