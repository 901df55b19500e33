"""Exam codes carry no date: drawn from an alphabet without look-alikes, unique (drawn again on a
collision), kept when the appointment moves, and found whole by the desk's search."""

import datetime
import re

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, Slot
from checkup.services.booking import appointments, booking, exam_codes
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    return Center()


def person():
    return factories.make_client(sex="female", birth_date=datetime.date(1980, 1, 1))


def test_a_new_code_has_no_date_and_no_look_alikes(center):
    appointment = booking.book(Actor(), person().id, center.slot.id, "BASIC")
    code = appointment.exam_code
    assert re.fullmatch(r"T[ACDEFGHJKLMNPQRTUVWXY34679]{8}", code), code
    assert center.day.strftime("%y%m%d") not in code and not set(code) & set("0O1I5S8B2Z")
    assert appointments.looks_like_exam_code(code)
    codes = {exam_codes.new_exam_code() for _ in range(500)}
    assert len(codes) == 500


def test_a_code_in_use_is_drawn_again_and_endless_collisions_stop(center, monkeypatch):
    taken = booking.book(Actor(), person().id, center.slot.id, "BASIC").exam_code
    draws = iter([taken, taken, "TACDEFGHJ"])
    monkeypatch.setattr(exam_codes, "_draw", lambda: next(draws))
    assert exam_codes.new_exam_code() == "TACDEFGHJ"
    monkeypatch.setattr(exam_codes, "_draw", lambda: taken)
    with pytest.raises(exam_codes.NoFreeExamCode):
        exam_codes.new_exam_code()
    assert Appointment.select().count() == 1


def test_a_moved_appointment_keeps_its_code_and_the_desk_finds_it(center):
    appointment = booking.book(Actor(), person().id, center.slot.id, "BASIC")
    later = Slot.create(
        day=center.day + datetime.timedelta(days=2),
        start_time=datetime.time(8, 0),
        end_time=datetime.time(9, 0),
        capacity=5,
    )
    moved = booking.reschedule(Actor(), appointment.id, later.id)
    assert (moved.day, moved.exam_code) == (later.day, appointment.exam_code)  # the code never said the day
    found = appointments.search(f"  {appointment.exam_code.lower()} ")
    assert [a.id for a in found.rows] == [appointment.id]


def test_codes_of_earlier_versions_are_still_recognised():
    assert appointments.looks_like_exam_code("241124ACDEF")  # yymmdd + 5, booked before the change
    for wrong in ("T1234567", "TACDEFGH", "TACDEFGHJK", "XACDEFGHJ", "TACDEFGH0", "王芳"):
        assert not appointments.looks_like_exam_code(wrong), wrong
