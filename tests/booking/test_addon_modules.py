"""Booking sells add-on modules (not single analytes), fit for the client's sex and age, checked on the
server; and a client holds one upcoming individual checkup unless the desk books a second one on purpose."""

import datetime
from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, AppointmentAddon, AppointmentItem, AuditEvent, Slot
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    center = Center()
    dept = factories.make_department("LAB-TUMOR")
    center.psa = factories.make_item("TPSA", dept, price="80.00", sex="male")
    center.fpsa = factories.make_item("FPSA", dept, price="80.00", sex="male")
    center.ca125 = factories.make_item("CA125", dept, price="90.00", sex="female")
    center.afp = factories.make_item("AFP", dept, price="60.00")
    center.prostate = factories.make_module("PROSTATE", [center.psa, center.fpsa], price="128.00", sex="male")
    center.tumour_f = factories.make_module("TUMOR-F", [center.ca125, center.afp], price="120.00", sex="female")
    # a module half of which the package already has: only the other half is sold, at half the price
    center.blood_plus = factories.make_module("BLOOD-PLUS", [center.blood, center.afp], price="40.00")
    center.later = Slot.create(
        day=center.day + datetime.timedelta(days=7),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
    )
    return center


def woman():
    return factories.make_client(name="李娜", sex="female", birth_date=datetime.date(1980, 1, 1))


def man():
    return factories.make_client(name="王伟", sex="male", birth_date=datetime.date(1970, 1, 1))


def test_a_woman_cannot_book_the_prostate_module_and_nothing_is_written(center):
    with pytest.raises(ValidationError) as refused:
        booking.book(Actor(), woman().id, center.slot.id, "BASIC", ["PROSTATE"])
    assert "for men only" in str(refused.value.message)
    assert "addons" in refused.value.field_errors
    assert Appointment.select().count() == 0 and Slot.get_by_id(center.slot.id).booked == 0


def test_modules_on_offer_fit_the_client_and_add_something_to_the_package(center):
    basic = center.basic
    assert [m.code for m in booking.addon_choices(basic, woman())] == ["BLOOD-PLUS", "EYE", "TUMOR-F"]
    assert [m.code for m in booking.addon_choices(basic, man())] == ["BLOOD-PLUS", "EYE", "PROSTATE"]
    (blood_plus,) = [m for m in booking.addon_choices(basic, man()) if m.code == "BLOOD-PLUS"]
    assert blood_plus.offered_price == Decimal("30.00")  # AFP's share (60 of 80) of the module's 40
    assert [i.code for i in blood_plus.offered_items] == ["AFP"]


def test_a_module_books_its_items_with_prices_that_add_up_to_the_module(center):
    appointment = booking.book(Actor(), woman().id, center.slot.id, "BASIC", ["TUMOR-F", "BLOOD-PLUS"])
    addons = {
        a.module.code: a.price for a in AppointmentAddon.select().where(AppointmentAddon.appointment == appointment.id)
    }
    # in code order: BLOOD-PLUS adds AFP (the package has WBC), so TUMOR-F adds CA125 alone, at its share
    assert addons == {"BLOOD-PLUS": Decimal("30.00"), "TUMOR-F": Decimal("72.00")}
    rows = {
        r.item.code: (r.price, r.is_addon)
        for r in AppointmentItem.select().where(AppointmentItem.appointment == appointment.id)
    }
    assert rows == {
        "WBC": (Decimal("20.00"), False),
        "AFP": (Decimal("30.00"), True),
        "CA125": (Decimal("72.00"), True),
    }
    assert Appointment.get_by_id(appointment.id).total_price == Decimal("100.00") + Decimal("102.00")
    (event,) = AuditEvent.select().where(AuditEvent.action == "booking.booked")
    assert "TUMOR-F" in event.detail


def test_single_analytes_are_no_longer_sold_as_addons(center):
    with pytest.raises(ValidationError, match="cannot be added to this package: CA125"):
        booking.quote(woman(), "BASIC", ["CA125"])


def test_a_module_the_package_already_holds_is_refused(center):
    factories.make_module("WBC-ONLY", [center.blood], price="10.00")
    with pytest.raises(ValidationError, match="already includes everything"):
        booking.quote(woman(), "BASIC", ["WBC-ONLY"])


def test_a_package_item_for_the_other_sex_is_left_out(center):
    factories.make_package("ANY", [center.blood, center.psa], price="150.00")
    assert [line.item.code for line in booking.quote(woman(), "ANY").lines] == ["WBC"]
    assert sorted(line.item.code for line in booking.quote(man(), "ANY").lines) == ["TPSA", "WBC"]


def test_an_age_limited_module_is_refused_to_a_younger_client(center):
    young = factories.make_module("SENIOR", [center.afp], price="50.00", age_min=60)
    with pytest.raises(ValidationError, match="aged 60 and over"):
        booking.quote(woman(), "BASIC", [young.code])


# --- one upcoming individual checkup ---------------------------------------------------------------------


def test_a_client_cannot_book_a_second_upcoming_checkup(center):
    person = woman()
    first = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    with pytest.raises(ValidationError) as refused:
        booking.book(Actor(), person.id, center.later.id, "BASIC")
    assert f"already have an upcoming checkup on {first.day.isoformat()}" in str(refused.value.message)
    assert Appointment.select().count() == 1 and Slot.get_by_id(center.later.id).booked == 0


def test_after_cancelling_the_client_may_book_again(center):
    person = woman()
    first = booking.book(Actor(), person.id, center.slot.id, "BASIC")
    booking.cancel(Actor(), first.id, "schedule", client_id=person.id)
    assert booking.book(Actor(), person.id, center.later.id, "BASIC").day == center.later.day


def test_the_desk_books_a_second_checkup_only_with_the_override_and_it_is_audited(center):
    person = woman()
    first = booking.book(Actor(), person.id, center.slot.id, "BASIC", source="desk")
    with pytest.raises(ValidationError, match="tick “Book a second checkup”"):
        booking.book(Actor(), person.id, center.later.id, "BASIC", source="desk")
    second = booking.book(Actor(), person.id, center.later.id, "BASIC", source="desk", allow_second=True)
    (event,) = AuditEvent.select().where(AuditEvent.action == "booking.second_checkup_override")
    assert event.object_id == str(second.id) and str(first.id) in event.detail


def test_a_company_checkup_does_not_count_as_the_upcoming_individual_one(center):
    person = woman()
    booking.book(Actor(), person.id, center.slot.id, "BASIC", source="group")
    assert booking.book(Actor(), person.id, center.later.id, "BASIC").source == "individual"


def test_the_desk_booking_page_offers_modules_and_the_override_checkbox(client, center, make_user, login):
    login(make_user("scheduler"))
    person = woman()
    booking.book(Actor(), person.id, center.slot.id, "BASIC")
    page = client.get(f"/desk/clients/{person.id}/book?package=BASIC&day={center.later.day}").get_data(as_text=True)
    assert 'name="allow_second"' in page and 'value="TUMOR-F"' in page and 'value="PROSTATE"' not in page
    data = {"package": "BASIC", "slot": center.later.id, "idempotency_key": "k1", "addons": ["TUMOR-F"]}
    refused = client.post(f"/desk/clients/{person.id}/book", data=data)
    assert refused.status_code == 422 and "already has an upcoming checkup" in refused.get_data(as_text=True)
    done = client.post(f"/desk/clients/{person.id}/book", data=dict(data, allow_second="y"))
    assert done.status_code == 303
    second = Appointment.get(Appointment.slot == center.later.id)
    assert [a.module.code for a in second.addons] == ["TUMOR-F"]
    assert AuditEvent.select().where(AuditEvent.action == "booking.second_checkup_override").count() == 1
