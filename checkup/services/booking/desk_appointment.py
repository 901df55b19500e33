"""What the front desk's appointment page (blueprints/desk/desk_booking.detail) shows of one appointment, read
as plain columns (#16): the appointment with its slot's times, its package's names and its client's name and
phone in one prepared select; its examinations' names with the resources they hold in another (the page lists
the one and looks for free times with the other). The same values services/mail/booking_mail's
``appointment_details`` and booking's ``resource_ids_of`` read, without building a model object per row."""

from typing import NamedTuple

from peewee import JOIN

from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, ExamItem, Package, Slot


class SlotTimes(NamedTuple):
    day: object
    start_time: object
    end_time: object


class Names(NamedTuple):
    """A package's or an examination's names (``core.i18n.localized`` reads them)."""

    name_en: str
    name_zh: str


class Person(NamedTuple):
    name: str
    phone: str


class DeskAppointment(NamedTuple):
    id: int
    exam_code: str
    status: str
    day: object
    total_price: object
    cancel_reason: str
    slot: SlotTimes
    package: Names | None
    client: Person


def _appointment_query(appointment_id):
    return (
        Appointment.select(
            Appointment.id,
            Appointment.exam_code,
            Appointment.status,
            Appointment.day,
            Appointment.total_price,
            Appointment.cancel_reason,
            Slot.day,
            Slot.start_time,
            Slot.end_time,
            Package.id,
            Package.name_en,
            Package.name_zh,
            Client.name,
            Client.phone,
        )
        .join(Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Client)
        .where(Appointment.id == appointment_id)
    )


def _items_query(appointment_id):
    # the order of booking_mail's items (department, then code)
    return (
        ExamItem.select(ExamItem.name_en, ExamItem.name_zh, AppointmentItem.resource)
        .join(AppointmentItem)
        .where(AppointmentItem.appointment == appointment_id)
        .order_by(ExamItem.department, ExamItem.code)
    )


_APPOINTMENT = PreparedSelect(_appointment_query, "checkup_desk_appointment")
_ITEMS = PreparedSelect(_items_query, "checkup_desk_appointment_items")


def appointment(appointment_id):
    """The appointment (DeskAppointment) or None."""
    rows = _APPOINTMENT.plain(appointment_id)
    if not rows:
        return None
    (pk, code, status, day, total, reason, slot_day, start, end, package_id, package_en, package_zh, name, phone) = (
        rows[0]
    )
    package = Names(package_en, package_zh) if package_id is not None else None
    return DeskAppointment(
        pk, code, status, day, total, reason, SlotTimes(slot_day, start, end), package, Person(name, phone)
    )


def items_and_resources(appointment_id):
    """([Names] of its examinations in department and code order, the sorted ids of the resources they hold)."""
    rows = _ITEMS.plain(appointment_id)
    return [Names(en, zh) for en, zh, _resource in rows], sorted({r for _en, _zh, r in rows if r is not None})
