"""The scheduler's capacity rules, on SQLite and PostgreSQL: templates, capacities below bookings, closing days."""

import datetime

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AuditEvent, ResourceDay, Slot
from checkup.services.booking import booking, capacity
from checkup.services.booking.capacity import SlotSpec
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs

T = datetime.time
SPECS = [SlotSpec(T(8), T(9), 10), SlotSpec(T(9), T(10), 5)]


def next_monday(weeks_ahead=1):
    today = clock.today()
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_ahead)


def person(name, phone=""):
    return factories.make_client(name=name, phone=phone, birth_date=datetime.date(1980, 1, 1))


def slot_counts():
    return {(s.day, s.start_time): (s.capacity, s.end_time, s.booked) for s in Slot.select()}


def test_template_opens_slots_on_chosen_weekdays_with_resource_days(app):
    ct = factories.make_resource("CT", capacity=4)
    factories.make_resource("OLD", capacity=9, active=False)
    monday = next_monday()
    counts = capacity.apply_template(Actor(), monday, monday + datetime.timedelta(days=13), {0, 2, 4}, SPECS)
    assert counts == {"created": 12, "updated": 0, "kept": 0, "closed_days": 0, "resource_days": 6}
    days = sorted({s.day for s in Slot.select()})
    assert [d.weekday() for d in days] == [0, 2, 4, 0, 2, 4]
    assert {(s.start_time, s.end_time, s.capacity) for s in Slot.select()} == {(T(8), T(9), 10), (T(9), T(10), 5)}
    assert sorted((r.day, r.resource_id, r.capacity) for r in ResourceDay.select()) == [(d, ct.id, 4) for d in days]
    assert AuditEvent.select().where(AuditEvent.action == "capacity.template_applied").count() == 1


def test_applying_the_same_template_twice_changes_nothing(app):
    factories.make_resource("CT", capacity=4)
    monday = next_monday()
    capacity.apply_template(Actor(), monday, monday + datetime.timedelta(days=6), {0, 1, 2, 3, 4}, SPECS)
    before = slot_counts()
    resource_days = ResourceDay.select().count()
    again = capacity.apply_template(Actor(), monday, monday + datetime.timedelta(days=6), {0, 1, 2, 3, 4}, SPECS)
    assert again == {"created": 0, "updated": 0, "kept": 0, "closed_days": 0, "resource_days": 0}
    assert slot_counts() == before
    assert ResourceDay.select().count() == resource_days == 5


def test_template_updates_capacity_but_never_below_bookings(app):
    center = Center(slot_capacity=5, days_ahead=3)
    booking.book(Actor(), person("王芳").id, center.slot.id, "BASIC")
    booking.book(Actor(), person("李雷").id, center.slot.id, "BASIC")
    specs = [SlotSpec(T(8), T(9), 1), SlotSpec(T(9), T(10), 7)]
    counts = capacity.apply_template(Actor(), center.day, center.day, {center.day.weekday()}, specs, {center.ct.id: 6})
    assert (counts["created"], counts["updated"], counts["kept"]) == (0, 1, 1)
    assert Slot.get_by_id(center.slot.id).capacity == 5  # 2 booked: 1 would be too low
    assert Slot.get_by_id(center.slot2.id).capacity == 7
    assert ResourceDay.get_by_id(center.ct_day.id).capacity == 6
    assert_counters_consistent()


def test_template_leaves_closed_days_closed(app):
    monday = next_monday()
    Slot.create(day=monday, start_time=T(8), end_time=T(9), capacity=3, closed=True)
    counts = capacity.apply_template(Actor(), monday, monday + datetime.timedelta(days=1), {0, 1}, SPECS)
    assert counts["closed_days"] == 1 and counts["created"] == 2
    assert Slot.select().where(Slot.day == monday).count() == 1


@pytest.mark.parametrize(
    "start_offset, end_offset, weekdays, specs, field",
    [
        (5, 4, {0}, SPECS, "end"),
        (1, 400, {0}, SPECS, "end"),
        (-1, 3, {0}, SPECS, "start"),
        (1, 3, set(), SPECS, "weekdays"),
        (1, 3, {0}, [SlotSpec(T(9), T(8), 3)], "slots-0-end"),
        (1, 3, {0}, [SlotSpec(T(8), T(9), 3), SlotSpec(T(8, 30), T(9, 30), 3)], "slots-1-start"),
        (1, 3, {0}, [SlotSpec(T(8), T(9), 10001)], "slots-0-capacity"),
        (1, 3, {0}, [], "slots"),
    ],
)
def test_template_refuses_bad_input_and_writes_nothing(app, start_offset, end_offset, weekdays, specs, field):
    today = clock.today()
    with pytest.raises(ValidationError) as refused:
        capacity.apply_template(
            Actor(),
            today + datetime.timedelta(days=start_offset),
            today + datetime.timedelta(days=end_offset),
            weekdays,
            specs,
        )
    assert field in refused.value.field_errors
    assert Slot.select().count() == 0 and AuditEvent.select().count() == 0


def test_lowering_a_slot_below_its_bookings_is_refused_naming_them(app):
    center = Center(slot_capacity=5)
    first = booking.book(Actor(), person("王芳").id, center.slot.id, "BASIC")
    second = booking.book(Actor(), person("Li Lei").id, center.slot.id, "BASIC")
    with pytest.raises(ValidationError) as refused:
        capacity.set_slot_capacity(Actor(), center.slot.id, 1)
    message = str(refused.value.field_errors["capacity"])
    assert message.startswith("2 places are already booked")
    assert "王芳" in message and "Li Lei" in message and first.exam_code in message and second.exam_code in message
    assert "Move them first" in message
    assert Slot.get_by_id(center.slot.id).capacity == 5
    assert not AuditEvent.select().where(AuditEvent.action == "capacity.slot_changed").exists()
    slot = capacity.set_slot_capacity(Actor(), center.slot.id, 2)  # exactly the bookings is fine
    assert slot.capacity == 2
    assert AuditEvent.select().where(AuditEvent.action == "capacity.slot_changed").count() == 1
    assert_counters_consistent()


def test_lowering_a_resource_day_below_its_bookings_is_refused_naming_them(app):
    center = Center(slot_capacity=5, ct_capacity=3)
    booking.book(Actor(), person("王芳").id, center.slot.id, "CT-PKG")
    booking.book(Actor(), person("Li Lei").id, center.slot.id, "BASIC")  # no CT: not listed
    with pytest.raises(ValidationError) as refused:
        capacity.set_resource_capacity(Actor(), center.ct_day.id, 0)
    message = str(refused.value.message)
    assert "1 places are already booked" in message and "王芳" in message and "Li Lei" not in message
    assert ResourceDay.get_by_id(center.ct_day.id).capacity == 3
    assert capacity.set_resource_capacity(Actor(), center.ct_day.id, 1).capacity == 1


@pytest.mark.parametrize("value", [-1, 10001, "5", 2.5, True, None])
def test_capacity_out_of_range_or_not_an_integer_is_refused(app, value):
    center = Center()
    with pytest.raises(ValidationError):
        capacity.set_slot_capacity(Actor(), center.slot.id, value)
    with pytest.raises(ValidationError):
        capacity.set_resource_capacity(Actor(), center.ct_day.id, value)
    assert Slot.get_by_id(center.slot.id).capacity == 5


def test_unknown_slot_and_resource_day_are_not_found(app):
    for bad in (0, 999999, 2**40):
        with pytest.raises(NotFound):
            capacity.set_slot_capacity(Actor(), bad, 3)
        with pytest.raises(NotFound):
            capacity.get_resource_day(bad)


def test_closing_a_day_lists_its_appointments_and_stops_booking(app):
    center = Center()
    kept = booking.book(Actor(), person("王芳", "13800000001").id, center.slot.id, "BASIC")
    cancelled = booking.book(Actor(), person("Li Lei").id, center.slot2.id, "BASIC")
    booking.cancel(Actor(), cancelled.id, "changed plans", staff=True)
    listed = capacity.close_day(Actor(), center.day, "Public holiday")
    assert [a.id for a in listed] == [kept.id]
    assert listed[0].client.name == "王芳" and listed[0].client.phone == "13800000001"
    assert Slot.select().where(Slot.day == center.day, Slot.closed == False).count() == 0
    with pytest.raises(ValidationError, match="closed"):
        booking.book(Actor(), person("Zhang").id, center.slot2.id, "BASIC")
    event = AuditEvent.get(AuditEvent.action == "capacity.day_closed")
    assert "Public holiday" in event.detail
    capacity.reopen_day(Actor(), center.day)
    booking.book(Actor(), person("Zhang").id, center.slot2.id, "BASIC")
    assert AuditEvent.select().where(AuditEvent.action == "capacity.day_reopened").count() == 1
    assert_counters_consistent()


def test_closing_a_day_without_slots_is_refused(app):
    with pytest.raises(ValidationError, match="no slots"):
        capacity.close_day(Actor(), clock.today() + datetime.timedelta(days=4))


def test_month_calendar_sums_days_and_resources(app):
    center = Center(slot_capacity=4, ct_capacity=2)
    booking.book(Actor(), person("王芳").id, center.slot.id, "CT-PKG")
    days = {d.day: d for d in capacity.month_calendar(center.day.year, center.day.month)}
    day = days[center.day]
    assert (day.booked, day.capacity, day.closed) == (1, 8, False)
    assert [(r.resource.code, r.booked, r.capacity) for r in day.resources] == [("CT", 1, 2)]
