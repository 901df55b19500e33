"""Group booking rules, on SQLite and PostgreSQL: price split, add-ons, window and contract status, one
appointment per enrollment, reserved places consumed and never exceeded, counters kept with ``reserved``."""

import datetime
import threading
from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import (
    Appointment,
    AppointmentItem,
    AuditEvent,
    ContractReservation,
    Enrollment,
    GroupContract,
    Slot,
)
from checkup.models.base import db, utcnow
from checkup.services.booking import availability, booking, capacity, waitlist
from checkup.services.groups import group_booking
from tests import factories
from tests.booking_helpers import assert_counters_consistent
from tests.group_booking_helpers import GroupCenter, enroll, reserve

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    yield GroupCenter()
    assert_counters_consistent()


def book(world, slot=None, addons=(), enrollment=None, **kw):
    enrollment = enrollment or world.enrollment
    return group_booking.book(
        Actor(), enrollment.id, (slot or world.slot).id, addons, client_id=enrollment.client_id, **kw
    )


def _reload(model):
    return type(model).get_by_id(model.id)


def test_company_pays_the_discounted_package_and_the_employee_the_addons(world):
    appointment = book(world, addons=["EYE"])
    assert appointment.source == "group" and appointment.status == "booked"
    # BASIC is 100.00 with 10 % off → the company pays 90.00; the 15.00 add-on is self-paid at list price
    assert (appointment.company_amount, appointment.self_amount, appointment.total_price) == (
        Decimal("90.00"),
        Decimal("15.00"),
        Decimal("105.00"),
    )
    stored = _reload(appointment)
    assert (stored.company_amount, stored.self_amount) == (Decimal("90.00"), Decimal("15.00"))
    payers = {(i.item.code, i.payer, i.is_addon) for i in AppointmentItem.select()}
    assert payers == {("WBC", "company", False), ("EYE", "self", True)}
    assert _reload(world.enrollment).appointment_id == appointment.id
    event = AuditEvent.get(AuditEvent.action == "group_booking.booked")
    assert event.object_id == str(world.enrollment.id) and '"source": "employee"' in event.detail


def test_employee_pays_the_discounted_package_when_the_company_does_not(app):
    world = GroupCenter(discount="12.5", company_pays=False)
    Enrollment.update(
        category=factories.make_category(world.contract, "Managers", package=world.with_ct, company_pays=False)
    ).execute()
    appointment = book(world, addons=["EYE"])
    # CT-PKG is 380.00; 12.5 % off → 332.50, paid by the employee with the add-on
    assert (appointment.company_amount, appointment.self_amount, appointment.total_price) == (
        Decimal("0.00"),
        Decimal("347.50"),
        Decimal("347.50"),
    )
    assert {i.payer for i in AppointmentItem.select()} == {"self"}
    assert_counters_consistent()


def test_the_quote_shows_the_split_before_booking(world):
    offer = group_booking.quote(_reload(world.enrollment), ["EYE"])
    assert (offer.package_price, offer.company_amount, offer.self_amount) == (
        Decimal("90.00"),
        Decimal("90.00"),
        Decimal("15.00"),
    )
    assert group_booking.terms(_reload(world.enrollment)).company_amount == Decimal("90.00")
    assert group_booking.percent(Decimal("12.50")) == "12.5" and group_booking.percent(Decimal("10.00")) == "10"


def test_addons_are_refused_when_the_category_does_not_allow_them(app):
    world = GroupCenter(addons_allowed=False)
    with pytest.raises(ValidationError, match="does not include extra") as refused:
        book(world, addons=["EYE"])
    assert "addons" in refused.value.field_errors
    assert Appointment.select().count() == 0 and Slot.get_by_id(world.slot.id).booked == 0
    assert book(world).self_amount == Decimal("0.00")  # the package alone is fine
    assert_counters_consistent()


def test_unknown_addons_are_refused(world):
    with pytest.raises(ValidationError, match="cannot be added"):
        book(world, addons=["WBC"])  # already in the package
    assert Appointment.select().count() == 0


def test_package_eligibility_is_checked_on_the_server(app):
    world = GroupCenter(package=None)
    men_only = factories.make_category(world.contract, "Men", package=world.men)
    Enrollment.update(category=men_only).where(Enrollment.id == world.enrollment.id).execute()
    with pytest.raises(ValidationError, match="for men only") as refused:
        book(world)
    assert "package" in refused.value.field_errors
    assert Appointment.select().count() == 0
    assert_counters_consistent()


def test_only_days_within_the_window_are_bookable(world):
    after = world.later_slot(1)
    GroupContract.update(window_end=world.day).where(GroupContract.id == world.contract.id).execute()
    with pytest.raises(ValidationError, match="booking window") as refused:
        book(world, slot=after)
    assert "slot" in refused.value.field_errors
    GroupContract.update(
        window_start=world.day + datetime.timedelta(days=1), window_end=world.day + datetime.timedelta(days=5)
    ).execute()
    with pytest.raises(ValidationError, match="booking window"):
        book(world)  # the center's day is now before the window
    assert book(world, slot=after).day == after.day


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_only_an_active_contract_takes_bookings(app, status):
    world = GroupCenter(status=status)
    with pytest.raises(ValidationError, match="not open for booking"):
        book(world)
    assert Appointment.select().count() == 0
    assert_counters_consistent()


def test_a_window_that_ended_takes_no_bookings(world):
    GroupContract.update(
        window_start=world.day - datetime.timedelta(days=30), window_end=world.day - datetime.timedelta(days=10)
    ).execute()
    with pytest.raises(ValidationError, match="ended on"):
        book(world)


def test_one_appointment_per_enrollment_and_cancelling_frees_it(world):
    first = book(world)
    other_day = world.later_slot(2)
    with pytest.raises(Conflict, match="already booked"):
        book(world, slot=other_day)
    assert Appointment.select().count() == 1
    group_booking.cancel(Actor(), world.enrollment.id, "schedule", client_id=world.employee.id)
    assert group_booking.status_of(group_booking.get_enrollment(world.enrollment.id)) == group_booking.NOT_BOOKED
    second = book(world, slot=other_day)
    assert second.id != first.id and _reload(world.enrollment).appointment_id == second.id
    assert _reload(first).status == "cancelled"
    assert AuditEvent.select().where(AuditEvent.action == "group_booking.cancelled").count() == 1


def test_cancelling_through_my_appointments_frees_the_enrollment_too(world):
    appointment = book(world)
    booking.cancel(Actor(), appointment.id, "ill", client_id=world.employee.id)
    assert book(world, slot=world.slot2).status == "booked"


@pytest.mark.parametrize("status", ["completed", "no_show", "checked_in"])
def test_a_used_or_missed_appointment_blocks_a_new_booking(world, status):
    appointment = book(world)
    Appointment.update(status=status, live_day=None if status == "no_show" else appointment.day).where(
        Appointment.id == appointment.id
    ).execute()
    if status == "no_show":
        booking._release(appointment.slot_id, appointment.day, [])  # a no-show gives the place back
    with pytest.raises(Conflict):
        book(world, slot=world.later_slot(3))
    assert Appointment.select().count() == 1


def test_another_clients_enrollment_is_not_found(world):
    stranger = factories.make_client(name="Stranger")
    with pytest.raises(NotFound):
        group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=stranger.id)
    other_org = factories.make_organization()
    with pytest.raises(NotFound):
        group_booking.get_enrollment(world.enrollment.id, organization_id=other_org.id)
    with pytest.raises(NotFound):
        group_booking.get_enrollment(2**40)
    assert Appointment.select().count() == 0


def test_a_booking_takes_the_contracts_reserved_place_first(world):
    reservation = reserve(world.contract, world.slot, 2)
    for _ in range(3):  # the public fills the three unreserved places
        booking.book(Actor(), factories.make_client().id, world.slot.id, "BASIC")
    with pytest.raises(booking.PlaceTaken):
        booking.book(Actor(), factories.make_client().id, world.slot.id, "BASIC")
    book(world)
    slot, reservation = _reload(world.slot), _reload(reservation)
    assert (slot.booked, slot.reserved, reservation.remaining) == (4, 1, 1)
    book(world, enrollment=enroll(world.contract))
    assert (_reload(world.slot).reserved, _reload(reservation).remaining) == (0, 0)
    with pytest.raises(booking.PlaceTaken):
        book(world, enrollment=enroll(world.contract))  # the reservation is used up and the slot is full
    assert _reload(world.slot).booked == 5


def test_a_booking_takes_a_public_place_when_the_reservation_is_used_up_or_released(world):
    reservation = reserve(world.contract, world.slot, 1)
    ContractReservation.update(remaining=0, released_at=utcnow()).execute()
    Slot.update(reserved=0).execute()
    book(world)
    assert (_reload(world.slot).booked, _reload(reservation).remaining) == (1, 0)


def test_another_contracts_reservation_is_not_taken(world):
    rival = factories.make_contract(
        factories.make_organization(), categories=[{"label": "All", "package": world.basic}]
    )
    reserve(rival, world.slot, 5)  # the whole slot is held for the rival company
    with pytest.raises(booking.PlaceTaken):
        book(world)
    assert _reload(world.slot).reserved == 5


def test_free_places_exclude_reservations_except_for_the_contracts_employees(world):
    reserve(world.contract, world.slot, 2)
    public = dict((s.id, n) for s, n in availability.day_slots(world.day))
    own = dict((s.id, n) for s, n in availability.day_slots(world.day, reserved_for=world.contract.id))
    assert (public[world.slot.id], own[world.slot.id]) == (3, 5)
    month = (world.day.year, world.day.month)
    assert (
        availability.month_days(*month)[world.day] + 2
        == availability.month_days(*month, reserved_for=world.contract.id)[world.day]
    )


def test_capacity_never_goes_below_booked_held_and_reserved(world):
    reserve(world.contract, world.slot, 3)
    booking.book(Actor(), factories.make_client().id, world.slot.id, "BASIC")
    with pytest.raises(ValidationError, match="reserved for company contracts"):
        capacity.set_slot_capacity(Actor(), world.slot.id, 3)
    assert capacity.set_slot_capacity(Actor(), world.slot.id, 4).capacity == 4
    spec = [capacity.SlotSpec(world.slot.start_time, world.slot.end_time, 2)]
    counts = capacity.apply_template(Actor(), world.day, world.day, {world.day.weekday()}, spec, {})
    assert counts["kept"] == 1 and _reload(world.slot).capacity == 4
    assert capacity.month_calendar(world.day.year, world.day.month)[world.day.day - 1].booked == 4


def test_recount_restores_reserved_from_the_reservations(world):
    reserve(world.contract, world.slot, 2)
    Slot.update(reserved=0, booked=0).where(Slot.id == world.slot.id).execute()
    capacity.recount_booked()
    assert _reload(world.slot).reserved == 2


def test_the_waitlist_never_holds_a_reserved_place(world):
    reserve(world.contract, world.slot, 5)  # every place of the slot is reserved for the company
    assert waitlist._hold(_reload(world.slot), []) is False
    assert _reload(world.slot).held == 0


def test_rescheduling_stays_in_the_window_and_takes_a_reserved_place(world):
    appointment = book(world)
    inside = world.later_slot(1)
    reservation = reserve(world.contract, inside, 1)
    moved = group_booking.reschedule(Actor(), world.enrollment.id, inside.id, client_id=world.employee.id)
    assert moved.slot_id == inside.id
    assert (_reload(inside).booked, _reload(inside).reserved, _reload(reservation).remaining) == (1, 0, 0)
    assert _reload(world.slot).booked == 0  # the old place went back to the public pool
    GroupContract.update(window_end=inside.day).execute()
    outside = world.later_slot(2)
    with pytest.raises(ValidationError, match="booking window"):
        booking.reschedule(Actor(), appointment.id, outside.id, client_id=world.employee.id)
    assert _reload(appointment).slot_id == inside.id
    GroupContract.update(status="closed").execute()
    with pytest.raises(ValidationError, match="not open for changes"):
        booking.reschedule(Actor(), appointment.id, world.slot.id, staff=True)
    assert AuditEvent.select().where(AuditEvent.action == "group_booking.rescheduled").count() == 1


def test_hr_actions_are_audited_as_hr(world):
    hr = factories.make_user("hr", organization=world.organization)
    actor = Actor(hr, "10.0.0.1")
    appointment = group_booking.book(actor, world.enrollment.id, world.slot.id, organization_id=world.organization.id)
    group_booking.reschedule(actor, world.enrollment.id, world.slot2.id, organization_id=world.organization.id)
    group_booking.cancel(actor, world.enrollment.id, "Employee on leave", organization_id=world.organization.id)
    events = list(AuditEvent.select().where(AuditEvent.action.startswith("group_booking.")).order_by(AuditEvent.id))
    assert [e.action for e in events] == [
        "group_booking.booked",
        "group_booking.rescheduled",
        "group_booking.cancelled",
    ]
    assert all(e.user_id == hr.id and '"source": "hr"' in e.detail for e in events)
    assert appointment.booked_by_id == hr.id


def test_the_same_idempotency_key_books_once(world):
    first = book(world, idempotency_key="g-1")
    assert book(world, idempotency_key="g-1").id == first.id
    assert Appointment.select().count() == 1


def _race(app, calls):
    """Run the calls at once in threads, each with its own connection; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                results[index] = call()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                results[index] = exc
            finally:
                db.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_bookings_for_one_enrollment_at_once_make_one_appointment(app, world):
    other_day = world.later_slot(1)
    db.close()
    results = _race(app, [lambda: book(world), lambda: book(world, slot=other_day)])
    db.connect(reuse_if_open=True)
    booked = [r for r in results if isinstance(r, Appointment)]
    assert len(booked) == 1, results
    assert all(isinstance(r, (Conflict, ValidationError)) for r in results if r not in booked), results
    assert Appointment.select().count() == 1
    assert _reload(world.enrollment).appointment_id == booked[0].id


def test_employees_racing_for_reserved_places_never_exceed_them(app, world):
    Slot.update(capacity=3).where(Slot.id == world.slot.id).execute()
    reservation = reserve(world.contract, world.slot, 3)  # no public place left in the slot
    enrollments = [enroll(world.contract) for _ in range(8)]
    db.close()
    results = _race(app, [lambda e=e: book(world, enrollment=e) for e in enrollments])
    db.connect(reuse_if_open=True)
    won = [r for r in results if isinstance(r, Appointment)]
    assert len(won) == 3, results
    assert all(isinstance(r, booking.PlaceTaken) for r in results if r not in won), results
    slot = _reload(world.slot)
    assert (slot.booked, slot.reserved, _reload(reservation).remaining) == (3, 0, 0)
