"""A prepaid booking released unpaid owes its client an email, written in the release's own transaction: what
happened, that nothing is owed, the calendar event cancelled and how to book again — in their language."""

import datetime
import re

import pytest

from checkup.core import tasks
from checkup.core.audit import Actor
from checkup.models import Appointment, Message, Task, User
from checkup.models.appointments import BOOKED, CANCELLED
from checkup.models.base import utcnow
from checkup.models.money import HOLD_CLOSED, HOLD_EXPIRED, PaymentHold
from checkup.services.booking import booking, payment_holds
from checkup.services.mail import booking_mail
from checkup.services.money import hold_mail
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def _prepaid(app, locale="en", email="sun@example.com"):
    """An online booking of a client with an account reading ``locale``, held for prepayment."""
    app.config["PAYMENT_POLICY"] = "prepay"
    center = Center()
    user = factories.make_user("client", email=email, client=factories.make_client(name="孙丽", email=email))
    User.update(locale=locale).where(User.id == user.id).execute()
    return booking.book(Actor(user), user.client_id, center.slot.id, "BASIC")


def _hold_runs_out(appointment_id):
    """The minutes go by: the hold (booked and expiring) and its task move into the past."""
    past = utcnow() - datetime.timedelta(minutes=1)
    hold = PaymentHold.get(PaymentHold.appointment == appointment_id)
    PaymentHold.update(created_at=past - (hold.expires_at - hold.created_at), expires_at=past).where(
        PaymentHold.id == hold.id
    ).execute()
    task = Task.get(Task.dedupe_key == f"payment-hold:{appointment_id}")
    Task.update(next_attempt_at=past).where(Task.id == task.id).execute()
    return task


def test_the_release_owes_the_client_an_email_with_the_event_cancelled(app, outbox):
    appointment = _prepaid(app)
    assert tasks.run(_hold_runs_out(appointment.id).id) == "done"

    released = Appointment.get_by_id(appointment.id)
    assert released.status == CANCELLED and released.ics_sequence == appointment.ics_sequence + 1
    [owed] = Task.select().where(Task.kind == payment_holds.RELEASED_MAIL)
    assert owed.state == "done"
    [message] = Message.select().where(Message.kind == "booking_cancelled")
    assert (message.email, message.client_id, message.status) == ("sun@example.com", appointment.client_id, "sent")

    mail = outbox()[-1]
    day = appointment.day.isoformat()
    assert mail["Subject"] == f"Your booking for {day} was released: it was not paid in time"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"the checkup on {day} at " in text and f"(exam code {appointment.exam_code}) for 30 minutes" in text
    assert "No payment reached us in that time, so the booking was released" in text
    assert "You owe nothing for this booking." in text
    assert "/me/packages/BASIC" in text  # book the same package again
    [event] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    calendar = event.get_content()
    calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
    assert "METHOD:CANCEL" in calendar and f"SEQUENCE:{released.ics_sequence}" in calendar


def test_the_email_is_owed_in_the_release_transaction_or_not_at_all(app, monkeypatch):
    appointment = _prepaid(app)
    _hold_runs_out(appointment.id)

    def refused(appointment, late):
        raise RuntimeError("the ledger refused")

    monkeypatch.setitem(payment_holds.ON_CANCELLED, "refuses", refused)
    with pytest.raises(RuntimeError):
        payment_holds.expire_hold(appointment.id)
    assert Appointment.get_by_id(appointment.id).status == BOOKED
    assert Task.select().where(Task.kind == payment_holds.RELEASED_MAIL).count() == 0


def test_a_booking_cancelled_while_held_is_not_called_released(app):
    appointment = _prepaid(app)
    booking.cancel(Actor(), appointment.id, "改主意了", client_id=appointment.client_id)
    hold = PaymentHold.get(PaymentHold.appointment == appointment.id)
    assert hold.state == HOLD_CLOSED and not hold.released
    assert payment_holds.expire_hold(appointment.id) is False
    assert Task.select().where(Task.kind == payment_holds.RELEASED_MAIL).count() == 0


def _rendered(appointment_id, locale):
    details, _items = booking_mail.appointment_details(appointment_id)
    return hold_mail.render(details, payment_holds.hold_of(appointment_id), locale)


def test_the_release_email_in_english_and_in_chinese(app):
    appointment = _prepaid(app, locale="zh")
    tasks.run(_hold_runs_out(appointment.id).id)
    hold = PaymentHold.get(PaymentHold.appointment == appointment.id)
    assert hold.state == HOLD_EXPIRED and hold.released

    subject, text = _rendered(appointment.id, "en")
    assert "was not paid in time" in subject
    assert "for you to pay ¥100.00 online" in text and "call us at 400-820-1234" in text

    subject, text = _rendered(appointment.id, "zh")
    assert appointment.day.isoformat() in subject and "¥100.00" in text and "30" in text
    assert "孙丽" in text and "400-820-1234" in text
    # nothing English is left: only the exam code and the address may hold Latin letters
    readable = re.sub(r"https?://\S+", "", text.replace(appointment.exam_code, ""))
    assert not re.search(r"[A-Za-z]", subject + readable), subject + readable
