"""Consultations: a client asks about their own published report (another's is a 404 like a missing one),
client care schedules it with a physician in the future, completes it with notes kept on the client's record,
and every step is audited."""

import datetime
import json

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, Consultation, User
from checkup.services.care import consultations
from tests import factories
from tests.report_helpers import ReportWorld
from tests.survey_helpers import published_report

pytestmark = pytest.mark.both_dbs

ASK = {"mode": "phone", "preferred_times": "Weekday mornings", "question": "Is my glucose a worry?"}
NOON = datetime.time(12, 0)


@pytest.fixture
def world(app, monkeypatch):
    world = ReportWorld()
    world.report = published_report(world)
    world.counselor = factories.make_user("counselor", name="Counselor Zhao")
    world.today = clock.today()
    frozen = clock.local(world.today, NOON)
    monkeypatch.setattr(clock, "now", lambda: frozen)
    return world


def other_client(world):
    user = factories.make_user("client", email="li@example.com", name="李雷")
    return user, published_report(world, client=user.client)


def ask(world, **changes):
    values = dict(ASK, **changes)
    return consultations.request_consultation(
        Actor(world.client_user),
        world.client.id,
        world.report.id,
        values["mode"],
        values["preferred_times"],
        values["question"],
    )


def tomorrow_at(world, hour):
    return f"{world.today + datetime.timedelta(days=1)}T{hour:02d}:00"


def notices(outbox):
    return [m for m in outbox() if m["Subject"] == "Your consultation is scheduled"]


def actions():
    return [
        e.action
        for e in AuditEvent.select().where(AuditEvent.action.startswith("consultation.")).order_by(AuditEvent.id)
    ]


# --- the client --------------------------------------------------------------------------------------


def test_a_client_asks_about_their_own_report_from_their_page(app, client, world):
    factories.sign_in_directly(client, world.client_user)
    page = client.get("/me/consultations").get_data(as_text=True)
    assert world.report.appointment.exam_code in page and 'name="preferred_times"' in page
    assert "<legend>How would you like to talk?</legend>" in page
    response = client.post("/me/consultations", data=dict(ASK, report=str(world.report.id)))
    assert response.status_code == 303
    consultation = Consultation.get()
    assert (consultation.client_id, consultation.report_id, consultation.status, consultation.mode) == (
        world.client.id,
        world.report.id,
        "requested",
        "phone",
    )
    assert consultation.question == "Is my glucose a worry?"
    listed = client.get("/me/consultations").get_data(as_text=True)
    assert "Requested" in listed and "Cancel" in listed
    assert actions() == ["consultation.requested"]
    assert "/me/consultations" in client.get("/me/reports").get_data(as_text=True)  # linked from the reports


def test_another_clients_report_is_a_404_exactly_like_a_missing_one(app, client, world):
    _other, theirs = other_client(world)
    factories.sign_in_directly(client, world.client_user)
    foreign = client.post("/me/consultations", data=dict(ASK, report=str(theirs.id)))
    missing = client.post("/me/consultations", data=dict(ASK, report="999999"))
    assert foreign.status_code == missing.status_code == 404
    assert factories.page_shape(foreign) == factories.page_shape(missing)
    assert client.post("/me/consultations", data=dict(ASK, report="abc")).status_code == 404
    assert client.post("/me/consultations", data=dict(ASK, report="9" * 30)).status_code == 404
    assert Consultation.select().count() == 0
    with pytest.raises(NotFound):
        consultations.request_consultation(Actor(world.client_user), world.client.id, theirs.id, "phone", "x", "y")


def test_an_unpublished_report_cannot_be_discussed_yet(app, world):
    signed_only = published_report(world, status="signed")
    with pytest.raises(NotFound):
        consultations.request_consultation(Actor(world.client_user), world.client.id, signed_only.id, "phone", "x", "y")


@pytest.mark.parametrize(
    "field,value",
    [
        ("mode", "video"),
        ("mode", ""),
        ("preferred_times", "  "),
        ("preferred_times", "x" * 301),
        ("question", ""),
        ("question", "q" * 2001),
    ],
)
def test_a_request_needs_a_mode_times_and_a_question(app, client, world, field, value):
    factories.sign_in_directly(client, world.client_user)
    response = client.post("/me/consultations", data=dict(ASK, report=str(world.report.id), **{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert Consultation.select().count() == 0


def test_no_report_chosen_is_an_inline_error_and_one_open_request_per_report(app, client, world):
    factories.sign_in_directly(client, world.client_user)
    response = client.post("/me/consultations", data=dict(ASK, report=""))
    assert response.status_code == 422 and 'id="report-error"' in response.get_data(as_text=True)
    ask(world)
    again = client.post("/me/consultations", data=dict(ASK, report=str(world.report.id)))
    assert again.status_code == 409 and "already have an open consultation" in again.get_data(as_text=True)
    assert Consultation.select().count() == 1


def test_a_client_cancels_only_their_own_open_request(app, client, world):
    mine = ask(world)
    other_user, theirs = other_client(world)
    other = consultations.request_consultation(
        Actor(other_user), other_user.client_id, theirs.id, "phone", "any", "Question"
    )
    factories.sign_in_directly(client, world.client_user)
    assert client.post(f"/me/consultations/{other.id}/cancel").status_code == 404
    assert Consultation.get_by_id(other.id).status == "requested"
    assert client.post(f"/me/consultations/{mine.id}/cancel").status_code == 303
    assert Consultation.get_by_id(mine.id).status == "cancelled"
    response = client.post(f"/me/consultations/{mine.id}/cancel", follow_redirects=True)
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert actions().count("consultation.cancelled_by_client") == 1


# --- client care --------------------------------------------------------------------------------------


def test_scheduling_needs_a_physician_and_a_future_time_in_center_time(app, world, outbox):
    consultation = ask(world)
    actor = Actor(world.counselor)
    bad = [
        (world.counselor.id, tomorrow_at(world, 10), "physician"),  # not a physician
        ("abc", tomorrow_at(world, 10), "physician"),
        (2**40, tomorrow_at(world, 10), "physician"),
        (world.physician.id, f"{world.today}T11:00", "scheduled_at"),  # an hour ago
        (world.physician.id, "2025-13-01T10:00", "scheduled_at"),
        (world.physician.id, "soon", "scheduled_at"),
        (world.physician.id, "99999-01-01T10:00", "scheduled_at"),
        (world.physician.id, f"{world.today + datetime.timedelta(days=400)}T10:00", "scheduled_at"),
    ]
    for physician_id, when, field in bad:
        with pytest.raises(ValidationError) as invalid:
            consultations.schedule(actor, consultation.id, physician_id, when)
        assert field in invalid.value.field_errors, (physician_id, when)
    User.update(is_active=False).where(User.id == world.physician.id).execute()
    with pytest.raises(ValidationError):
        consultations.schedule(actor, consultation.id, world.physician.id, tomorrow_at(world, 10))
    User.update(is_active=True).where(User.id == world.physician.id).execute()
    assert Consultation.get_by_id(consultation.id).status == "requested" and notices(outbox) == []

    scheduled = consultations.schedule(actor, consultation.id, world.physician.id, tomorrow_at(world, 10))
    assert (scheduled.status, scheduled.physician_id, scheduled.handled_by_id) == (
        "scheduled",
        world.physician.id,
        world.counselor.id,
    )
    local = clock.local(world.today + datetime.timedelta(days=1), datetime.time(10, 0))
    assert scheduled.scheduled_at == local.astimezone(datetime.UTC).replace(tzinfo=None)  # stored UTC
    [mail] = notices(outbox)
    assert mail["To"] == world.client_user.email
    assert f"{world.today + datetime.timedelta(days=1)} 10:00" in mail.get_content()
    assert "李医生" in mail.get_content() and "By phone" in mail.get_content()

    moved = consultations.schedule(actor, consultation.id, world.physician.id, tomorrow_at(world, 15))
    assert clock.from_utc(moved.scheduled_at).hour == 15 and len(notices(outbox)) == 2
    detail = json.loads(
        AuditEvent.select()
        .where(AuditEvent.action == "consultation.scheduled")
        .order_by(AuditEvent.id.desc())
        .first()
        .detail
    )
    assert detail["moved"] is True and detail["physician"] == world.physician.id


def test_the_notice_goes_out_in_the_clients_language(app, world, outbox):
    User.update(locale="zh").where(User.id == world.client_user.id).execute()
    consultation = ask(world)
    consultations.schedule(Actor(world.counselor), consultation.id, world.physician.id, tomorrow_at(world, 9))
    [mail] = [
        m
        for m in outbox()
        if m["To"] == world.client_user.email and m.get_content_type() == "text/plain" and "您好" in m.get_content()
    ]  # the subject waits for its translation; the greeting has one
    assert f"{world.today + datetime.timedelta(days=1)} 09:00" in mail.get_content()


def test_completing_needs_a_scheduled_consultation_and_notes(app, world):
    consultation = ask(world)
    actor = Actor(world.counselor)
    with pytest.raises(Conflict):
        consultations.complete(actor, consultation.id, "Talked it through")  # not scheduled yet
    consultations.schedule(actor, consultation.id, world.physician.id, tomorrow_at(world, 10))
    with pytest.raises(ValidationError) as invalid:
        consultations.complete(actor, consultation.id, "   ")
    assert "notes" in invalid.value.field_errors
    done = consultations.complete(actor, consultation.id, "Explained the glucose result; re-test in 3 months.")
    assert (done.status, done.notes) == ("completed", "Explained the glucose result; re-test in 3 months.")
    with pytest.raises(Conflict):
        consultations.schedule(actor, consultation.id, world.physician.id, tomorrow_at(world, 11))
    with pytest.raises(Conflict):
        consultations.cancel_by_client(Actor(world.client_user), world.client.id, consultation.id)
    with pytest.raises(NotFound):
        consultations.complete(actor, 999999, "x")
    assert actions() == ["consultation.requested", "consultation.scheduled", "consultation.completed"]


def test_staff_cancel_needs_a_reason_and_keeps_it_in_the_notes(app, world):
    consultation = ask(world)
    with pytest.raises(ValidationError):
        consultations.cancel_by_staff(Actor(world.counselor), consultation.id, "")
    cancelled = consultations.cancel_by_staff(Actor(world.counselor), consultation.id, "Client asked by phone")
    assert cancelled.status == "cancelled" and "Client asked by phone" in cancelled.notes
    assert (
        json.loads(AuditEvent.get(AuditEvent.action == "consultation.cancelled").detail)["reason"]
        == "Client asked by phone"
    )


def test_the_staff_pages_schedule_complete_and_show_errors_inline(app, client, world):
    consultation = ask(world)
    factories.sign_in_directly(client, world.counselor)
    page = client.get(f"/care/consultations/{consultation.id}")
    assert page.status_code == 200 and "Is my glucose a worry?" in page.get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "consultation.viewed").count() == 1
    bad = client.post(
        f"/care/consultations/{consultation.id}/schedule",
        data={"physician": str(world.physician.id), "scheduled_at": f"{world.today}T08:00"},
    )
    assert bad.status_code == 422 and 'id="scheduled_at-error"' in bad.get_data(as_text=True)
    assert Consultation.get_by_id(consultation.id).status == "requested"
    good = client.post(
        f"/care/consultations/{consultation.id}/schedule",
        data={"physician": str(world.physician.id), "scheduled_at": tomorrow_at(world, 10)},
    )
    assert good.status_code == 303
    done = client.post(f"/care/consultations/{consultation.id}/complete", data={"notes": "All clear"})
    assert done.status_code == 303 and Consultation.get_by_id(consultation.id).notes == "All clear"
    assert client.post("/care/consultations/999999/complete", data={"notes": "x"}).status_code == 404


def test_the_staff_list_filters_by_status_in_a_fixed_number_of_queries(app, client, world, count_queries):
    first = ask(world)
    factories.sign_in_directly(client, world.counselor)
    with count_queries() as few:
        assert client.get("/care/consultations").status_code == 200
    for n in range(6):
        extra = published_report(world)
        consultations.request_consultation(Actor(), world.client.id, extra.id, "in_person", "Any time", f"Q{n}")
    consultations.schedule(Actor(world.counselor), first.id, world.physician.id, tomorrow_at(world, 10))
    with count_queries() as many:
        html = client.get("/care/consultations").get_data(as_text=True)
    assert many.count == few.count and html.count("王芳") == 7
    scheduled = client.get("/care/consultations?status=scheduled").get_data(as_text=True)
    assert scheduled.count("王芳") == 1 and "李医生" in scheduled
    assert client.get("/care/consultations?status=nonsense").status_code == 200
    fragment = client.get("/care/consultations?status=requested", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and fragment.get_data(as_text=True).count("王芳") == 6


def test_notes_are_on_the_client_record_for_client_care_and_the_view_is_audited(app, client, world):
    consultation = ask(world)
    consultations.schedule(Actor(world.counselor), consultation.id, world.physician.id, tomorrow_at(world, 10))
    consultations.complete(Actor(world.counselor), consultation.id, "Advised a repeat fasting glucose.")
    factories.sign_in_directly(client, world.counselor)
    html = client.get(f"/directory/clients/{world.client.id}").get_data(as_text=True)
    assert "Advised a repeat fasting glucose." in html and 'id="consultations-heading"' in html
    [event] = AuditEvent.select().where(AuditEvent.action == "consultation.notes_viewed")
    assert (event.user_id, json.loads(event.detail)["client"]) == (world.counselor.id, world.client.id)
    factories.sign_in_directly(client, factories.make_user("scheduler"))
    front_desk = client.get(f"/directory/clients/{world.client.id}").get_data(as_text=True)
    assert "Advised a repeat fasting glucose." not in front_desk and "consultations-heading" not in front_desk
    assert AuditEvent.select().where(AuditEvent.action == "consultation.notes_viewed").count() == 1


def test_a_physician_sees_only_the_consultations_scheduled_with_them(app, client, world):
    mine = ask(world)
    other_doctor = factories.make_user("physician", name="Dr Other")
    extra = published_report(world)
    theirs = consultations.request_consultation(Actor(), world.client.id, extra.id, "phone", "Any", "Other question")
    waiting = consultations.request_consultation(
        Actor(), world.client.id, published_report(world).id, "phone", "Any", "Not yet scheduled"
    )
    consultations.schedule(Actor(world.counselor), mine.id, world.physician.id, tomorrow_at(world, 10))
    consultations.schedule(Actor(world.counselor), theirs.id, other_doctor.id, tomorrow_at(world, 11))
    factories.sign_in_directly(client, world.physician)
    html = client.get("/exam/consultations").get_data(as_text=True)
    assert "Is my glucose a worry?" in html and "Other question" not in html and "Not yet scheduled" not in html
    assert "<form" not in html.split("<main", 1)[1]  # read-only
    assert waiting.status == "requested"
    assert AuditEvent.select().where(AuditEvent.action == "consultation.list_viewed").count() == 1
