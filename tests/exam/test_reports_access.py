"""Who may read a report PDF, the review pages, the polling status fragment; every view audited."""

import json

import pytest

from checkup.models import AdviceSnippet, AuditEvent, Report, Result
from checkup.services.exam import report_pdf, reports
from tests import factories
from tests.report_helpers import ReportWorld


@pytest.fixture
def world(app):
    return ReportWorld()


def signed_in(app, user):
    http = app.test_client()
    factories.sign_in_directly(http, user)
    return http


def sign(world, **kwargs):
    world.all_results()
    return reports.sign(world.actor(), world.appointment.id, "Summary", "Advice", **kwargs)


def downloads():
    return [(e.user_id, e.object_id) for e in AuditEvent.select().where(AuditEvent.action == "report.downloaded")]


@pytest.mark.both_dbs
def test_a_client_downloads_their_own_report_and_the_download_is_audited(app, world):
    report = sign(world)
    http = signed_in(app, world.client_user)
    listing = http.get("/me/reports")
    assert listing.status_code == 200
    assert f"/me/reports/{report.id}.pdf" in listing.get_data(as_text=True)
    response = http.get(f"/me/reports/{report.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == report_pdf.file_for(Report.get_by_id(report.id)).read_bytes()
    assert "no-store" in response.headers["Cache-Control"]
    assert downloads() == [(world.client_user.id, str(report.id))]
    assert AuditEvent.select().where(AuditEvent.action == "report.list_viewed").count() == 1


@pytest.mark.both_dbs
def test_another_clients_report_answers_exactly_like_a_missing_one(app, world):
    report = sign(world)
    stranger = factories.make_user("client", email="stranger@example.com")
    http = signed_in(app, stranger)
    theirs = http.get(f"/me/reports/{report.id}.pdf")
    missing = http.get("/me/reports/987654.pdf")
    assert theirs.status_code == missing.status_code == 404
    # the page echoes its own path (language switch) and a fresh CSRF token (it carries a timestamp);
    # apart from those the answers are identical
    assert factories.page_shape(theirs, f"/me/reports/{report.id}.pdf") == factories.page_shape(
        missing, "/me/reports/987654.pdf"
    )
    assert theirs.headers.get("Content-Type") == missing.headers.get("Content-Type")
    assert f"/me/reports/{report.id}.pdf" not in http.get("/me/reports").get_data(as_text=True)
    assert downloads() == []


def test_hr_never_downloads_a_report(app, world):
    report = sign(world)
    hr = factories.make_user("hr", email="hr@example.com")
    http = signed_in(app, hr)
    assert http.get(f"/me/reports/{report.id}.pdf").status_code == 403
    assert http.get(f"/exam/review/reports/{report.id}.pdf").status_code == 403
    assert http.get("/me/reports").status_code == 403
    assert downloads() == []


@pytest.mark.parametrize("role, status", [("physician", 403), ("counselor", 200), ("admin", 403), ("scheduler", 403)])
def test_staff_download_through_the_review_area_needs_a_care_relationship(app, world, role, status):
    """A physician who neither examined nor reviewed the client and the admin get the break-the-glass
    form; a counselor may take the report's open follow-ups from the pool, so is related; the desk has no
    access to reports at all."""
    report = sign(world)
    user = factories.make_user(role, email=f"{role}-staff@example.com")
    response = signed_in(app, user).get(f"/exam/review/reports/{report.id}.pdf")
    assert response.status_code == status
    assert downloads() == ([(user.id, str(report.id))] if status == 200 else [])
    if role in ("physician", "admin"):
        assert "No care relationship" in response.get_data(as_text=True)
    assert signed_in(app, world.physician).get(f"/exam/review/reports/{report.id}.pdf").status_code == 200


def test_a_superseded_version_is_for_staff_only(app, world):
    first = sign(world)
    second = reports.amend(world.actor(), first.id, "Typo in the summary", "Corrected summary", "")
    http = signed_in(app, world.client_user)
    assert http.get(f"/me/reports/{first.id}.pdf").status_code == 404
    assert http.get(f"/me/reports/{second.id}.pdf").status_code == 200
    page = http.get("/me/reports").get_data(as_text=True)
    assert f"/me/reports/{second.id}.pdf" in page and f"/me/reports/{first.id}.pdf" not in page
    assert signed_in(app, world.physician).get(f"/exam/review/reports/{first.id}.pdf").status_code == 200


def test_the_chief_physician_reviews_signs_and_watches_the_pdf_become_ready(app, world, monkeypatch):
    world.all_results()
    world.sign_stations()
    AdviceSnippet.create(key="GLU:H", text_en="Recheck fasting glucose within a week.", text_zh="一周内复查空腹血糖。")
    chief = world.chief_user()
    http = signed_in(app, chief)
    assert f"/exam/review/{world.appointment.id}" in http.get("/exam/review").get_data(as_text=True)

    page = http.get(f"/exam/review/{world.appointment.id}").get_data(as_text=True)
    assert page.index("Fasting glucose") < page.index("Item WBC")  # abnormal first
    assert "Recheck fasting glucose within a week." in page  # the advice library pre-fills the advice
    viewed = AuditEvent.get(AuditEvent.action == "results.viewed")
    assert viewed.object_id == str(world.appointment.id) and viewed.user_id == chief.id

    refused = http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "", "advice": "x"})
    assert refused.status_code == 422 and Report.select().count() == 0

    monkeypatch.setattr(reports, "queue_pdf", lambda report_id: None)  # as if the worker had not run yet
    signed = http.post(
        f"/exam/review/{world.appointment.id}/sign",
        data={"summary": "Glucose critical", "advice": "See a doctor", "observations": "C: Obese\n"},
    )
    assert signed.status_code == 303
    report = Report.get()
    assert report.status == "signed" and report.pdf_state == "pending"

    fragment = http.get(f"/exam/review/reports/{report.id}/status", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'hx-trigger="every 2s"' in body and "<html" not in body
    report_pdf.render_report_pdf(report.id)
    body = http.get(f"/exam/review/reports/{report.id}/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 2s" not in body and f"/exam/review/reports/{report.id}.pdf" in body
    page = http.get(f"/exam/review/{world.appointment.id}").get_data(as_text=True)
    assert "Amend this report" in page and "Obese" in page


def test_an_amendment_through_the_page_needs_a_reason(app, world):
    world.all_results()
    report = reports.sign(world.actor(world.chief_user()), world.appointment.id, "Summary", "Advice")
    glu = Result.get(Result.item == world.glu.id)
    http = signed_in(app, world.chief_user())  # the chief physician who signed it
    assert http.get(f"/exam/review/reports/{report.id}/amend").status_code == 200
    data = {"summary": "Glucose normal on re-test", "advice": "", f"value-{glu.id}": "5.3"}
    refused = http.post(f"/exam/review/reports/{report.id}/amend", data=data)
    assert refused.status_code == 422 and Report.select().count() == 1
    assert Result.get_by_id(glu.id).value_text == "25.1"
    done = http.post(
        f"/exam/review/reports/{report.id}/amend",
        data=dict(data, reason="Haemolysed sample", client_note="Glucose re-tested; value corrected."),
    )
    assert done.status_code == 303
    assert [(r.version, r.status) for r in Report.select().order_by(Report.version)] == [
        (1, "superseded"),
        (2, "published"),
    ]
    assert Result.get_by_id(glu.id).value_text == "5.3"
    detail = json.loads(AuditEvent.get(AuditEvent.action == "report.amended").detail)
    assert detail["changes"] == [
        {"item": "GLU", "before": "25.1", "before_flag": "HH", "after": "5.3", "after_flag": ""}
    ]


@pytest.mark.both_dbs
@pytest.mark.parametrize("damage", ["deleted", "changed"])
def test_a_pdf_lost_or_changed_on_disk_is_made_again_instead_of_served(app, world, outbox, damage):
    """After a database-only restore (or a disk swap) the report says ready but its file is gone or
    different: the client is told to come back in a moment, the render is owed, and the file returns."""
    report = Report.get_by_id(sign(world).id)
    path = report_pdf.file_for(report)
    original = path.read_bytes()
    if damage == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"%PDF-1.4 not the report")
    app.config["REDIS_URL"], app.config["JOBS_INLINE"] = "redis://127.0.0.1:1/0", False  # a worker will do it
    http = signed_in(app, world.client_user)
    answer = http.get(f"/me/reports/{report.id}.pdf")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    assert "being prepared" in answer.get_data(as_text=True)
    assert downloads() == []
    pending = Report.get_by_id(report.id)
    assert (pending.pdf_state, pending.pdf_checksum) == ("pending", "")
    assert http.get(f"/me/reports/{report.id}.pdf").status_code == 404  # not downloadable until made again

    from checkup.core import tasks

    emails = len(outbox())
    assert tasks.dispatch_due() == 1
    ready = Report.get_by_id(report.id)
    assert ready.pdf_state == "ready" and path.read_bytes() == original and ready.pdf_checksum
    assert len(outbox()) == emails  # published already: no second "report ready" email
    assert http.get(f"/me/reports/{report.id}.pdf").data == original
