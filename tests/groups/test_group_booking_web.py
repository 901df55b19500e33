"""Group booking pages: the employee's /me/group (list, choose, confirm with the price split) and HR's
on-behalf pages under /hr/employees/<id>/ — status and day only, audited, 404 for others' enrollments."""

import re

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, AuditEvent, GroupContract, Slot
from checkup.services.booking import booking
from checkup.services.groups import group_booking
from tests import factories
from tests.booking_helpers import assert_counters_consistent
from tests.group_booking_helpers import GroupCenter, enroll, reserve


@pytest.fixture
def world(app):
    yield GroupCenter()
    assert_counters_consistent()


@pytest.fixture
def employee(app, client, world):
    user = factories.make_user("client", client=world.employee, email="employee@example.com")
    factories.sign_in_directly(client, user)
    return user


@pytest.fixture
def hr(app, client, world):
    user = factories.make_user("hr", organization=world.organization, email="hr@example.com")
    factories.sign_in_directly(client, user)
    return user


def _text(response):
    return response.get_data(as_text=True)


# --- the employee ------------------------------------------------------------------------------------


def test_my_company_checkups_list_the_contract_and_what_the_company_pays(client, world, employee):
    html = _text(client.get("/me/group"))
    assert world.organization.name in html and world.contract.name in html and "Staff" in html
    assert "Package BASIC" in html and f"{world.contract.window_end.isoformat()}" in html
    assert "Not booked yet" in html and "Your company pays the package (¥90.00)" in html
    assert "10% off the list price of ¥100.00" in html
    assert f"/me/group/{world.enrollment.id}/book" in html
    assert "Company checkup" in _text(client.get("/me"))  # the navigation entry


def test_the_list_issues_a_fixed_number_of_queries(client, world, employee, count_queries):
    with count_queries() as one:
        client.get("/me/group")
    for days in (1, 2, 3):
        other = factories.make_contract(
            factories.make_organization(), categories=[{"label": "All", "package": world.basic}]
        )
        enrollment = enroll(other, client=world.employee)
        group_booking.book(Actor(), enrollment.id, world.later_slot(days).id, client_id=world.employee.id)
    with count_queries() as four:
        assert "Booked" in _text(client.get("/me/group"))
    assert one.count == four.count


def test_the_choose_page_offers_window_days_addons_and_the_split(client, world, employee):
    url = f"/me/group/{world.enrollment.id}/book?month={world.day:%Y-%m}&day={world.day}&addons=EYE"
    html = _text(client.get(url))
    assert "08:00–09:00" in html and f"/me/group/{world.enrollment.id}/confirm?slot={world.slot.id}" in html
    assert 'name="addons" value="EYE" checked' in html
    assert "¥90.00" in html and "¥15.00" in html  # company pays the package, the employee the add-on
    assert "10% off ¥100.00" in html
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in _text(fragment) and "¥15.00" in _text(fragment)


def test_reserved_places_show_as_free_to_the_contracts_employees_only(client, world, employee):
    Slot.update(capacity=2).where(Slot.id == world.slot.id).execute()
    reserve(world.contract, world.slot, 2)
    html = _text(client.get(f"/me/group/{world.enrollment.id}/book?day={world.day}"))
    assert f"confirm?slot={world.slot.id}" in html and "(2 free)" in html
    public = _text(client.get(f"/me/book/BASIC?day={world.day}"))
    assert f"slot={world.slot.id}" not in public


def test_addons_are_not_offered_when_the_category_refuses_them(app, client):
    world = GroupCenter(addons_allowed=False)
    factories.sign_in_directly(client, factories.make_user("client", client=world.employee))
    html = _text(client.get(f"/me/group/{world.enrollment.id}/book?day={world.day}&addons=EYE"))
    assert 'name="addons"' not in html and "does not include extra examinations" in html
    response = client.post(
        f"/me/group/{world.enrollment.id}/confirm?addons=EYE", data={"slot": world.slot.id, "idempotency_key": "x1"}
    )
    assert response.status_code == 422 and "does not include extra examinations" in _text(response)
    assert Appointment.select().count() == 0


def test_confirm_shows_the_split_and_books_into_my_appointments(client, world, employee, outbox):
    page = client.get(f"/me/group/{world.enrollment.id}/confirm?slot={world.slot.id}&addons=EYE")
    html = _text(page)
    assert page.status_code == 200 and "Your company pays" in html
    assert 'id="company-amount">¥90.00' in html and 'id="self-amount">¥15.00' in html
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', html).group(1)
    data = {"slot": world.slot.id, "idempotency_key": key}
    first = client.post(f"/me/group/{world.enrollment.id}/confirm?addons=EYE", data=data)
    again = client.post(f"/me/group/{world.enrollment.id}/confirm?addons=EYE", data=data)
    assert first.status_code == again.status_code == 303 and first.headers["Location"] == again.headers["Location"]
    appointment = Appointment.get()
    assert first.headers["Location"].endswith(f"/me/appointments/{appointment.id}")
    assert appointment.source == "group" and appointment.company_amount == 90
    assert appointment.exam_code in _text(client.get("/me/appointments"))
    assert "See my appointment" in _text(client.get("/me/group"))
    assert (
        AuditEvent.select().where(AuditEvent.action == "group_booking.booked", AuditEvent.user == employee.id).count()
        == 1
    )
    assert len(outbox()) == 1
    # booked: the choose page says so instead of offering times
    assert "Your checkup is booked for" in _text(client.get(f"/me/group/{world.enrollment.id}/book"))


def test_a_day_outside_the_window_is_refused_inline(client, world, employee):
    outside = world.later_slot(1)
    GroupContract.update(window_end=world.day).execute()
    response = client.post(
        f"/me/group/{world.enrollment.id}/confirm", data={"slot": outside.id, "idempotency_key": "k2"}
    )
    assert response.status_code == 303  # a slot the window does not offer: back to choosing, with the reason
    assert "booking window" in _text(client.get(response.headers["Location"]))
    assert Appointment.select().count() == 0
    GroupContract.update(status="closed").execute()
    refused = client.post(
        f"/me/group/{world.enrollment.id}/confirm", data={"slot": world.slot.id, "idempotency_key": "k3"}
    )
    assert refused.status_code == 422 and "not open for booking" in _text(refused)
    assert Appointment.select().count() == 0
    assert "not open for booking" in _text(client.get(f"/me/group/{world.enrollment.id}/book"))


def test_a_full_slot_answers_409_with_alternatives(client, world, employee):
    Slot.update(capacity=1).where(Slot.id == world.slot.id).execute()
    booking.book(Actor(), factories.make_client().id, world.slot.id, "BASIC")
    response = client.post(
        f"/me/group/{world.enrollment.id}/confirm", data={"slot": world.slot.id, "idempotency_key": "k4"}
    )
    assert response.status_code == 409 and "just filled up" in _text(response)
    assert f"confirm?slot={world.slot2.id}" in _text(response)


def test_another_employees_enrollment_answers_like_a_missing_one(client, world, employee):
    theirs = enroll(world.contract)
    for suffix in ("book", "confirm"):
        path, missing_path = f"/me/group/{theirs.id}/{suffix}", f"/me/group/987654/{suffix}"
        a, b = client.get(path), client.get(missing_path)
        assert a.status_code == b.status_code == 404
        assert factories.page_shape(a, path) == factories.page_shape(b, missing_path)
    assert client.post(f"/me/group/{theirs.id}/confirm", data={"slot": world.slot.id}).status_code == 404
    assert client.get(f"/me/group/{2**40}/book").status_code == 404
    assert Appointment.select().count() == 0


def test_rescheduling_from_my_appointments_keeps_the_window(client, world, employee):
    appointment = group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=world.employee.id)
    outside = world.later_slot(1)
    GroupContract.update(window_end=world.day).execute()
    response = client.post(f"/me/appointments/{appointment.id}/reschedule", data={"slot": outside.id})
    assert response.status_code == 200 and "booking window" in _text(response)
    assert Appointment.get_by_id(appointment.id).slot_id == world.slot.id
    moved = client.post(f"/me/appointments/{appointment.id}/reschedule", data={"slot": world.slot2.id})
    assert moved.status_code == 303 and Appointment.get_by_id(appointment.id).slot_id == world.slot2.id


# --- HR on the employee's behalf ----------------------------------------------------------------------


def test_hr_sees_status_and_day_but_no_examinations(client, world, hr):
    group_booking.book(Actor(), world.enrollment.id, world.slot.id, ["EYE"], client_id=world.employee.id)
    html = _text(client.get(f"/hr/employees/{world.enrollment.id}/booking"))
    assert world.employee.name in html and "Booked" in html and world.day.isoformat() in html
    assert "Package BASIC" in html
    assert "Item WBC" not in html and "Item EYE" not in html and "exam code" not in html.lower()


def test_hr_books_on_behalf_and_it_is_audited(client, world, hr):
    page = _text(client.get(f"/hr/employees/{world.enrollment.id}/booking?day={world.day}"))
    assert f'value="{world.slot.id}"' in page and "Not booked yet" in page
    response = client.post(
        f"/hr/employees/{world.enrollment.id}/book", data={"slot": world.slot.id, "idempotency_key": "hr-1"}
    )
    assert response.status_code == 303
    appointment = Appointment.get()
    assert appointment.booked_by_id == hr.id and appointment.company_amount == 90
    event = AuditEvent.get(AuditEvent.action == "group_booking.booked")
    assert event.user_id == hr.id and '"source": "hr"' in event.detail


def test_hr_reschedules_and_cancels_on_behalf(client, world, hr):
    group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=world.employee.id)
    page = _text(client.get(f"/hr/employees/{world.enrollment.id}/booking?day={world.day}"))
    assert f'value="{world.slot2.id}"' in page and f'id="move-slot-{world.slot.id}"' not in page
    moved = client.post(f"/hr/employees/{world.enrollment.id}/reschedule", data={"slot": world.slot2.id})
    assert moved.status_code == 303 and Appointment.get().slot_id == world.slot2.id
    no_reason = client.post(f"/hr/employees/{world.enrollment.id}/cancel", data={"reason": ""})
    assert no_reason.status_code == 422 and "field-error" in _text(no_reason)
    assert Appointment.get().status == "booked"
    cancelled = client.post(f"/hr/employees/{world.enrollment.id}/cancel", data={"reason": "On leave"})
    assert cancelled.status_code == 303 and Appointment.get().status == "cancelled"
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.user == hr.id).order_by(AuditEvent.id)]
    assert "group_booking.rescheduled" in actions and "group_booking.cancelled" in actions
    assert "Not booked yet" in _text(client.get(f"/hr/employees/{world.enrollment.id}/booking"))


def test_hr_errors_are_shown_inline_and_change_nothing(client, world, hr):
    outside = world.later_slot(1)
    GroupContract.update(window_end=world.day).execute()
    response = client.post(f"/hr/employees/{world.enrollment.id}/book", data={"slot": outside.id})
    assert response.status_code == 422 and "booking window" in _text(response)
    assert client.post(f"/hr/employees/{world.enrollment.id}/book", data={"slot": "x"}).status_code == 422
    assert client.post(f"/hr/employees/{world.enrollment.id}/book", data={"slot": 2**40}).status_code == 422
    bad_day = client.get(f"/hr/employees/{world.enrollment.id}/booking?day={outside.day}")
    assert bad_day.status_code == 200 and "Choose a day from" in _text(bad_day)
    assert client.get(f"/hr/employees/{world.enrollment.id}/booking?day=not-a-day").status_code == 200
    assert Appointment.select().count() == 0


def test_another_organizations_employee_is_not_found_for_hr(client, world, hr):
    other_contract = factories.make_contract(
        factories.make_organization(), categories=[{"label": "All", "package": world.basic}]
    )
    theirs = enroll(other_contract)
    path, missing_path = f"/hr/employees/{theirs.id}/booking", "/hr/employees/987654/booking"
    a, b = client.get(path), client.get(missing_path)
    assert a.status_code == b.status_code == 404 and factories.page_shape(a, path) == factories.page_shape(
        b, missing_path
    )
    for action in ("book", "reschedule", "cancel"):
        assert (
            client.post(f"/hr/employees/{theirs.id}/{action}", data={"slot": world.slot.id, "reason": "x"}).status_code
            == 404
        )
    assert Appointment.select().count() == 0


def test_employees_and_hr_cannot_use_each_others_pages(client, world, employee):
    assert client.get(f"/hr/employees/{world.enrollment.id}/booking").status_code == 403
    hr_user = factories.make_user("hr", organization=world.organization)
    factories.sign_in_directly(client, hr_user)
    assert client.get("/me/group").status_code == 403


def test_after_the_cutoff_hr_is_sent_to_the_center(app, client, world, hr):
    group_booking.book(Actor(), world.enrollment.id, world.slot.id, client_id=world.employee.id)
    app.config["BOOKING_CUTOFF_HOURS"] = 24 * 30  # the center's day (3 days ahead) is now inside the cutoff
    html = _text(client.get(f"/hr/employees/{world.enrollment.id}/booking"))
    assert "call the center" in html and 'name="reason"' not in html
    response = client.post(f"/hr/employees/{world.enrollment.id}/cancel", data={"reason": "On leave"})
    assert response.status_code == 403 and "call the center" in _text(response)
    assert Appointment.get().status == "booked"
