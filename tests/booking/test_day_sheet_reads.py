"""The day sheet's page reads its rows' check-in times in its rows' statement (services/exam/day_sheets
``_checked_in_at``: a subquery per row) and masks each ID number once per process: the times are the ones
``_check_in_times`` reads (the action's answer still reads them so), only for rows past booking, on both
databases; the masks are national_id's."""

import datetime

import pytest

from checkup.core import clock, national_id
from checkup.core.audit import Actor
from checkup.models import Appointment, AuditEvent
from checkup.services.exam import day_sheets, exam_day
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def day(app):
    return ExamDay(slot_capacity=8)


def _page_rows(day_):
    return {row.appointment_id: row for group in day_sheets.day_sheet(day_).slots for row in group.rows}


def test_the_page_reads_the_check_in_times_the_audit_log_holds(app, day, monkeypatch):
    desk = Actor(factories.make_user("scheduler"), "10.0.0.7")
    here, here_appointment = booked_client(day, monkeypatch, day.mid, "到了")
    late, late_appointment = booked_client(day, monkeypatch, day.mid, "晚到", with_id=False)
    waiting, waiting_appointment = booked_client(day, monkeypatch, day.mid, "还没来")
    freeze_clock(monkeypatch, 9, 41)
    exam_day.check_in(desk, here_appointment.id, ["name", "birth_date", "national_id"])
    freeze_clock(monkeypatch, 10, 5)
    exam_day.check_in(desk, late_appointment.id, ["name", "birth_date"])
    # an event of a booked row is not shown (as before: times were read for rows past booking only)
    AuditEvent.create(action="exam_day.checked_in", object_type="appointment", object_id=str(waiting_appointment.id))
    # another action, another kind of object with the same id: not a check-in
    AuditEvent.create(action="exam_day.no_show", object_type="appointment", object_id=str(here_appointment.id))
    AuditEvent.create(action="exam_day.checked_in", object_type="slot", object_id=str(late_appointment.id))

    rows = _page_rows(day.today)

    expected = day_sheets._check_in_times([here_appointment.id, late_appointment.id])
    assert rows[here_appointment.id].checked_in_at == expected[here_appointment.id]
    assert rows[late_appointment.id].checked_in_at == expected[late_appointment.id]
    assert rows[here_appointment.id].checked_in_at.tzinfo is not None  # the center's time (audit: UTC)
    assert rows[waiting_appointment.id].checked_in_at is None
    for appointment_id in (here_appointment.id, late_appointment.id):  # the action's answer reads the same
        assert day_sheets.sheet_row(appointment_id).checked_in_at == rows[appointment_id].checked_in_at


def test_a_row_checked_in_twice_shows_its_last_time(app, day, monkeypatch):
    client, appointment = booked_client(day, monkeypatch, day.early)
    Appointment.update(status="checked_in").where(Appointment.id == appointment.id).execute()
    first, last = datetime.datetime(2026, 3, 4, 1, 0), datetime.datetime(2026, 3, 4, 1, 30)
    for at in (first, last):
        AuditEvent.create(action="exam_day.checked_in", object_type="appointment", object_id=str(appointment.id), at=at)

    assert _page_rows(day.today)[appointment.id].checked_in_at == clock.from_utc(last)


def test_the_masks_are_national_ids_and_kept_per_key(app, day, monkeypatch):
    with_id, appointment = booked_client(day, monkeypatch, day.early)
    without_id, bare = booked_client(day, monkeypatch, day.early, "无号", with_id=False)
    day_sheets._MASKS.clear()

    rows = _page_rows(day.today)

    cipher = with_id.national_id_cipher
    assert rows[appointment.id].masked_national_id == national_id.masked_from_cipher(cipher) != ""
    assert rows[bare.id].masked_national_id == ""
    assert day_sheets._MASKS == {app.config["NATIONAL_ID_KEY"]: {cipher: rows[appointment.id].masked_national_id}}
    assert _page_rows(day.today)[appointment.id].masked_national_id == rows[appointment.id].masked_national_id
    # another key reads nothing kept under the first (its decryption fails: no mask), and drops it
    monkeypatch.setitem(app.config, "NATIONAL_ID_KEY", "another key")
    assert _page_rows(day.today)[appointment.id].masked_national_id == ""
    assert list(day_sheets._MASKS) == ["another key"]


def test_the_kept_masks_are_bounded(app, monkeypatch):
    monkeypatch.setattr(day_sheets, "MASKS_KEPT", 3)
    day_sheets._MASKS.clear()
    masks = day_sheets._masks()
    for n in range(3):
        masks[f"cipher {n}"] = "x"
    assert day_sheets._masks() == {}
