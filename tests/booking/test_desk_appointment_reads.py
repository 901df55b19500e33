"""The desk's appointment page reads plain values (services/booking/desk_appointment, #16): the same the
page printed from booking_mail's model objects and booking's resource ids, for an appointment with and without a
package, with items holding resources and not, in each status."""

import pytest

from checkup.core.audit import Actor
from checkup.core.i18n import localized
from checkup.models import Appointment, AppointmentItem
from checkup.services.booking import booking, desk_appointment
from checkup.services.mail import booking_mail
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


def _as_printed(appointment):
    """What templates/desk/appointment.html and booking.cutoff_passed read of an appointment."""
    return (
        appointment.id,
        appointment.exam_code,
        appointment.status,
        appointment.day,
        appointment.total_price,
        appointment.cancel_reason,
        appointment.slot.day,
        appointment.slot.start_time,
        appointment.slot.end_time,
        localized(appointment.package),
        appointment.client.name,
        appointment.client.phone,
    )


@pytest.mark.parametrize("status", ["booked", "cancelled", "checked_in", "completed", "no_show"])
def test_plain_reads_are_what_the_model_reads_gave(app, status):
    center = Center()
    booked = booking.book(Actor(), factories.make_client(phone="555 <1>").id, center.slot.id, "BASIC")
    Appointment.update(status=status, cancel_reason="moved & <gone>").where(Appointment.id == booked.id).execute()
    other = booking.book(Actor(), factories.make_client().id, center.slot.id, "BASIC")
    Appointment.update(package=None).where(Appointment.id == other.id).execute()
    AppointmentItem.update(resource=None).where(AppointmentItem.appointment == other.id).execute()
    for appointment_id in (booked.id, other.id):
        model, model_items = booking_mail.appointment_details(appointment_id)
        plain = desk_appointment.appointment(appointment_id)
        assert _as_printed(plain) == _as_printed(model)
        assert [type(a) for a in _as_printed(plain)] == [type(a) for a in _as_printed(model)]
        items, resources = desk_appointment.items_and_resources(appointment_id)
        assert [(i.name_en, i.name_zh) for i in items] == [(i.name_en, i.name_zh) for i in model_items]
        assert resources == booking.resource_ids_of(appointment_id)
        assert booking.cutoff_passed(plain) == booking.cutoff_passed(model)
    assert desk_appointment.appointment(other.id).package is None
    assert desk_appointment.appointment(987654) is None
