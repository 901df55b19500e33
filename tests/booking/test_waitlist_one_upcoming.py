"""Joining a waitlist keeps the one-upcoming rule: a client with an upcoming checkup changes that one instead."""

import datetime

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Slot, WaitlistEntry
from checkup.services.booking import booking, waitlist
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def fill(center):
    for slot in (center.slot, center.slot2):
        for _ in range(slot.capacity):
            booking.book(Actor(), factories.make_client().id, slot.id, "BASIC")


def test_a_client_with_an_upcoming_checkup_cannot_join_a_waitlist(app):
    center = Center(slot_capacity=1)
    fill(center)
    client = factories.make_client()
    other_day = center.day + datetime.timedelta(days=2)
    other = Slot.create(day=other_day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=2)
    booking.book(Actor(), client.id, other.id, "BASIC")
    with pytest.raises(ValidationError, match="already have an upcoming checkup"):
        waitlist.join(Actor(), client.id, center.day, "BASIC")
    assert WaitlistEntry.select().count() == 0

    free = factories.make_client()  # no upcoming checkup: joins as before
    assert waitlist.join(Actor(), free.id, center.day, "BASIC").client_id == free.id
