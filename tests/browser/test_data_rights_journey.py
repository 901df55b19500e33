"""Clients' data rights end to end, in Chromium against a whole portal in separate processes (issue 11,
item 6): the demo client downloads a copy of their data (the status polls itself until the worker has
made the ZIP) and sees that an administrator opened their record, shown as role and number, never by
name; a new client asks for their data to be deleted, an administrator carries it out from the queue,
the client is signed out and told by email.

Runs on SQLite (jobs inline in the web process) and on PostgreSQL with a real rq worker on Redis, where the
ZIP and the email are made by the worker (the test waits for them). axe runs on every new page state.
"""

import io
import json
import re
import zipfile

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import JOB_TIMEOUT_MS, body_text, sign_in, unique, wait_for_mail
from tests.browser.helpers import axe_check
from tests.browser.journey_stack import _bind_live_database, browser_context_args, stack  # noqa: F401 (fixtures)

CLIENT, ADMIN = "client@demo.test", "admin@demo.test"


def _demo_people(stack):
    """The demo client, the admin, and another client with a checkup (whose data must stay out)."""
    from checkup.models import Appointment, Client, User

    with stack.database():
        me = Client.get(Client.email == CLIENT)
        admin = User.get(User.email == ADMIN)
        other = (
            Appointment.select(Appointment, Client)
            .join(Client)
            .where(Appointment.client != me.id, Client.email != "")
            .order_by(Appointment.id)
            .first()
        )
        return {
            "id": me.id,
            "name": me.name,
            "admin_id": admin.id,
            "admin_name": admin.name,
            "other_name": other.client.name,
            "other_code": other.exam_code,
        }


def test_a_client_downloads_their_data_and_sees_who_accessed_their_record(stack, new_context):
    people = _demo_people(stack)
    admin = sign_in(new_context, stack, ADMIN)
    admin.goto(f"{stack.url}/directory/clients/{people['id']}")  # an access the client will see
    expect(admin.get_by_role("heading", level=1)).to_contain_text(people["name"])

    me = sign_in(new_context, stack, CLIENT)
    me.goto(stack.url + "/me")
    me.get_by_role("link", name="Privacy", exact=True).click()
    expect(me.get_by_role("heading", level=2, name="Your data")).to_be_visible()
    accesses = me.locator("#accesses tbody tr")
    expect(accesses.first).to_contain_text(f"Administrator #{people['admin_id']}")
    expect(accesses.first).to_contain_text("Opened your client record")
    expect(me.locator("main")).not_to_contain_text(people["admin_name"])
    axe_check(me)

    me.get_by_role("button", name="Prepare a copy of my data").click()  # htmx swaps the status block in
    status = me.locator("#data-export")
    # on PostgreSQL the rq worker makes it; the block polls itself every 2 s until it is ready
    expect(status.locator(".badge")).to_have_text("Ready", timeout=JOB_TIMEOUT_MS)
    expect(status).to_contain_text("You can download it until")
    axe_check(me)
    with me.expect_download(timeout=JOB_TIMEOUT_MS) as download_info:
        status.get_by_role("link", name=re.compile(r"^Download my data")).click()
    download = download_info.value
    assert re.fullmatch(r"my-checkup-data-\d{8}\.zip", download.suggested_filename)
    with open(download.path(), "rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    names = archive.namelist()
    text = archive.read("record.json").decode("utf-8")
    record = json.loads(text)
    assert record["client"]["name"] == people["name"] and record["account"]["email"] == CLIENT
    pdfs = [name for name in names if name.endswith(".pdf")]
    assert len(pdfs) >= 2 and all(archive.read(name).startswith(b"%PDF") for name in pdfs)  # two years of reports
    assert {r["pdf_file"] for a in record["appointments"] for r in a["reports"]} >= set(pdfs)
    assert record["record_accesses"][0]["by"] == {"roles": ["admin"], "account_id": people["admin_id"]}
    assert people["other_name"] not in text and people["other_code"] not in text
    assert people["admin_name"] not in json.dumps(record["record_accesses"], ensure_ascii=False)

    # the download itself is in the audit log, which the admin reads
    admin.goto(stack.url + "/admin/audit?action=data_request.export_downloaded")
    expect(admin.locator("#audit-rows tbody tr").first).to_contain_text(CLIENT)


def test_a_deletion_request_is_handled_end_to_end_by_the_admin(stack, new_context):
    from checkup.core import audit
    from checkup.models import Client
    from checkup.models.care import MARKETING_EMAIL
    from checkup.services.accounts import consents
    from tests import factories

    name, email = f"Deletion Tester {unique()}", f"delete-{unique()}@example.com"
    with stack.database():
        user = factories.make_user(
            "client", email=email, name=name, client=factories.make_client(name=name, email=email, phone="13600136000")
        )
        consents.record_changes(audit.SYSTEM, user.client_id, {MARKETING_EMAIL: True}, "registration")
        client_id = user.client_id

    me = sign_in(new_context, stack, email, password=factories.PASSWORD)
    me.goto(stack.url + "/me/privacy")
    me.get_by_role("link", name="Ask us to delete your data").click()
    expect(me.get_by_role("heading", level=1)).to_have_text("Ask us to delete your data")
    expect(me.locator("main")).to_contain_text("kept for 30 years after each checkup")
    axe_check(me)
    me.get_by_role("button", name="Ask to delete my data").click()
    expect(me.locator("#confirmed-error")).to_have_text("Confirm that you want your data deleted.")
    axe_check(me)
    me.get_by_label("Why (optional)").fill("I am moving abroad.")
    me.get_by_label("I understand what is deleted", exact=False).check()
    me.get_by_role("button", name="Ask to delete my data").click()
    expect(me).to_have_url(re.compile(r"/me/privacy(#.*)?$"))
    expect(me.locator(".flash.success")).to_contain_text("Your deletion request is with us.")
    request_row = (
        me.locator("section", has=me.locator("#your-data-heading")).locator("tbody tr").filter(has_text="Deletion")
    )
    expect(request_row).to_contain_text("Being handled")
    expect(request_row).to_contain_text("We answer by")

    admin = sign_in(new_context, stack, ADMIN)
    admin.goto(stack.url + "/admin")
    admin.get_by_role("link", name="Data requests").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Data requests")
    row = admin.locator("#data-request-rows tbody tr").filter(has_text=name)
    expect(row).to_contain_text("Being handled")
    axe_check(admin)
    row.get_by_role("link", name="Deletion").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Data request #\d+: Deletion$"))
    expect(admin.locator("main")).to_contain_text("I am moving abroad.")
    expect(admin.locator("main")).to_contain_text("This cannot be undone.")
    axe_check(admin)
    admin.get_by_label("What was done (the client reads this)").fill("Your personal data is deleted, as you asked.")
    admin.get_by_role("button", name="Delete the data and mark done").click()
    expect(admin.locator(".flash.success")).to_have_text(
        "The client's data is deleted and the client is told by email."
    )
    expect(admin.locator("main .facts")).to_contain_text("Done")
    expect(admin.locator("main .facts")).to_contain_text(f"Deleted client #{client_id}")
    axe_check(admin)

    me.reload()  # every session of the account ended
    expect(me).to_have_url(re.compile(r"/login"))
    me.get_by_role("textbox", name="Email", exact=True).fill(email)
    me.get_by_label("Password").fill(factories.PASSWORD)
    me.get_by_role("button", name="Sign in").click()
    expect(me.locator(".flash.error, .field-error").first).to_be_visible()
    expect(me).to_have_url(re.compile(r"/login"))

    mail = wait_for_mail(stack, email, "Your data request is done")
    assert "Your personal data is deleted, as you asked." in body_text(mail) and name not in body_text(mail)
    with stack.database():
        client = Client.get_by_id(client_id)
        assert (client.name, client.email, client.phone) == (f"Deleted client #{client_id}", "", "")
        assert consents.current(client_id)[MARKETING_EMAIL] is False

    admin.goto(stack.url + "/admin/data-requests?status=done")
    done = admin.locator("#data-request-rows tbody tr").filter(has_text=f"Deleted client #{client_id}")
    expect(done).to_have_count(1)
    expect(admin.locator("#data-request-rows")).not_to_contain_text(name)
