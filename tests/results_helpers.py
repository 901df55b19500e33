"""Shared set-up for result tests: a small lab with ranges, a package using it, checked-in appointments."""

import datetime
from decimal import Decimal

from checkup.core.audit import Actor
from checkup.models import Appointment, Report
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center


class Lab:
    """LAB station: GLU (critical limits), HB (sex/age ranges), URO (choice); INT station: ABD (text)."""

    def __init__(self):
        self.center = Center(slot_capacity=50)
        self.lab = self.center.blood.department
        self.internal = factories.make_department("INT", name_en="Internal medicine")
        self.glu = factories.make_item("GLU", self.lab, unit="mmol/L", name_en="Fasting glucose")
        factories.make_range(self.glu, low="3.9", high="6.1", critical_low=Decimal("2.8"), critical_high=Decimal("25"))
        self.hb = factories.make_item("HB", self.lab, unit="g/L", name_en="Haemoglobin")
        factories.make_range(self.hb, low="110", high="160")
        factories.make_range(self.hb, sex="male", low="130", high="175", age_min=18)
        factories.make_range(self.hb, sex="female", low="115", high="150", age_min=18)
        self.urine = factories.make_item(
            "URO", self.lab, result_type="choice", choices="negative|trace|positive", name_en="Urine protein"
        )
        self.abdomen = factories.make_item("ABD", self.internal, result_type="text", name_en="Abdomen")
        self.package = factories.make_package("FULL", [self.glu, self.hb, self.urine, self.abdomen])
        self.physician = factories.make_user("physician", name="Dr. Lin")

    @property
    def actor(self):
        return Actor(self.physician, "127.0.0.1")

    def appointment(
        self, status="checked_in", sex="female", birth_date=datetime.date(1985, 6, 1), name="王芳", day=None
    ):
        client = factories.make_client(name=name, sex=sex, birth_date=birth_date)
        appointment = booking.book(Actor(), client.id, self.center.slot.id, "FULL")
        changes = {"status": status}
        if day is not None:
            changes["day"] = day
        Appointment.update(**changes).where(Appointment.id == appointment.id).execute()
        return Appointment.get_by_id(appointment.id)

    @staticmethod
    def sign(appointment, status="signed"):
        """Stand-in for the review service: a report version in ``status`` for the appointment."""
        return Report.create(appointment=appointment.id, status=status)
