"""A move or a cancellation emails the client the event again: same UID as the booking's invitation,
SEQUENCE one higher each change (kept on the appointment), METHOD:REQUEST for a move and METHOD:CANCEL for
a cancellation. The email is owed work: its task row is written in the change's own transaction."""

import datetime

import pytest
from icalendar import Calendar

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, Message, Slot, Task
from checkup.services.booking import booking
from checkup.services.mail import booking_mail
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    yield Center()
    assert_counters_consistent()


def event_of(mail):
    """(METHOD, the VEVENT) of the mail's checkup.ics."""
    [part] = [p for p in mail.iter_attachments() if p.get_filename() == "checkup.ics"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def to_client(outbox, email):
    return [m for m in outbox() if m["To"] == email]


def later_slot(center, days):
    return Slot.create(
        day=center.day + datetime.timedelta(days=days),
        start_time=datetime.time(10, 0),
        end_time=datetime.time(11, 0),
        capacity=5,
    )


def test_each_move_sends_the_same_event_one_sequence_higher_and_a_cancel_cancels_it(center, outbox):
    person = factories.make_client(email="lin@example.com", birth_date=datetime.date(1980, 1, 1))
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    [confirmation] = to_client(outbox, "lin@example.com")
    method, invitation = event_of(confirmation)
    assert (method, int(invitation["SEQUENCE"])) == ("REQUEST", 0)
    uid = str(invitation["UID"])
    assert uid == f"{appointment.exam_code}@checkup-portal"
    assert "lin@example.com" in str(invitation["ATTENDEE"]) and str(invitation["ORGANIZER"]).startswith("mailto:")

    first_move = later_slot(center, 1)
    booking.reschedule(Actor(), appointment.id, first_move.id, client_id=person.id)
    second_move = later_slot(center, 2)
    booking.reschedule(Actor(), appointment.id, second_move.id, client_id=person.id)
    booking.cancel(Actor(), appointment.id, "Travelling", client_id=person.id)

    mails = to_client(outbox, "lin@example.com")
    assert [m["Subject"] for m in mails] == [
        f"Your checkup on {center.day.isoformat()} is booked",
        f"Your checkup has moved to {first_move.day.isoformat()}",
        f"Your checkup has moved to {second_move.day.isoformat()}",
        f"Your checkup on {second_move.day.isoformat()} is cancelled",
    ]
    events = [event_of(m) for m in mails[1:]]
    assert [(method, str(e["UID"]), int(e["SEQUENCE"])) for method, e in events] == [
        ("REQUEST", uid, 1),
        ("REQUEST", uid, 2),
        ("CANCEL", uid, 3),
    ]
    moved = events[0][1]
    assert moved.decoded("DTSTART").date() == first_move.day  # 10:00 in Shanghai is the same day in UTC
    assert str(events[2][1]["STATUS"]) == "CANCELLED"
    assert appointment.exam_code in mails[1].get_body(("plain",)).get_content()

    stored = Appointment.get_by_id(appointment.id)
    assert (stored.ics_sequence, stored.exam_code) == (3, appointment.exam_code)
    kinds = [m.kind for m in Message.select().where(Message.client == person.id).order_by(Message.id)]
    assert kinds == ["booking_confirmation", "booking_moved", "booking_moved", "booking_cancelled"]


def test_a_refused_move_owes_no_email_and_leaves_the_sequence(center):
    person = factories.make_client(email="wang@example.com", birth_date=datetime.date(1980, 1, 1))
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    full = later_slot(center, 1)
    Slot.update(capacity=0).where(Slot.id == full.id).execute()
    with pytest.raises(booking.PlaceTaken):
        booking.reschedule(Actor(), appointment.id, full.id, client_id=person.id)
    with pytest.raises(ValidationError):
        booking.cancel(Actor(), appointment.id, "  ", client_id=person.id)
    assert Appointment.get_by_id(appointment.id).ics_sequence == 0
    assert (
        not Task.select().where(Task.kind.in_(["mail.appointment_rescheduled", "mail.appointment_cancelled"])).exists()
    )


def test_the_change_and_its_email_commit_together(center):
    """The task row is written inside the move's transaction: the move is undone, so is the email owed."""
    person = factories.make_client(email="li@example.com", birth_date=datetime.date(1980, 1, 1))
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    target = later_slot(center, 1)
    with pytest.raises(RuntimeError):
        with booking.db.atomic():
            booking.reschedule(Actor(), appointment.id, target.id, client_id=person.id)
            assert Task.select().where(Task.kind == "mail.appointment_rescheduled").count() == 1
            raise RuntimeError("the surrounding work failed")
    assert Appointment.get_by_id(appointment.id).ics_sequence == 0
    assert not Task.select().where(Task.kind == "mail.appointment_rescheduled").exists()
    assert Slot.get_by_id(target.id).booked == 0


def test_a_change_overtaken_by_a_later_one_sends_nothing(center, outbox):
    person = factories.make_client(email="zhao@example.com", birth_date=datetime.date(1980, 1, 1))
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    booking.reschedule(Actor(), appointment.id, later_slot(center, 1).id, client_id=person.id)
    booking.cancel(Actor(), appointment.id, "Changed my mind", client_id=person.id)
    before = len(outbox())
    assert booking_mail.send_rescheduled(appointment.id, 1) is None  # a retry of the move's email, too late
    assert len(outbox()) == before
    assert Message.select().where(Message.client == person.id, Message.kind == "booking_moved").count() == 1
