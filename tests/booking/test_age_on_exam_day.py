"""Package and add-on eligibility go by the client's age on the exam day, not on the day they book: a client
whose 40th birthday falls between today and the checkup books a 40+ package for that day, and no longer an
"up to 39" one."""

import datetime

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, AppointmentAddon, Slot
from checkup.services.booking import booking
from checkup.services.catalog import packages
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def turning_40_in(days):
    """A client whose 40th birthday is ``days`` from today (a day that exists 40 years back: not 29 February)."""
    birthday = clock.today() + datetime.timedelta(days=days)
    while (birthday.month, birthday.day) == (2, 29):
        birthday += datetime.timedelta(days=1)
    born = birthday.replace(year=birthday.year - 40)
    return factories.make_client(name="周敏", sex="female", birth_date=born), birthday


@pytest.fixture
def center(app):
    center = Center(days_ahead=10)
    center.over_40 = factories.make_package("OVER40", [center.blood], price="200.00", age_min=40)
    center.under_40 = factories.make_package("UNDER40", [center.blood], price="150.00", age_max=39)
    dept = factories.make_department("LAB-BONE")
    center.dexa = factories.make_item("DEXA", dept, price="120.00")
    center.bone = factories.make_module("BONE", [center.dexa], price="120.00", age_min=40)
    center.client, center.birthday = turning_40_in(5)
    center.early = Slot.create(
        day=clock.today() + datetime.timedelta(days=2),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
    )
    return center


def test_a_client_turning_40_before_the_exam_day_books_the_40_plus_package_and_module(center):
    assert center.early.day < center.birthday <= center.day
    with pytest.raises(ValidationError):  # 39 today
        booking.quote(center.client, "OVER40")
    offer = booking.quote(center.client, "OVER40", ["BONE"], day=center.day)
    assert [m.module.code for m in offer.modules] == ["BONE"]

    appointment = booking.book(Actor(), center.client.id, center.slot.id, "OVER40", ["BONE"])
    assert appointment.package_id == center.over_40.id and appointment.day == center.day
    assert [a.module.code for a in AppointmentAddon.select().where(AppointmentAddon.appointment == appointment.id)] == [
        "BONE"
    ]


def test_before_the_birthday_the_40_plus_package_is_refused_and_nothing_is_written(center):
    with pytest.raises(ValidationError) as refused:
        booking.book(Actor(), center.client.id, center.early.id, "OVER40")
    assert "aged 40 and over" in str(refused.value.message)
    with pytest.raises(ValidationError) as refused:
        booking.book(Actor(), center.client.id, center.early.id, "BASIC", ["BONE"])
    assert "aged 40 and over" in str(refused.value.message) and "addons" in refused.value.field_errors
    assert Appointment.select().count() == 0 and Slot.get_by_id(center.early.id).booked == 0


def test_an_up_to_39_package_is_refused_for_a_day_after_the_birthday(center):
    booking.quote(center.client, "UNDER40")  # fine today
    with pytest.raises(ValidationError) as refused:
        booking.book(Actor(), center.client.id, center.slot.id, "UNDER40")
    assert "aged up to 39" in str(refused.value.message) and "package" in refused.value.field_errors
    assert Appointment.select().count() == 0 and Slot.get_by_id(center.slot.id).booked == 0
    early = booking.book(Actor(), center.client.id, center.early.id, "UNDER40")
    assert early.day == center.early.day


def test_offers_and_add_on_choices_follow_the_day(center):
    def eligible(day):
        return {o.package.code for o in packages.offers_for("female", center.client.birth_date, day) if o.eligible}

    assert "OVER40" not in eligible(None) and "UNDER40" in eligible(None)
    assert "OVER40" in eligible(center.day) and "UNDER40" not in eligible(center.day)
    assert "BONE" not in [m.code for m in booking.addon_choices(center.basic, center.client)]
    assert "BONE" not in [m.code for m in booking.addon_choices(center.basic, center.client, day=center.early.day)]
    assert "BONE" in [m.code for m in booking.addon_choices(center.basic, center.client, day=center.day)]


def test_the_desk_books_the_40_plus_package_for_a_day_after_the_birthday(client, center, make_user, login):
    login(make_user("scheduler"))
    page = client.get(f"/desk/clients/{center.client.id}/book?package=OVER40&day={center.day}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="OVER40"' in html and "BONE" in html
    today = client.get(f"/desk/clients/{center.client.id}/book").get_data(as_text=True)
    assert 'value="OVER40"' not in today and 'value="UNDER40"' in today
    booked = client.post(
        f"/desk/clients/{center.client.id}/book",
        data={"package": "OVER40", "slot": center.slot.id, "addons": ["BONE"], "idempotency_key": "age-1"},
    )
    assert booked.status_code == 303
    assert Appointment.get(Appointment.client == center.client.id).package_id == center.over_40.id
