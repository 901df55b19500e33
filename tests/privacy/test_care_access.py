"""Staff see clinical data through a care relationship; anyone else breaks the glass, with a reason, for a
limited time, and the admin reviews every such access."""

import datetime

import pytest

from checkup.models import AuditEvent, BreakGlassAccess, Consultation, FollowUp, Report
from checkup.models.base import utcnow
from checkup.services.access import care_access
from checkup.services.access.care_access import NoCareRelationship
from checkup.services.exam import reports
from tests import factories
from tests.followup_helpers import CareWorld


@pytest.fixture
def world(app):
    world = CareWorld()
    world.sign()
    # every follow-up has an owner: Anna; Bo has no link to the client at all
    FollowUp.update(assignee=world.anna.id).where(FollowUp.report == world.report.id).execute()
    from checkup.services.exam import report_pdf

    report_pdf.render_report_pdf(world.report.id)
    return world


def http_for(app, user):
    http = app.test_client()
    factories.sign_in_directly(http, user)
    return http


def pdf_url(world):
    return f"/exam/review/reports/{world.report.id}.pdf"


def downloads(user):
    return AuditEvent.select().where(AuditEvent.action == "report.downloaded", AuditEvent.user == user.id).count()


@pytest.mark.both_dbs
def test_an_unrelated_counselor_cannot_download_the_report_pdf(app, world):
    """The attack as it was done: a counselor with no follow-up, referral or consultation of the client
    asks for the PDF by its number."""
    answer = http_for(app, world.bo).get(pdf_url(world))
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert "No care relationship" in html and "Open the record" in html
    assert world.client.name not in html and "Glucose critical" not in html
    assert downloads(world.bo) == 0 and BreakGlassAccess.select().count() == 0


@pytest.mark.both_dbs
def test_related_staff_download_it(app, world):
    assert http_for(app, world.anna).get(pdf_url(world)).status_code == 200  # her follow-ups
    assert http_for(app, world.physician).get(pdf_url(world)).status_code == 200  # signed it
    assert downloads(world.anna) == downloads(world.physician) == 1


@pytest.mark.both_dbs
def test_breaking_the_glass_opens_the_record_for_a_while_and_is_reviewed_by_the_admin(app, world):
    http = http_for(app, world.bo)
    refused = http.post(f"/access/clients/{world.client.id}/break-glass", data={"reason": "  ", "next": pdf_url(world)})
    assert refused.status_code == 422 and "Say why you need to open this record." in refused.get_data(as_text=True)
    assert BreakGlassAccess.select().count() == 0

    opened = http.post(
        f"/access/clients/{world.client.id}/break-glass",
        data={"reason": "Anna is ill; the client phoned about her glucose", "next": pdf_url(world)},
    )
    assert opened.status_code == 303 and opened.headers["Location"].endswith(pdf_url(world))
    assert http.get(pdf_url(world)).status_code == 200 and downloads(world.bo) == 1
    [grant] = BreakGlassAccess.select()
    assert (grant.user_id, grant.client_id) == (world.bo.id, world.client.id)
    assert 29 <= (grant.expires_at - grant.created_at).total_seconds() / 60 <= 30
    [event] = AuditEvent.select().where(AuditEvent.action == "access.break_glass")
    assert event.user_id == world.bo.id and "glucose" in event.detail

    admin = http_for(app, world.admin)
    home = admin.get("/admin").get_data(as_text=True)
    assert "1 break-the-glass access" in home
    listing = admin.get("/admin/break-glass").get_data(as_text=True)
    assert "Anna is ill" in listing and world.bo.email in listing
    assert admin.post(f"/admin/break-glass/{grant.id}/review", data={"note": "Checked with Anna"}).status_code == 303
    assert BreakGlassAccess.get_by_id(grant.id).reviewed_by_id == world.admin.id
    assert AuditEvent.select().where(AuditEvent.action == "access.break_glass_reviewed").count() == 1
    assert "Checked with Anna" in admin.get("/admin/break-glass?state=reviewed").get_data(as_text=True)
    assert admin.post(f"/admin/break-glass/{grant.id}/review", data={}).status_code == 404  # reviewed already

    BreakGlassAccess.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    assert http.get(pdf_url(world)).status_code == 403  # the access has run out


@pytest.mark.both_dbs
def test_the_admin_administers_and_sees_no_clinical_content_by_default(app, world):
    admin = http_for(app, world.admin)
    follow_up = world.follow_ups()["A"]
    for url in (pdf_url(world), f"/care/followups/{follow_up.id}"):
        answer = admin.get(url)
        assert answer.status_code == 403 and "25.1" not in answer.get_data(as_text=True), url
    assert admin.get("/care/followups").status_code == 200  # the worklist: who owes what, by when
    care_access.break_glass(world.as_(world.admin), world.client.id, "Complaint from the client's family")
    assert admin.get(f"/care/followups/{follow_up.id}").status_code == 200


def test_a_scheduler_cannot_break_the_glass(app, world):
    desk = factories.make_user("scheduler", email="desk@example.com")
    assert (
        http_for(app, desk)
        .post(f"/access/clients/{world.client.id}/break-glass", data={"reason": "curious"})
        .status_code
        == 403
    )
    assert BreakGlassAccess.select().count() == 0


def test_breaking_the_glass_for_a_missing_client_is_a_404(app, world):
    assert (
        http_for(app, world.bo).post("/access/clients/987654/break-glass", data={"reason": "typo"}).status_code == 404
    )


def test_relationships_by_role(world):
    stranger = factories.make_user("physician", email="stranger@example.com")
    assert care_access.relationship(world.physician, world.client.id) == "signed_report"
    assert care_access.relationship(stranger, world.client.id) is None
    assert care_access.relationship(world.anna, world.client.id) == "follow_up"
    assert care_access.relationship(world.bo, world.client.id) is None
    assert care_access.relationship(world.chen, world.client.id) == "follow_up"  # heads chemistry (GLU)
    assert care_access.relationship(world.admin, world.client.id) is None
    Consultation.create(client=world.client, report=world.report, mode="phone", question="Is it serious?")
    assert care_access.relationship(world.bo, world.client.id) == "consultation"  # waiting to be taken
    with pytest.raises(NoCareRelationship):
        care_access.require(world.as_(world.admin), world.client.id)


def test_a_physician_relates_to_clients_examined_today(world):
    from checkup.models import Appointment

    stranger = factories.make_user("physician", email="station@example.com")
    Report.delete().execute()
    Appointment.update(status="checked_in").where(Appointment.id == world.appointment.id).execute()
    assert care_access.relationship(stranger, world.client.id) in ("exam_day", "review_queue")


def test_a_referral_page_view_is_audited(app, world):
    from checkup.services.care import referrals

    follow_up = world.follow_ups()["A"]
    referral = referrals.create(
        world.as_(world.anna), follow_up.id, "internal", world.chem.id, "", "", "Fasting glucose critically high"
    )
    assert http_for(app, world.anna).get(f"/care/referrals/{referral.id}").status_code == 200
    [event] = AuditEvent.select().where(AuditEvent.action == "referral.viewed")
    assert event.user_id == world.anna.id and str(world.client.id) in event.detail


def test_an_amended_report_keeps_the_signers_relationship(world):
    second = reports.amend(world.actor(), world.report.id, "Typo", "Corrected", "")
    assert second.signed_by_id == world.physician.id
    assert care_access.relationship(world.physician, world.client.id) == "signed_report"


# --- the relationship dimension of the permission table ---------------------------------------------
# Every route that names a client's clinical object, for every staff role, with a related and an
# unrelated account: related → the page; unrelated → the break-the-glass form (403); the desk's role is
# refused whatever the relationship.
CLINICAL_ROUTES = {
    "report_files.download": lambda w: f"/exam/review/reports/{w.report.id}.pdf",
    "care_followups.detail": lambda w: f"/care/followups/{w.follow_ups()['A'].id}",
    "care_referrals.detail": lambda w: f"/care/referrals/{w.referral.id}",
    "care_referrals.letter": lambda w: f"/care/referrals/{w.referral.id}/letter.pdf",
    "care_consultations.detail": lambda w: f"/care/consultations/{w.consultation.id}",
    "exam.result_form": lambda w: f"/exam/appointments/{w.appointment.id}/stations/{w.liver.department.code}",
}
ROUTE_ROLES = {
    "report_files.download": {"physician", "counselor", "admin"},
    "care_followups.detail": {"counselor", "admin"},
    "care_referrals.detail": {"counselor", "admin"},
    "care_referrals.letter": {"counselor", "admin"},
    "care_consultations.detail": {"counselor", "admin"},
    "exam.result_form": {"physician"},
}


@pytest.fixture
def related_world(world):
    from checkup.services.care import referrals

    world.referral = referrals.create(
        world.as_(world.anna), world.follow_ups()["A"].id, "internal", world.chem.id, "", "", "Glucose"
    )
    world.consultation = Consultation.create(
        client=world.client,
        report=world.report,
        mode="phone",
        question="Is it serious?",
        status="scheduled",
        handled_by=world.anna,
    )
    granted_admin = factories.make_user("admin", email="granted-admin@example.com")
    care_access.break_glass(world.as_(granted_admin), world.client.id, "Complaint")
    world.accounts = {
        "physician": (world.physician, factories.make_user("physician", email="other-doc@example.com")),
        "counselor": (world.anna, world.bo),
        "admin": (granted_admin, world.admin),
        "scheduler": (
            factories.make_user("scheduler", email="desk1@example.com"),
            factories.make_user("scheduler", email="desk2@example.com"),
        ),
    }
    return world


def test_the_clinical_routes_are_all_in_this_table(app):
    from tests.web.test_permissions import RULES

    assert set(CLINICAL_ROUTES) <= set(RULES)


@pytest.mark.parametrize("endpoint", sorted(CLINICAL_ROUTES))
@pytest.mark.parametrize("role", ["physician", "counselor", "admin", "scheduler"])
def test_route_x_role_x_relationship(app, related_world, endpoint, role):
    url = CLINICAL_ROUTES[endpoint](related_world)
    related, unrelated = related_world.accounts[role]
    allowed = role in ROUTE_ROLES[endpoint]
    for user, expected in ((related, 200 if allowed else 403), (unrelated, 403)):
        answer = http_for(app, user).get(url)
        assert answer.status_code == expected, (endpoint, role, user.email, answer.status_code)
        if expected == 403 and allowed:
            assert "No care relationship" in answer.get_data(as_text=True)
