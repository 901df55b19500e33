"""Front desk: find appointments, phone booking, staff cancel and reschedule (audited override)."""

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, AuditEvent
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    yield Center()
    assert_counters_consistent()


@pytest.fixture
def desk(make_user, login):
    user = make_user("scheduler")
    login(user)
    return user


def test_search_by_code_name_and_phone(client, center, desk):
    person = factories.make_client(name="赵六", phone="13911112222")
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    for query in (appointment.exam_code, "赵六", "1391111"):
        html = client.post("/desk/appointments", data={"q": query}).get_data(as_text=True)
        assert appointment.exam_code in html
    fragment = client.post("/desk/appointments", data={"q": "赵六"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "赵六" in fragment.get_data(as_text=True)


def test_the_search_is_posted_and_never_read_from_the_address(client, center, desk):
    person = factories.make_client(name="赵六", phone="13911112222")
    appointment = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    assert appointment.exam_code not in client.get("/desk/appointments?q=赵六").get_data(as_text=True)
    for page in ("/desk/appointments", "/desk"):
        html = client.get(page).get_data(as_text=True)
        form = html[html.rindex("<form", 0, html.index('role="search"') + 20) :]
        form = form[: form.index("</form>")]
        assert 'method="post" action="/desk/appointments"' in form and 'name="csrf_token"' in form
        assert "hx-get" not in form and "hx-push-url" not in form


def test_search_queries_do_not_grow(client, center, desk, count_queries):
    booking.book(Actor(), factories.make_client(name="Li A").id, center.slot.id, "BASIC")
    with count_queries() as few:
        client.post("/desk/appointments", data={"q": "Li"})
    for i in range(4):
        booking.book(Actor(), factories.make_client(name=f"Li {i}").id, center.slot2.id, "BASIC")
    with count_queries() as many:
        client.post("/desk/appointments", data={"q": "Li"})
    assert few.count == many.count


def test_phone_booking(client, center, desk):
    person = factories.make_client()
    page = client.get(f"/desk/clients/{person.id}/book?package=BASIC&day={center.day}")
    assert "08:00–09:00" in page.get_data(as_text=True)
    response = client.post(
        f"/desk/clients/{person.id}/book",
        data={"package": "BASIC", "slot": center.slot.id, "idempotency_key": "desk-1"},
    )
    assert response.status_code == 303
    appointment = Appointment.get(Appointment.client == person.id)
    assert appointment.source == "desk" and appointment.booked_by_id == desk.id
    bad = client.post(f"/desk/clients/{person.id}/book", data={"package": "MEN", "slot": center.slot.id})
    assert bad.status_code == 422
    assert client.get("/desk/clients/999999/book").status_code == 404


def test_staff_cancel_needs_reason_and_is_audited(client, center, desk):
    appointment = booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    client.post(f"/desk/appointments/{appointment.id}/cancel", data={"reason": ""})
    assert Appointment.get_by_id(appointment.id).status == "booked"
    client.post(f"/desk/appointments/{appointment.id}/cancel", data={"reason": "Client called"})
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    assert AuditEvent.select().where(AuditEvent.action == "booking.cancelled", AuditEvent.user == desk.id).exists()


def test_staff_reschedule(client, center, desk):
    appointment = booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    response = client.post(f"/desk/appointments/{appointment.id}/reschedule", data={"slot": center.slot2.id})
    assert response.status_code == 303
    assert Appointment.get_by_id(appointment.id).slot_id == center.slot2.id
    assert client.get("/desk/appointments/999999").status_code == 404


def test_clients_cannot_use_the_desk(client, center, make_user, login):
    client.post("/logout")
    login(make_user("client"))
    assert client.get("/desk/appointments").status_code == 403
