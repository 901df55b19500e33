"""The booking rules, on SQLite and PostgreSQL: claims, limits, one per day, idempotency, cutoffs."""

import datetime

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import NotFound, PermissionDenied, ValidationError
from checkup.models import Appointment, AppointmentItem, AuditEvent, ResourceDay, Slot
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    yield Center()
    assert_counters_consistent()


def client(sex="female", **kw):
    return factories.make_client(sex=sex, birth_date=datetime.date(1980, 1, 1), **kw)


def test_booking_claims_slot_and_resource_and_snapshots_items(center, outbox):
    person = client(email="a@example.com")
    appointment = booking.book(Actor(), person.id, center.slot.id, "CT-PKG", ["EYE"])
    assert appointment.status == "booked" and appointment.day == center.day
    assert appointment.total_price == 395  # 380 package + 15 add-on
    assert Slot.get_by_id(center.slot.id).booked == 1
    assert ResourceDay.get_by_id(center.ct_day.id).booked == 1
    items = {(i.item.code, i.is_addon, i.resource_id) for i in AppointmentItem.select()}
    assert items == {("WBC", False, None), ("CT-CHEST", False, center.ct.id), ("EYE", True, None)}
    [mail] = outbox()
    assert appointment.exam_code in mail.get_body(("plain",)).get_content()
    ics = [part for part in mail.iter_attachments() if part.get_filename() == "checkup.ics"]
    assert ics and "BEGIN:VEVENT" in ics[0].get_content()


def test_full_slot_and_full_resource_are_refused_and_change_nothing(app):
    center = Center(slot_capacity=1, ct_capacity=1)
    booking.book(Actor(), client().id, center.slot.id, "BASIC")
    with pytest.raises(booking.PlaceTaken):
        booking.book(Actor(), client().id, center.slot.id, "BASIC")
    booking.book(Actor(), client().id, center.slot2.id, "CT-PKG")
    with pytest.raises(booking.PlaceTaken):
        booking.book(Actor(), client().id, center.slot2.id, "CT-PKG")  # slot2 is full now as well
    Slot.update(capacity=5).where(Slot.id == center.slot2.id).execute()
    with pytest.raises(booking.PlaceTaken, match="fully booked"):
        booking.book(Actor(), client().id, center.slot2.id, "CT-PKG")  # CT is the limit
    assert Appointment.select().count() == 2
    assert_counters_consistent()


def test_one_live_appointment_per_client_per_day(center):
    person = client()
    booking.book(Actor(), person.id, center.slot.id, "BASIC")
    with pytest.raises(ValidationError, match="already have an appointment"):
        booking.book(Actor(), person.id, center.slot2.id, "BASIC")


def test_same_idempotency_key_books_once(center):
    person = client()
    first = booking.book(Actor(), person.id, center.slot.id, "BASIC", idempotency_key="k-1")
    again = booking.book(Actor(), person.id, center.slot.id, "BASIC", idempotency_key="k-1")
    assert first.id == again.id
    assert Appointment.select().count() == 1


@pytest.mark.parametrize(
    "package,addons,message",
    [
        ("NOPE", [], "Choose a package"),
        ("MEN", [], "for men only"),
        ("BASIC", ["WBC"], "cannot be added"),
        ("BASIC", ["UNKNOWN"], "cannot be added"),
    ],
)
def test_bad_choices_are_refused(center, package, addons, message):
    with pytest.raises(ValidationError, match=message):
        booking.book(Actor(), client().id, center.slot.id, package, addons)
    assert Appointment.select().count() == 0


def test_past_closed_and_missing_slots_are_refused(center):
    past = Slot.create(
        day=clock.today() - datetime.timedelta(days=1),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
    )
    with pytest.raises(ValidationError, match="already passed"):
        booking.book(Actor(), client().id, past.id, "BASIC")
    Slot.update(closed=True).where(Slot.id == center.slot.id).execute()
    with pytest.raises(ValidationError, match="closed"):
        booking.book(Actor(), client().id, center.slot.id, "BASIC")
    with pytest.raises(ValidationError, match="Choose a time"):
        booking.book(Actor(), client().id, 999999, "BASIC")


def test_cancel_frees_places_and_needs_a_reason(center):
    person = client()
    appointment = booking.book(Actor(), person.id, center.slot.id, "CT-PKG")
    with pytest.raises(ValidationError, match="why"):
        booking.cancel(Actor(), appointment.id, " ", client_id=person.id)
    booking.cancel(Actor(), appointment.id, "Travelling", client_id=person.id)
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    assert Slot.get_by_id(center.slot.id).booked == 0
    assert ResourceDay.get_by_id(center.ct_day.id).booked == 0
    booking.book(Actor(), person.id, center.slot.id, "BASIC")  # the day is free again for this client


def test_someone_elses_appointment_is_not_found(center):
    owner, other = client(), client()
    appointment = booking.book(Actor(), owner.id, center.slot.id, "BASIC")
    with pytest.raises(NotFound):
        booking.cancel(Actor(), appointment.id, "x", client_id=other.id)
    with pytest.raises(NotFound):
        booking.reschedule(Actor(), appointment.id, center.slot2.id, client_id=other.id)


def test_reschedule_moves_places(center):
    person = client()
    appointment = booking.book(Actor(), person.id, center.slot.id, "CT-PKG")
    moved = booking.reschedule(Actor(), appointment.id, center.slot2.id, client_id=person.id)
    assert moved.slot_id == center.slot2.id
    assert (Slot.get_by_id(center.slot.id).booked, Slot.get_by_id(center.slot2.id).booked) == (0, 1)
    assert ResourceDay.get_by_id(center.ct_day.id).booked == 1


def test_cutoff_blocks_clients_and_staff_override_is_audited(app):
    center = Center(days_ahead=0)
    soon = (clock.now() + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    soon = min(soon, soon.replace(hour=23, minute=1))  # leaves room for the slot's end at 23:59
    if soon.minute == 0:
        soon += datetime.timedelta(minutes=1)  # never the fixture's 08:00 / 09:00 slots
    # 2 hours ahead (maybe tomorrow): well inside the 24-hour cutoff, still in the future
    slot = Slot.create(day=soon.date(), start_time=soon.time(), end_time=datetime.time(23, 59), capacity=5)
    person = client()
    appointment = booking.book(Actor(), person.id, slot.id, "BASIC")
    with pytest.raises(PermissionDenied, match="call the center"):
        booking.cancel(Actor(), appointment.id, "ill", client_id=person.id)
    with pytest.raises(ValidationError, match="reason"):
        booking.reschedule(Actor(), appointment.id, center.slot.id, staff=True)
    staff = factories.make_user("scheduler")
    booking.cancel(Actor(staff, "10.0.0.1"), appointment.id, "Client phoned in sick", staff=True)
    event = AuditEvent.get(AuditEvent.action == "booking.cancelled_override")
    assert event.user_id == staff.id and "sick" in event.detail
    assert_counters_consistent()
