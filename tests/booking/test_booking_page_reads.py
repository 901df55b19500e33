"""The booking pages read what they show and no more (#16): a contract's reserved places from a prepared read, the
desk's appointment page from one read of the appointment (a missing one the same 404 as before), and
HR's page for a checkup done reads no month of free days and builds no form it does not show."""

import datetime

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, ContractReservation, Slot
from checkup.services.booking import availability, booking
from checkup.services.groups import group_booking
from tests import factories
from tests.booking_helpers import Center
from tests.group_booking_helpers import GroupCenter, reserve

pytestmark = pytest.mark.both_dbs


def test_the_reserved_places_left_are_those_the_query_finds(app):
    world = GroupCenter()
    other = factories.make_contract(
        factories.make_organization(), categories=[{"label": "All", "package": world.basic}]
    )
    later = world.later_slot(3)
    reserve(world.contract, world.slot, 2)
    reserve(world.contract, later, 1)
    reserve(other, world.slot2, 4)
    used_up = reserve(world.contract, world.slot2, 1)
    ContractReservation.update(remaining=0).where(ContractReservation.id == used_up.id).execute()

    assert availability._reserved_left(world.contract.id, world.day, world.day) == {world.slot.id: 2}
    assert availability._reserved_left(world.contract.id, world.day, later.day) == {world.slot.id: 2, later.id: 1}
    assert availability._reserved_left(world.contract.id, later.day, later.day) == {later.id: 1}
    assert availability._reserved_left(world.contract.id, world.day - datetime.timedelta(days=9), world.day) == {
        world.slot.id: 2
    }
    assert availability._reserved_left(None, world.day, later.day) == {}
    free = dict((slot.id, places) for slot, places in availability.day_slots(world.day, (), world.contract.id))
    assert free[world.slot.id] == Slot.get_by_id(world.slot.id).free + 2


def test_the_desk_reads_an_appointment_once_and_a_missing_one_is_the_same_404(app, client, count_queries):
    center = Center()
    scheduler = factories.make_user("scheduler", email="desk@example.com")
    factories.sign_in_directly(client, scheduler)
    appointment = booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    client.get(f"/desk/appointments/{appointment.id}")
    with count_queries() as counted:
        page = client.get(f"/desk/appointments/{appointment.id}")
    assert page.status_code == 200 and appointment.exam_code in page.get_data(as_text=True)
    # the session, the appointment with its slot, package and client, its items with their resources, the day's
    # times (services/booking/desk_appointment)
    assert len(counted.queries) == 4, counted.queries
    missing, forged = client.get("/desk/appointments/987654"), client.get(f"/desk/appointments/{2**40}")
    assert missing.status_code == forged.status_code == 404
    assert "We could not find that appointment." in missing.get_data(as_text=True)


def test_the_desk_reads_no_times_for_an_appointment_that_cannot_move(app, client, count_queries):
    """Checked in, completed, cancelled: nothing to move or cancel, so neither the times nor a form."""
    from checkup.models import Appointment

    center = Center()
    factories.sign_in_directly(client, factories.make_user("scheduler", email="desk@example.com"))
    appointment = booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    Appointment.update(status="checked_in").where(Appointment.id == appointment.id).execute()
    client.get(f"/desk/appointments/{appointment.id}")
    with count_queries() as counted:
        page = client.get(f"/desk/appointments/{appointment.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and appointment.exam_code in text
    assert "Move to another time" not in text and "Guide sheet (PDF)" in text
    # the session, the appointment with its slot, package and client, its items
    assert len(counted.queries) == 3, counted.queries


@pytest.fixture
def world(app):
    return GroupCenter()


@pytest.fixture
def hr(app, client, world):
    user = factories.make_user("hr", organization=world.organization, email="hr@example.com")
    factories.sign_in_directly(client, user)
    return user


def test_hr_page_of_a_checkup_done_reads_no_free_days_and_shows_no_form(client, world, hr, count_queries):
    group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=world.employee.id)
    Appointment.update(status="completed").execute()
    path = f"/hr/employees/{world.enrollment.id}/booking"
    client.get(path)
    with count_queries() as counted:
        page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Completed" in html
    assert "<form" not in html.split('<main id="main"')[1].split("</main>")[0]
    assert not [q for q in counted.queries if '"slot"' in q or "resource_day" in q or "contract_reservation" in q]


def test_hr_page_of_a_booked_checkup_still_offers_the_days_times_and_forms(client, world, hr):
    group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=world.employee.id)
    html = client.get(f"/hr/employees/{world.enrollment.id}/booking").get_data(as_text=True)
    assert 'id="move-heading"' in html and 'name="reason"' in html and 'type="date"' in html
    assert f'value="{world.slot2.id}"' in html and f'id="move-slot-{world.slot.id}"' not in html
