"""Clients' data rights on the web: the privacy page's copy of one's data (self-polling status, then a
download link; another client's copy is a 404), who accessed the record (role and number, never a
name), correction and deletion requests; the administrators' queue (overdue first), a correction done
with a link to the client's record, a refusal, a deletion carried out end to end."""

import datetime
import re

import pytest

from checkup.core import audit
from checkup.core.audit import Actor
from checkup.models import AuditEvent, Client, DataExport, DataRequest, User
from checkup.services.privacy import data_export, data_rights
from tests.data_rights_helpers import RightsWorld, zip_contents
from tests.factories import sign_in_directly

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    return RightsWorld()


@pytest.fixture
def client_http(app, world):
    http = app.test_client()
    sign_in_directly(http, world.client_user)
    return http


@pytest.fixture
def admin_http(app, world):
    http = app.test_client()
    sign_in_directly(http, world.admin)
    return http


def html(response):
    return response.get_data(as_text=True)


# --- the client ------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_client_asks_for_a_copy_and_downloads_it_from_the_status_block(app, world, client_http):
    page = html(client_http.get("/me/privacy"))
    assert "A copy of your data" in page and "Prepare a copy of my data" in page

    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # owed, not yet run
    answer = client_http.post("/me/privacy/export", headers=HTMX)
    block = html(answer)
    export = DataExport.get(DataExport.client == world.client.id)
    assert answer.status_code == 200 and block.lstrip().startswith('<div id="data-export"')
    assert f'hx-get="/me/privacy/export/{export.id}"' in block and 'hx-trigger="every 2s"' in block
    assert "Prepare" not in block  # no second copy while one is being made

    data_export.build(export.id)  # the worker
    block = html(client_http.get(f"/me/privacy/export/{export.id}", headers=HTMX))
    assert "hx-trigger" not in block and "Ready" in block
    link = f"/me/privacy/export/{export.id}/download"
    assert f'href="{link}"' in block
    download = client_http.get(link)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "no-store" in download.headers["Cache-Control"]
    assert "attachment" in download.headers["Content-Disposition"]
    names, record, _text, _pdfs = zip_contents(download.data)
    assert "record.json" in names and record["client"]["name"] == "王芳"
    assert AuditEvent.select().where(AuditEvent.action == "data_request.export_downloaded").count() == 1
    # without htmx the same address is a page, and asking again redirects to the privacy page
    assert "<h1>" in html(client_http.get(f"/me/privacy/export/{export.id}"))
    again = client_http.post("/me/privacy/export")
    assert again.status_code == 303 and again.headers["Location"].startswith("/me/privacy")


def test_another_clients_copy_answers_404(app, world, client_http):
    theirs = data_export.request_export(Actor(world.other_user), world.other_client.id)
    assert client_http.get(f"/me/privacy/export/{theirs.id}").status_code == 404
    assert client_http.get(f"/me/privacy/export/{theirs.id}/download").status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "data_request.export_downloaded").count() == 0


def test_an_expired_copy_is_no_longer_offered(app, world, client_http):
    export = data_export.request_export(world.as_client(), world.client.id)
    past = datetime.datetime(2020, 1, 1)
    DataExport.update(expires_at=past).where(DataExport.id == export.id).execute()
    assert client_http.get(f"/me/privacy/export/{export.id}/download").status_code == 404
    block = html(client_http.get("/me/privacy"))
    assert "was deleted after 7 days" in block and "Prepare a new copy of my data" in block


@pytest.mark.both_dbs
def test_the_client_sees_who_accessed_the_record_as_role_and_number(app, world, client_http, count_queries):
    audit.record(Actor(world.admin), "directory.client_viewed", world.client)
    audit.record(Actor(world.physician), "directory.client_viewed", world.other_client)
    page = html(client_http.get("/me/privacy"))
    rows = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", page)
    assert (f"Administrator #{world.admin.id}", "Opened your client record") in rows
    assert (f"Physician #{world.physician.id}", "Signed your report") in rows
    assert "Director Zhao" not in page and "李医生" not in page and "boss@example.com" not in page
    assert len([r for r in rows if r[1] == "Opened your client record"]) == 1  # the other client's is not here

    with count_queries() as few:
        client_http.get("/me/privacy/accesses", headers=HTMX)
    for _ in range(60):
        audit.record(Actor(world.physician), "report.downloaded", world.report, client=world.client.id)
    with count_queries() as many:
        fragment = html(client_http.get("/me/privacy/accesses?page=2", headers=HTMX))
    assert few.count == many.count
    assert fragment.lstrip().startswith('<div id="accesses">')
    assert "Page 2 of 3" in fragment and 'rel="prev"' in fragment


def test_a_correction_request_is_checked_then_listed_with_its_due_date(app, world, client_http):
    refused = client_http.post("/me/privacy/correction", data={"field": "", "details": ""})
    assert refused.status_code == 422
    assert "Choose what is wrong." in html(refused) and "Tell us what is wrong" in html(refused)
    sent = client_http.post("/me/privacy/correction", data={"field": "address", "details": "I moved to 2 Hill St."})
    assert sent.status_code == 303
    request = DataRequest.get(DataRequest.client == world.client.id)
    page = html(client_http.get("/me/privacy"))
    assert "Correction: Address" in page and f"We answer by {request.due_on.isoformat()}." in page


def test_a_deletion_request_needs_the_confirmation(app, world, client_http):
    form = html(client_http.get("/me/privacy/deletion"))
    assert "What is deleted" in form and "What the law requires us to keep" in form and "30 years" in form
    unconfirmed = client_http.post("/me/privacy/deletion", data={"reason": "Moving"})
    assert unconfirmed.status_code == 422 and "Confirm that you want your data deleted." in html(unconfirmed)
    assert DataRequest.select().count() == 0
    assert client_http.post("/me/privacy/deletion", data={"confirmed": "y"}).status_code == 303
    waiting = html(client_http.get("/me/privacy/deletion"))
    assert "is with us" in waiting and 'name="confirmed"' not in waiting
    again = client_http.post("/me/privacy/deletion", data={"confirmed": "y"})
    assert again.status_code == 409 and DataRequest.select().count() == 1


# --- the administrators ----------------------------------------------------------------------------


def _requests(world):
    early = data_rights.request_correction(world.as_client(), world.client.id, "phone", "13900001111 is right")
    late = data_rights.request_correction(Actor(world.other_user), world.other_client.id, "name", "Other Name")
    DataRequest.update(due_on=datetime.date(2000, 1, 3)).where(DataRequest.id == late.id).execute()  # overdue
    return early, late


def test_the_queue_puts_overdue_requests_on_top(app, world, admin_http, count_queries):
    early, late = _requests(world)
    page = html(admin_http.get("/admin/data-requests"))
    assert page.index(f"/admin/data-requests/{late.id}") < page.index(f"/admin/data-requests/{early.id}")
    assert page.count("Overdue") == 1 and "2000-01-03" in page and "Open: 2 · overdue: 1" in page
    assert "1 client data request is past its legal answer date." in html(admin_http.get("/admin"))
    with count_queries() as few:
        admin_http.get("/admin/data-requests", headers=HTMX)
    for n in range(10):
        data_rights.request_correction(
            Actor(world.other_user), world.other_client.id, "address", f"No. {n}"
        ) if n < 3 else DataRequest.create(
            client=world.client.id, kind="correction", field="other", details="x", due_on=datetime.date(2030, 1, 1)
        )
    with count_queries() as many:
        rows = html(admin_http.get("/admin/data-requests?status=open&kind=correction", headers=HTMX))
    assert few.count == many.count and rows.count("<tr>") == 13
    answered = html(admin_http.get("/admin/data-requests?status=done"))
    assert "No request to show." in answered


def test_a_correction_is_done_with_a_link_to_the_record(app, world, admin_http, outbox):
    early, _late = _requests(world)
    detail = html(admin_http.get(f"/admin/data-requests/{early.id}"))
    assert f'href="/directory/clients/{world.client.id}/edit"' in detail and "13900001111 is right" in detail
    assert AuditEvent.select().where(AuditEvent.action == "data_request.viewed").count() == 1
    missing = admin_http.post(f"/admin/data-requests/{early.id}/done", data={"note": ""})
    assert missing.status_code == 422 and "Say what was done" in html(missing)
    done = admin_http.post(f"/admin/data-requests/{early.id}/done", data={"note": "Phone corrected."})
    assert done.status_code == 303
    assert DataRequest.get_by_id(early.id).status == "done"
    assert any(m["Subject"] == "Your data request is done" for m in outbox())
    page = html(admin_http.get(f"/admin/data-requests/{early.id}"))
    assert "Phone corrected." in page and "Director Zhao" in page and 'name="note"' not in page
    assert admin_http.post(f"/admin/data-requests/{early.id}/refuse", data={"reason": "late"}).status_code == 409


def test_a_refusal_needs_a_reason(app, world, admin_http):
    early, _late = _requests(world)
    assert admin_http.post(f"/admin/data-requests/{early.id}/refuse", data={"reason": " "}).status_code == 422
    assert (
        admin_http.post(
            f"/admin/data-requests/{early.id}/refuse", data={"reason": "The number on file is the one you gave us."}
        ).status_code
        == 303
    )
    assert DataRequest.get_by_id(early.id).status == "refused"
    assert admin_http.post("/admin/data-requests/999999/refuse", data={"reason": "x"}).status_code == 404


@pytest.mark.both_dbs
def test_a_deletion_runs_from_the_client_page_to_the_admin_and_signs_the_client_out(
    app, world, client_http, admin_http, outbox
):
    assert client_http.post("/me/privacy/deletion", data={"confirmed": "y", "reason": "Moving"}).status_code == 303
    request = DataRequest.get(DataRequest.kind == "deletion")
    detail = html(admin_http.get(f"/admin/data-requests/{request.id}"))
    assert "This cannot be undone." in detail and "Delete the data and mark done" in detail
    done = admin_http.post(f"/admin/data-requests/{request.id}/done", data={"note": "Deleted as asked."})
    assert done.status_code == 303
    assert Client.get_by_id(world.client.id).name == f"Deleted client #{world.client.id}"
    assert not User.get_by_id(world.client_user.id).is_active
    after = client_http.get("/me/privacy")
    assert after.status_code == 302 and "/login" in after.headers["Location"]  # the session ended
    assert [m["To"] for m in outbox() if m["Subject"] == "Your data request is done"] == ["wang@example.com"]
    queue = html(admin_http.get("/admin/data-requests?status=done"))
    assert f"Deleted client #{world.client.id}" in queue and "王芳" not in queue
