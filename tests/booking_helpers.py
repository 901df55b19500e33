"""Shared set-up for booking tests: a small center with one package, one CT item and open days."""

import datetime

from checkup.core import clock
from checkup.models import Appointment, AppointmentItem, ResourceDay, Slot, WaitlistEntry
from checkup.models.appointments import PLACE_STATUSES
from tests import factories


class Center:
    def __init__(self, slot_capacity=5, ct_capacity=3, days_ahead=3):
        self.ct = factories.make_resource("CT", capacity=ct_capacity)
        dept = factories.make_department("LAB")
        self.blood = factories.make_item("WBC", dept, price="20.00", prep_note_en="Fast 8 hours.")
        self.ct_item = factories.make_item(
            "CT-CHEST", dept, price="300.00", resource=self.ct, prep_note_en="Remove metal objects."
        )
        self.eye = factories.make_item("EYE", dept, price="15.00", prep_note_en="Fast 8 hours.")
        self.eye_module = factories.make_module("EYE", [self.eye], price="15.00")  # the add-on sold
        self.basic = factories.make_package("BASIC", [self.blood], price="100.00")
        self.with_ct = factories.make_package("CT-PKG", [self.blood, self.ct_item], price="380.00")
        self.men = factories.make_package("MEN", [self.blood], price="90.00", sex="male")
        self.day = clock.today() + datetime.timedelta(days=days_ahead)
        self.slot = Slot.create(
            day=self.day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=slot_capacity
        )
        self.slot2 = Slot.create(
            day=self.day, start_time=datetime.time(9, 0), end_time=datetime.time(10, 0), capacity=slot_capacity
        )
        self.ct_day = ResourceDay.create(resource=self.ct, day=self.day, capacity=ct_capacity)


def assert_counters_consistent():
    """Every booked/held counter equals the appointments holding a place (booked, checked in, completed)
    and the waitlist offers holding one; every slot's reserved counter equals the places its group
    reservations still hold."""
    from checkup.models import ContractReservation

    for slot in Slot.select():
        live = Appointment.select().where(Appointment.slot == slot.id, Appointment.status.in_(PLACE_STATUSES)).count()
        held = WaitlistEntry.select().where(WaitlistEntry.slot == slot.id, WaitlistEntry.status == "offered").count()
        reserved = sum(
            r.remaining
            for r in ContractReservation.select().where(
                ContractReservation.slot == slot.id, ContractReservation.released_at.is_null()
            )
        )
        assert (slot.booked, slot.held, slot.reserved) == (live, held, reserved), f"slot {slot.id} on {slot.day}"
        assert slot.booked + slot.held + slot.reserved <= slot.capacity
    for row in ResourceDay.select():
        live = (
            Appointment.select()
            .join(AppointmentItem)
            .where(
                Appointment.day == row.day,
                Appointment.status.in_(PLACE_STATUSES),
                AppointmentItem.resource == row.resource_id,
            )
            .distinct()
            .count()
        )
        held = sum(
            1
            for e in WaitlistEntry.select().where(WaitlistEntry.day == row.day, WaitlistEntry.status == "offered")
            if str(row.resource_id) in e.held_resources.split(",")
        )
        assert (row.booked, row.held) == (live, held), f"resource {row.resource_id} on {row.day}"
        assert row.booked + row.held <= row.capacity
