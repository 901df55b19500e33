"""axe-core (and no sideways scrolling at desktop width) on the pages beyond each role's home.

Homes and /account are covered in test_roles; the phone width in test_layout.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check, has_horizontal_scroll
from tests.browser.live_data import live_app

PAGES = {
    "client@demo.test": ["/me/packages", "/me/packages/{package}"],
    "admin@demo.test": [
        "/admin/accounts",
        "/admin/accounts/new",
        "/admin/accounts/{account}",
        "/admin/audit",
        "/admin/catalog/items",
        "/admin/catalog/station-staff",
        "/directory/clients",
        "/directory/organizations",
    ],
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


def test_background_work_page_passes_axe(signed_in, base_url, live_server):
    """The admin's Background work page with a dead and a failed task listed, then with a discard refused
    for want of a reason (the error next to its field, swapped in by htmx)."""
    import datetime
    import json
    import uuid

    from checkup.models.base import utcnow
    from checkup.models.tasks import DEAD, FAILED, Task

    with live_app(live_server):
        now = utcnow()
        dead = Task.create(
            kind="tasks.noop",
            args_json=json.dumps([1]),
            dedupe_key=f"axe:{uuid.uuid4().hex}",
            state=DEAD,
            attempts=6,
            last_error="SMTPServerDisconnected: Connection closed",
            created_at=now,
            next_attempt_at=now,
            finished_at=now,
        )
        Task.create(
            kind="tasks.noop",
            args_json=json.dumps([2]),
            dedupe_key=f"axe:{uuid.uuid4().hex}",
            state=FAILED,
            attempts=2,
            last_error="OSError: disk full",
            created_at=now,
            next_attempt_at=now + datetime.timedelta(hours=1),
            finished_at=now,
        )
    page = signed_in("admin@demo.test")
    page.goto(base_url + "/admin/tasks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Background work")
    expect(page.locator(f"#task-{dead.id}")).to_contain_text("SMTPServerDisconnected")
    axe_check(page)
    assert not has_horizontal_scroll(page), f"/admin/tasks scrolls sideways at {page.viewport_size}"
    page.get_by_role("button", name=f"Discard task {dead.id}").click()
    expect(page.locator(f"#reason-{dead.id}-error")).to_have_text("Say why this work is discarded.")
    axe_check(page)
