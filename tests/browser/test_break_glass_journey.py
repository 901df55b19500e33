"""Break the glass, in Chromium against the whole portal (issue 11, item 3): the administrator, who has
no care relationship with anyone, opens a client's follow-up; the portal shows no finding but the
break-the-glass form; a missing reason is refused at its field; with a reason the record opens; the
admin's home then counts the access, and the review list shows it until it is marked reviewed.
axe runs on every new page state."""

import re

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import sign_in, unique
from tests.browser.helpers import axe_check
from tests.browser.journey_stack import _bind_live_database, browser_context_args, stack  # noqa: F401 (fixtures)

ADMIN = "admin@demo.test"


def _an_open_follow_up(stack):
    from checkup.models import Client, FollowUp

    with stack.database():
        row = (
            FollowUp.select(FollowUp, Client)
            .join(Client)
            .where(FollowUp.status == "open")
            .order_by(FollowUp.id)
            .first()
        )
        return row.id, row.client.name


def test_the_admin_breaks_the_glass_with_a_reason_and_reviews_it(stack, new_context):
    follow_up_id, client_name = _an_open_follow_up(stack)
    admin = sign_in(new_context, stack, ADMIN)
    admin.goto(f"{stack.url}/care/followups/{follow_up_id}")
    expect(admin.get_by_role("heading", level=1)).to_have_text("No care relationship")
    expect(admin.locator("main")).not_to_contain_text(client_name)
    axe_check(admin)

    admin.get_by_role("button", name="Open the record").click()  # no reason: refused at the field
    reason = admin.get_by_role("textbox", name="Why do you need to open this record?")
    expect(reason).to_be_visible()
    if admin.locator(".field-error").count():  # the server's answer (the browser may stop it first)
        expect(admin.locator(".field-error")).to_contain_text("Say why you need to open this record.")
        axe_check(admin)

    why = f"Complaint from the client's family {unique()}"
    reason.fill(why)
    admin.get_by_role("button", name="Open the record").click()
    expect(admin).to_have_url(re.compile(rf"/care/followups/{follow_up_id}$"))
    expect(admin.locator("main")).to_contain_text(client_name)
    expect(admin.get_by_role("status").or_(admin.locator(".flash")).first).to_contain_text("logged and reviewed")
    axe_check(admin)

    admin.goto(stack.url + "/admin")
    warning = admin.get_by_role("link", name=re.compile(r"break-the-glass access"))
    expect(warning).to_be_visible()
    warning.click()
    row = admin.locator("tbody tr", has_text=why)
    expect(row).to_contain_text(ADMIN)
    axe_check(admin)
    row.get_by_role("textbox").fill("Checked with the family; fine.")
    row.get_by_role("button", name=re.compile("Mark reviewed")).click()
    expect(admin.locator("main")).not_to_contain_text(why)
    admin.get_by_role("link", name="Reviewed").click()
    expect(admin.locator("tbody tr", has_text=why)).to_contain_text("Checked with the family; fine.")
    axe_check(admin)
