"""Staff record a client's consent answers in the browser: the front desk records a signed paper form
(a missing "how" is refused by the field first), a counselor may only record a withdrawal, and the
client page shows the answers and the history who recorded them. axe runs on each state."""

import uuid

from playwright.sync_api import expect

from tests.browser.helpers import axe_check
from tests.browser.live_data import live_app, new_client


def _client(live_server):
    with live_app(live_server):
        return new_client(f"顾客{uuid.uuid4().hex[:6]}").id


def test_the_front_desk_records_a_paper_form_and_a_counselor_only_a_withdrawal(live_server, base_url, signed_in):
    client_id = _client(live_server)
    desk = signed_in("scheduler@demo.test")
    desk.goto(f"{base_url}/directory/clients/{client_id}")
    consents = desk.locator("section", has=desk.locator("#consents-heading"))
    expect(consents.locator("dd")).to_have_text(["Not given", "Not given", "Not given"])
    consents.get_by_role("link", name="History, and record the client's answers").click()
    expect(desk.get_by_text("No answer recorded yet.")).to_be_visible()
    axe_check(desk)

    desk.get_by_label("Health news and offers by email").check()
    desk.get_by_role("button", name="Record the client's answers").click()
    expect(desk.locator(".flash.error")).to_have_text("Nothing was recorded: check the marked fields.")
    expect(desk.locator("#source-error")).to_have_text("Choose how the client gave these answers.")
    expect(desk.get_by_label("Health news and offers by email")).to_be_checked()  # kept for the retry
    axe_check(desk)

    desk.get_by_label("On a signed paper form", exact=False).check()
    desk.get_by_label("The client gave these answers themselves", exact=False).check()
    desk.get_by_role("button", name="Record the client's answers").click()
    expect(desk.locator(".flash.success")).to_contain_text("The client's answers are recorded.")
    history = desk.locator("section", has=desk.locator("#history-heading")).locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("on a signed paper form")
    expect(history.first).to_contain_text("钱佳怡")  # the scheduler who recorded it

    care = signed_in("counselor@demo.test")
    care.goto(f"{base_url}/directory/clients/{client_id}/consents")
    expect(care.get_by_text("A consent being given is recorded by the front desk or an administrator.")).to_be_visible()
    care.get_by_label("Offers chosen using my checkup findings").check()
    care.get_by_label("By phone, recorded by our staff", exact=False).check()
    care.get_by_label("The client gave these answers themselves", exact=False).check()
    care.get_by_role("button", name="Record the client's answers").click()
    expect(care.locator("#health_targeting-error")).to_contain_text("Only the front desk or an administrator")
    axe_check(care)

    care.get_by_label("Offers chosen using my checkup findings").uncheck()
    care.get_by_label("Health news and offers by email").uncheck()  # the client asked to stop
    care.get_by_label("By phone, recorded by our staff", exact=False).check()
    care.get_by_label("The client gave these answers themselves", exact=False).check()
    care.get_by_role("button", name="Record the client's answers").click()
    expect(care.locator(".flash.success")).to_contain_text("The client's answers are recorded.")
    care.goto(f"{base_url}/directory/clients/{client_id}")
    summary = care.locator("section", has=care.locator("#consents-heading")).locator("dd")
    expect(summary).to_have_text(["Not given", "Withdrawn", "Not given"])
