"""One upcoming individual checkup per client, under concurrency: two bookings for the same client on
different days, in two real threads on PostgreSQL, never both go through — the client's row is locked
before the check (SELECT … FOR UPDATE), so the second waits for the first and then sees its appointment."""

import datetime
import threading
import time

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, Slot
from checkup.models.base import db
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

HOLD_SECONDS = 1.0  # how long the first booking keeps its transaction open after the check


def later_slot(center, days):
    day = center.day + datetime.timedelta(days=days)
    return Slot.create(day=day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=5)


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_two_concurrent_bookings_on_different_days_for_one_client_only_one_succeeds(app):
    center = Center()
    other_day = later_slot(center, 7)
    client = factories.make_client(name="并发客户")
    db.close()
    first_inside, outcomes, errors, times = threading.Event(), {}, [], {}

    def hold_open(appointment):
        first_inside.set()  # checked and written, not committed yet: the other booking starts now
        time.sleep(HOLD_SECONDS)
        times["first_commits_after"] = time.monotonic()

    def book(name, slot_id, on_booked=None, wait_for=None):
        with app.app_context():
            try:
                if wait_for is not None:
                    assert wait_for.wait(timeout=30)
                with db.connection_context():
                    appointment = booking.book(Actor(), client.id, slot_id, "BASIC", on_booked=on_booked)
                outcomes[name] = appointment.id
            except ValidationError as refusal:
                outcomes[name] = str(refusal.message)
            except Exception as error:  # noqa: BLE001 - reported below: the test fails on any other error
                errors.append(repr(error))
            finally:
                times[name] = time.monotonic()

    threads = [
        threading.Thread(target=book, args=("first", center.slot.id, hold_open)),
        threading.Thread(target=book, args=("second", other_day.id, None, first_inside)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.connect(reuse_if_open=True)

    assert errors == []
    assert isinstance(outcomes["first"], int)
    assert "You already have an upcoming checkup on" in outcomes["second"]
    assert times["second"] >= times["first_commits_after"]  # it waited for the lock, then saw the first
    upcoming = Appointment.select().where(Appointment.client == client.id, Appointment.day >= clock.today())
    assert [a.id for a in upcoming] == [outcomes["first"]]
    assert Slot.get_by_id(other_day.id).booked == 0
    assert_counters_consistent()


@pytest.mark.both_dbs
def test_the_lock_leaves_staff_override_and_group_bookings_alone(app):
    center = Center()
    client = factories.make_client(name="复诊客户")
    desk = Actor(factories.make_user("scheduler"))
    first = booking.book(desk, client.id, center.slot.id, "BASIC", source="desk")
    with pytest.raises(ValidationError):
        booking.book(desk, client.id, later_slot(center, 7).id, "BASIC", source="desk")
    second = booking.book(desk, client.id, later_slot(center, 8).id, "BASIC", source="desk", allow_second=True)
    assert {a.id for a in Appointment.select().where(Appointment.client == client.id)} == {first.id, second.id}
