"""Each demo role: lands on its home, sees only its navigation, pages pass axe, signing out ends the session."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ALSO_ROLES, ROLES, axe_check, login_as, nav_link_names, navigation_by_role, sign_out


@pytest.mark.parametrize("email", list(ROLES))
def test_role_lands_home_sees_its_navigation_and_signs_out(page, base_url, live_server, email):
    role, home, expected_links = ROLES[email]
    by_role = navigation_by_role(live_server["app"])
    held = {role, *ALSO_ROLES.get(email, ())}
    own = set().union(*(by_role.get(r, set()) for r in held))
    others = set().union(*(labels for r, labels in by_role.items() if r not in held)) - own
    login_as(page, base_url, email)
    expect(page).to_have_url(base_url + home)

    links = nav_link_names(page)
    missing = [name for name in expected_links if name not in links]
    foreign = sorted(name for name in others if name in links)
    assert not missing, f"{email} should see {missing} in the navigation; it shows {links}"
    assert not foreign, f"{email} must not see {foreign} in the navigation"
    current = page.locator("header nav a[aria-current='page']")
    expect(current).to_have_count(1)
    axe_check(page)

    page.locator("header nav a[href='/account']").click()  # the link with the person's name
    expect(page).to_have_url(base_url + "/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    axe_check(page)

    sign_out(page)
    expect(page).to_have_url(base_url + "/login")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(base_url + home)
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/login\?next=(/|%2F)" + home[1:] + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_copied_session_cookie_stops_working_after_logout(new_context, base_url):
    first = new_context()
    page = first.new_page()
    login_as(page, base_url, "client@demo.test")

    second = new_context()
    second.add_cookies(first.cookies())
    thief = second.new_page()
    thief.goto(base_url + "/me")
    expect(thief).to_have_url(base_url + "/me")  # the copied cookie works while the session lives

    sign_out(page)

    thief.goto(base_url + "/me")
    expect(thief).to_have_url(re.compile(re.escape(base_url) + r"/login\?next=(/|%2F)me$"))


def test_language_switch_in_header(page, base_url):
    page.goto(base_url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    header = page.locator("header")

    header.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page).to_have_url(base_url + "/login")
    expect(header.get_by_role("button", name="English")).to_be_visible()
    expect(header.get_by_role("button", name="简体中文")).to_have_count(0)

    header.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(header.get_by_role("button", name="简体中文")).to_be_visible()
