"""Every screen or file that shows a result, finding, advice or report writes an audit event.

The world seeds a distinctive marker into a text result, the summary, the advice, a physician's
finding, a referral's reason and a consultation's question. Every GET route is then opened as each
staff member with a care relationship (and as the admin after breaking the glass): whatever answers
with the marker in its HTML or PDF text must have written an audit event during that very request.
"""

import io

import pypdf
import pytest

from checkup.models import Appointment, AuditEvent, Consultation, FollowUp
from checkup.models.appointments import CHECKED_IN
from checkup.services.access import care_access
from checkup.services.care import referrals
from checkup.services.exam import report_pdf, reports
from tests import factories
from tests.followup_helpers import CareWorld

MARKER = "ZQX7731"


def _text(response):
    if response.mimetype == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    if response.mimetype in ("text/html", "text/plain", "application/json"):
        return response.get_data(as_text=True)
    return ""


@pytest.fixture
def world(app):
    world = CareWorld()
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 25.1, flag="HH", low=3.9, high=6.1)
    world.result(world.alt, 52, flag="H", low=9, high=50)
    world.result(world.liver, value_text=f"Fatty liver {MARKER}", flag="A")
    world.report = reports.sign(
        world.actor(),
        world.appointment.id,
        f"Summary {MARKER}",
        f"Advice {MARKER}",
        findings=[f"Observation {MARKER}"],
        queue_job=False,
    )
    report_pdf.render_report_pdf(world.report.id)
    FollowUp.update(assignee=world.anna.id).where(FollowUp.report == world.report.id).execute()
    follow_up = world.follow_ups()["A"]
    world.referral = referrals.create(
        world.as_(world.anna), follow_up.id, "internal", world.chem.id, "", "", f"Reason {MARKER}"
    )
    world.consultation = Consultation.create(
        client=world.client, report=world.report, mode="phone", question=f"Question {MARKER}", handled_by=world.anna
    )
    # a second client at the stations today, with a result entered and none signed yet
    other = factories.make_client(name="Zhao Station", email="station@example.com")
    from checkup.core.audit import Actor
    from checkup.services.booking import booking

    world.today = booking.book(Actor(), other.id, world.center.slot.id, "FULL")
    Appointment.update(status=CHECKED_IN).where(Appointment.id == world.today.id).execute()
    world.result(world.liver, value_text=f"Station {MARKER}", flag="A", appointment=world.today)
    return world


def _values(world):
    follow_up = world.follow_ups()["B"]  # the liver ultrasound's: its finding row carries the marker
    return {
        "report_id": world.report.id,
        "appointment_id": world.appointment.id,
        "client_id": world.client.id,
        "follow_up_id": follow_up.id,
        "referral_id": world.referral.id,
        "consultation_id": world.consultation.id,
        "department_code": world.liver.department.code,
        "day": world.center.day.isoformat(),
        "user_id": world.physician.id,
        "department_id": world.chem.id,
        "token": "no-such-token",
        "code": "FULL",
        "item_id": world.liver.id,
        "package_id": world.package.id,
        "slot_id": world.center.slot.id,
        "filename": "css/app.css",
    }


def _get_routes(app, values):
    from flask import url_for

    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout"):
                continue
            args = {name: values.get(name, 999999) for name in rule.arguments}
            try:
                yield rule.endpoint, url_for(rule.endpoint, **args)
            except Exception:  # a converter refused the stand-in value: nothing to open
                continue


@pytest.mark.both_dbs
def test_every_screen_showing_clinical_content_is_audited(app, world):
    care_access.break_glass(world.as_(world.admin), world.client.id, "Audit walk")
    # the review pages are a chief physician's; a report another physician signed opens to them once they break
    # the glass (tests/exam/test_review_access.py)
    chief = factories.make_user("chief", email="chief-walk@example.com")
    care_access.break_glass(world.as_(chief), world.client.id, "Audit walk")
    staff = {
        "physician": world.physician,
        "chief": chief,
        "counselor": world.anna,
        "admin": world.admin,
        "scheduler": factories.make_user("scheduler", email="desk-walk@example.com"),
    }
    unaudited, shown = [], set()
    for role, user in staff.items():
        http = app.test_client()
        factories.sign_in_directly(http, user)
        for endpoint, url in _get_routes(app, _values(world)):
            before = AuditEvent.select().count()
            response = http.get(url)
            if response.status_code != 200 or MARKER not in _text(response):
                continue
            shown.add(endpoint)
            if AuditEvent.select().count() == before:
                unaudited.append(f"{role} {url} ({endpoint})")
    assert unaudited == []
    # the walk reached the screens it is about
    assert {
        "report_files.download",
        "care_followups.detail",
        "care_referrals.detail",
        "review.appointment",
        "care_consultations.detail",
    } <= shown, sorted(shown)


def test_the_scheduler_sees_no_clinical_content_anywhere(app, world):
    desk = factories.make_user("scheduler", email="desk-only@example.com")
    http = app.test_client()
    factories.sign_in_directly(http, desk)
    leaked = [
        url
        for endpoint, url in _get_routes(app, _values(world))
        if (answer := http.get(url)).status_code == 200 and MARKER in _text(answer)
    ]
    assert leaked == []
