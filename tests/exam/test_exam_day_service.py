"""The exam day at the front desk, service level: day sheet, check-in, no-show, walk-in."""

import datetime
import json

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import NotFound, ValidationError
from checkup.models import Appointment, AuditEvent, ResourceDay, Slot
from checkup.services.booking import booking
from checkup.services.exam import day_sheets, exam_day, guide_sheets
from tests import factories
from tests.booking_helpers import assert_counters_consistent
from tests.exam_day_helpers import ExamDay, booked_client, center_today, freeze_clock

pytestmark = pytest.mark.both_dbs
IDENTITY = ["name", "birth_date", "national_id"]


@pytest.fixture
def day(app):
    return ExamDay()


@pytest.fixture
def desk(app):
    return Actor(factories.make_user("scheduler", name="Desk Zhang"), "10.0.0.7")


def audit_events(action):
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


# --- day sheet ----------------------------------------------------------------------------------


def test_day_sheet_lists_the_days_appointments_by_slot_with_client_details(app, day, desk, monkeypatch):
    wang, early = booked_client(
        day, monkeypatch, day.early, "王芳", phone="13800000001", birth_date=datetime.date(1980, 3, 15)
    )
    li, late = booked_client(day, monkeypatch, day.late, "李雷", with_id=False, sex="male", phone="13900000002")
    gone, cancelled = booked_client(day, monkeypatch, day.early, "赵六")
    booking.cancel(desk, cancelled.id, "changed plans", staff=True)
    booked_client(day, monkeypatch, day.next_day, "明天来")
    freeze_clock(monkeypatch, 10, 30)

    sheet = day_sheets.day_sheet(day.today)

    assert sheet.is_today
    assert [group.slot.start_time.hour for group in sheet.slots] == [8, 10, 11]
    assert [[row.name for row in group.rows] for group in sheet.slots] == [["王芳"], [], ["李雷"]]
    first = sheet.slots[0].rows[0]
    assert (first.exam_code, first.sex, first.phone, first.package.code) == (
        early.exam_code,
        "female",
        "13800000001",
        "BASIC",
    )
    expected_age = day.today.year - 1980 - ((day.today.month, day.today.day) < (3, 15))
    assert first.age == expected_age
    assert first.masked_national_id.startswith("110105") and "*" * 10 in first.masked_national_id
    assert sheet.slots[0].ended and not sheet.slots[2].ended
    assert first.can_mark_no_show and first.can_check_in
    assert sheet.slots[2].rows[0].masked_national_id == ""
    assert sheet.slots[2].rows[0].identity_fields == ("name", "birth_date")
    assert sheet.counts == {"booked": 2, "checked_in": 0, "completed": 0, "no_show": 0, "cancelled": 1}
    assert sheet.expected == 2


def test_day_sheet_runs_the_same_few_queries_however_many_appointments(app, day, monkeypatch, count_queries):
    booked_client(day, monkeypatch, day.early, "一号")
    freeze_clock(monkeypatch, 10, 30)
    with count_queries() as small:
        day_sheets.day_sheet(day.today)
    for n in range(5):
        booked_client(day, monkeypatch, day.late if n % 2 else day.mid, f"客户{n}")
    desk = Actor(factories.make_user("scheduler"))
    exam_day.check_in(desk, Appointment.select().order_by(Appointment.id.desc()).first().id, IDENTITY)
    with count_queries() as large:
        sheet = day_sheets.day_sheet(day.today)
    assert sum(len(group.rows) for group in sheet.slots) == 6
    assert small.count == large.count == 2


def test_another_day_is_shown_and_not_today(app, day, monkeypatch):
    booked_client(day, monkeypatch, day.next_day, "明天来")
    sheet = day_sheets.day_sheet(day.tomorrow)
    assert not sheet.is_today
    row = sheet.slots[0].rows[0]
    assert row.name == "明天来" and not row.can_check_in and not row.can_mark_no_show


# --- check-in -----------------------------------------------------------------------------------


def test_check_in_needs_every_identity_field_confirmed_and_is_audited(app, day, desk, monkeypatch):
    client, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    freeze_clock(monkeypatch, 9, 50)

    with pytest.raises(ValidationError) as refused:
        exam_day.check_in(desk, appointment.id, ["name", "birth_date"])  # the ID number is on file
    assert set(refused.value.field_errors) == {"national_id"}
    assert Appointment.get_by_id(appointment.id).status == "booked"
    assert audit_events("exam_day.checked_in") == []

    checked = exam_day.check_in(desk, appointment.id, ["name", "birth_date", "national_id", "nonsense"])

    assert checked.status == "checked_in"
    (event,) = audit_events("exam_day.checked_in")
    assert (event.user_id, event.ip, event.object_type, event.object_id) == (
        desk.user_id,
        "10.0.0.7",
        "appointment",
        str(appointment.id),
    )
    assert json.loads(event.detail)["identity_confirmed"] == ["birth_date", "name", "national_id"]
    assert_counters_consistent()  # a checked-in client keeps their places
    assert Slot.get_by_id(day.mid.id).booked == 1


def test_without_an_id_on_file_name_and_birth_date_suffice(app, day, desk, monkeypatch):
    _client, appointment = booked_client(day, monkeypatch, day.mid, "李雷", with_id=False)
    with pytest.raises(ValidationError):
        exam_day.check_in(desk, appointment.id, [])
    assert exam_day.check_in(desk, appointment.id, ["name", "birth_date"]).status == "checked_in"


def test_only_a_booked_appointment_can_be_checked_in(app, day, desk, monkeypatch):
    _client, appointment = booked_client(day, monkeypatch, day.mid)
    exam_day.check_in(desk, appointment.id, IDENTITY)
    with pytest.raises(ValidationError, match="Only a booked appointment"):
        exam_day.check_in(desk, appointment.id, IDENTITY)
    _other, cancelled = booked_client(day, monkeypatch, day.late, "赵六")
    booking.cancel(desk, cancelled.id, "ill", staff=True)
    with pytest.raises(ValidationError, match="Only a booked appointment"):
        exam_day.check_in(desk, cancelled.id, IDENTITY)
    assert len(audit_events("exam_day.checked_in")) == 1


def test_check_in_on_another_day_is_refused_with_the_appointments_date(app, day, desk, monkeypatch):
    _client, appointment = booked_client(day, monkeypatch, day.next_day)
    with pytest.raises(ValidationError) as refused:
        exam_day.check_in(desk, appointment.id, IDENTITY)
    assert day.tomorrow.isoformat() in str(refused.value.message)
    assert "day of their appointment" in str(refused.value.message)
    assert Appointment.get_by_id(appointment.id).status == "booked"


def test_unknown_appointment_is_not_found(app, desk):
    for action in (
        lambda: exam_day.check_in(desk, 987654, IDENTITY),
        lambda: exam_day.mark_no_show(desk, 987654),
        lambda: guide_sheets.guide_sheet_data(987654),
    ):
        with pytest.raises(NotFound):
            action()


# --- no-show ------------------------------------------------------------------------------------


def test_no_show_only_after_the_slot_has_ended_and_it_frees_the_places(app, day, desk, monkeypatch):
    _client, appointment = booked_client(day, monkeypatch, day.mid, package="CT-PKG")
    freeze_clock(monkeypatch, 10, 59)
    with pytest.raises(ValidationError, match="after their time slot has ended"):
        exam_day.mark_no_show(desk, appointment.id)
    assert Appointment.get_by_id(appointment.id).status == "booked"

    freeze_clock(monkeypatch, 11, 0)
    marked = exam_day.mark_no_show(desk, appointment.id)

    assert (marked.status, marked.live_day) == ("no_show", None)
    assert Slot.get_by_id(day.mid.id).booked == 0
    assert ResourceDay.get(ResourceDay.day == day.today).booked == 0  # the CT place is free for a walk-in
    assert_counters_consistent()
    (event,) = audit_events("exam_day.no_show")
    assert event.user_id == desk.user_id and event.object_id == str(appointment.id)
    with pytest.raises(ValidationError, match="Only a booked appointment"):
        exam_day.mark_no_show(desk, appointment.id)


def test_no_show_on_the_real_clock_for_a_slot_that_ended_earlier_today(app, desk, monkeypatch):
    now = datetime.datetime.now(clock.zone())
    if now.hour < 1:
        pytest.skip("the center's local time is before 01:00: no slot can have ended earlier today")
    today = center_today()
    factories.make_package("SOLO", [factories.make_item("BMI")])
    slot = Slot.create(day=today, start_time=datetime.time(0, 0), end_time=datetime.time(0, 30), capacity=2)
    client = factories.make_client("迟到")
    monkeypatch.setattr(clock, "now", lambda: clock.local(today, datetime.time(0, 0)) - datetime.timedelta(minutes=1))
    appointment = booking.book(Actor(), client.id, slot.id, "SOLO")
    monkeypatch.undo()  # back to the real clock: the slot ended at 00:30

    assert exam_day.mark_no_show(desk, appointment.id).status == "no_show"
    assert_counters_consistent()


def test_a_checked_in_client_is_never_a_no_show(app, day, desk, monkeypatch):
    _client, appointment = booked_client(day, monkeypatch, day.early)
    freeze_clock(monkeypatch, 8, 10)
    exam_day.check_in(desk, appointment.id, IDENTITY)
    freeze_clock(monkeypatch, 12, 0)
    with pytest.raises(ValidationError):
        exam_day.mark_no_show(desk, appointment.id)


# --- walk-in ------------------------------------------------------------------------------------


def test_a_walk_in_goes_into_the_slot_under_way_and_is_checked_in_at_once(app, day, desk, monkeypatch):
    freeze_clock(monkeypatch, 10, 20)
    client = factories.make_client_with_id(name="路人甲")

    appointment = exam_day.register_walk_in(desk, client.id, "CT-PKG", IDENTITY)

    assert (appointment.status, appointment.source, appointment.slot_id) == ("checked_in", "walk_in", day.mid.id)
    assert [
        e.action for e in AuditEvent.select().where(AuditEvent.object_id == str(appointment.id)).order_by(AuditEvent.id)
    ] == ["booking.booked", "exam_day.checked_in"]
    assert_counters_consistent()


def test_a_walk_in_takes_the_next_slot_when_the_current_one_is_full(app, day, desk, monkeypatch):
    Slot.update(capacity=0).where(Slot.id == day.mid.id).execute()
    freeze_clock(monkeypatch, 10, 20)
    client = factories.make_client("路人乙")
    appointment = exam_day.register_walk_in(desk, client.id, "BASIC", ["name", "birth_date"])
    assert appointment.slot_id == day.late.id


def test_a_walk_in_is_refused_without_identity_without_room_or_when_already_booked(app, day, desk, monkeypatch):
    freeze_clock(monkeypatch, 10, 20)
    client = factories.make_client("路人丙")
    with pytest.raises(ValidationError, match="identity"):
        exam_day.register_walk_in(desk, client.id, "BASIC", [])
    assert Appointment.select().count() == 0

    Slot.update(capacity=0).where(Slot.day == day.today).execute()
    with pytest.raises(exam_day.NoPlaceToday):
        exam_day.register_walk_in(desk, client.id, "BASIC", ["name", "birth_date"])

    Slot.update(capacity=4).where(Slot.day == day.today).execute()
    exam_day.register_walk_in(desk, client.id, "BASIC", ["name", "birth_date"])
    with pytest.raises(ValidationError, match="already has an appointment today"):
        exam_day.register_walk_in(desk, client.id, "BASIC", ["name", "birth_date"])
    assert_counters_consistent()


def test_only_walk_ins_may_book_a_slot_already_under_way(app, day, monkeypatch):
    freeze_clock(monkeypatch, 10, 20)
    client = factories.make_client("网上")
    with pytest.raises(ValidationError, match="already passed"):
        booking.book(Actor(), client.id, day.mid.id, "BASIC")
    with pytest.raises(ValidationError, match="already passed"):  # an ended slot stays closed even to walk-ins
        booking.book(Actor(), client.id, day.early.id, "BASIC", source="walk_in", allow_started=True)
    assert (
        booking.book(Actor(), client.id, day.mid.id, "BASIC", source="walk_in", allow_started=True).slot_id
        == day.mid.id
    )


# --- exam sheet data ----------------------------------------------------------------------------


def test_guide_sheet_data_has_one_line_per_station_in_station_order(app, day, monkeypatch):
    client, appointment = booked_client(day, monkeypatch, day.mid, "王芳", package="CT-PKG")
    data = guide_sheets.guide_sheet_data(appointment.id)
    assert (data["client_name"], data["exam_code"], data["day"], data["slot"]) == (
        "王芳",
        appointment.exam_code,
        day.today.isoformat(),
        "10:00–11:00",
    )
    assert [(s["name"], s["items"]) for s in data["stops"]] == [
        ("Laboratory", "Fasting glucose, White blood cells"),
        ("Imaging", "Chest CT"),
    ]
    assert data["prep_notes"] == ["Fast 8 hours.", "Remove metal objects."]
    chinese = guide_sheets.guide_sheet_data(appointment.id, chinese=True)
    assert chinese["stops"][0]["name"] == "检验科"
    assert chinese["stops"][0]["items"] == "空腹血糖、白细胞计数"
    assert "空腹8小时" in chinese["prep_notes"]
