"""Day-before reminders: every booked client once, never twice; through the CLI as cron would run it."""

import datetime

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, Slot
from checkup.services.booking import booking
from checkup.services.mail import booking_mail
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def test_reminders_go_once_to_tomorrows_booked_clients(app, outbox):
    center = Center(days_ahead=1)
    kept = booking.book(Actor(), factories.make_client(email="kept@example.com").id, center.slot.id, "BASIC")
    gone = booking.book(Actor(), factories.make_client(email="gone@example.com").id, center.slot2.id, "BASIC")
    booking.cancel(Actor(), gone.id, "changed plans", staff=True)
    later = Slot.create(
        day=center.day + datetime.timedelta(days=1), start_time=datetime.time(8), end_time=datetime.time(9), capacity=3
    )
    booking.book(Actor(), factories.make_client(email="later@example.com").id, later.id, "BASIC")
    assert booking_mail.send_reminders() == 1
    assert booking_mail.send_reminders() == 0
    reminders = [m for m in outbox() if m["Subject"].startswith("Reminder")]
    assert [m["To"] for m in reminders] == ["kept@example.com"]
    assert "Fast 8 hours." in reminders[0].get_content()
    assert Appointment.get_by_id(kept.id).reminder_sent_at is not None


def test_cli_sends_reminders(app, outbox):
    center = Center(days_ahead=1)
    booking.book(Actor(), factories.make_client(email="cli@example.com").id, center.slot.id, "BASIC")
    result = app.test_cli_runner().invoke(args=["send-reminders", "--day", center.day.isoformat()])
    assert "reminders sent: 1" in result.output
    assert outbox()[-1]["To"] == "cli@example.com"
    assert clock.today() < center.day
