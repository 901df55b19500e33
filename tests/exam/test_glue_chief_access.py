"""A chief-physician-only account (CHIEF without PHYSICIAN) reads what it reviews and signs — the PDF, the
station conclusions — through the physicians' care relationships, audited and shown to the client; with no
relationship it meets the break-the-glass form exactly as a physician does."""

import pytest

from checkup.models import AuditEvent, Report
from checkup.services.access import access_log, care_access
from checkup.services.exam import chief_review
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld


@pytest.fixture
def world(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    return world


def signed_in(app, user):
    http = app.test_client()
    sign_in_directly(http, user)
    return http


def main(response):
    html = factories.page_shape(response)
    return html[html.index("<main") : html.index("</main>")]


def downloads(user):
    return AuditEvent.select().where(AuditEvent.action == "report.downloaded", AuditEvent.user == user.id).count()


@pytest.mark.both_dbs
def test_a_chief_only_account_opens_the_conclusions_it_reviews_and_downloads_the_pdf_it_signed(app, world):
    chief = world.chief_user()
    assert chief.has_role("chief") and not chief.has_role("physician")
    http = signed_in(app, chief)
    assert care_access.relationship(chief, world.client.id) == "review_queue"  # waiting for its signature
    box = http.get(f"/exam/appointments/{world.appointment.id}/stations/US/conclusion")
    assert box.status_code == 200 and "未见明显异常" in box.get_data(as_text=True)

    report = chief_review.sign(world.actor(chief), world.appointment.id, "Summary", "Advice")
    assert care_access.relationship(chief, world.client.id) == "signed_report"
    page = http.get(f"/exam/review/{world.appointment.id}").get_data(as_text=True)
    assert f"/exam/review/reports/{report.id}.pdf" in page
    pdf = http.get(f"/exam/review/reports/{report.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert downloads(chief) == 1

    # the client sees who read their record: the chief physician's role among the accesses
    accesses = access_log.all_staff_accesses(world.client.id)
    assert any(a.user_id == chief.id and a.roles == ("chief",) for a in accesses)


@pytest.mark.both_dbs
def test_a_chief_with_no_relationship_gets_the_break_the_glass_form_like_a_physician(app, world):
    report = chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "Summary", "Advice")
    other_chief = factories.make_user("chief", email="chief2@example.com", name="钱主任")
    physician = factories.make_user("physician", email="doc2@example.com")
    path = f"/exam/review/reports/{report.id}.pdf"
    as_chief = signed_in(app, other_chief).get(path)
    as_physician = signed_in(app, physician).get(path)
    assert as_chief.status_code == as_physician.status_code == 403
    assert "No care relationship" in as_chief.get_data(as_text=True)
    assert main(as_chief) == main(as_physician)  # the same answer; only the menu differs by role
    missing = signed_in(app, other_chief).get("/exam/review/reports/987654.pdf")
    assert missing.status_code == 404  # a report that does not exist is not found, for everyone
    assert downloads(other_chief) == 0
    box = signed_in(app, other_chief).get(f"/exam/appointments/{world.appointment.id}/stations/US/conclusion")
    assert box.status_code == 403

    # breaking the glass (a reason, audited) opens it for a while
    http = signed_in(app, other_chief)
    opened = http.post(
        f"/access/clients/{world.client.id}/break-glass", data={"reason": "Second opinion asked by the director"}
    )
    assert opened.status_code == 303
    assert http.get(path).status_code == 200 and downloads(other_chief) == 1
    assert (
        AuditEvent.select().where(AuditEvent.action == "access.break_glass", AuditEvent.user == other_chief.id).count()
    )
    assert Report.get_by_id(report.id).signed_by_id == world.chief_user().id
