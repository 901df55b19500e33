"""Shared set-up for report tests: a checked-in client with results written straight to the model."""

import datetime
from decimal import Decimal

from checkup.core.audit import Actor
from checkup.models import Appointment, AppointmentItem, Result, Slot
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center


class ReportWorld:
    """A client (with an account) checked in for a four-item package; a physician to sign."""

    def __init__(self, name="王芳", email="wang@example.com"):
        self.center = Center()
        lab = self.center.blood.department
        chem = factories.make_department("CHEM", name_zh="生化")
        us = factories.make_department("US", name_zh="超声")
        self.glu = factories.make_item("GLU", chem, unit="mmol/L", name_en="Fasting glucose", name_zh="空腹血糖")
        self.alt = factories.make_item(
            "ALT", chem, unit="U/L", name_en="Alanine aminotransferase", name_zh="丙氨酸氨基转移酶"
        )
        self.liver = factories.make_item(
            "US-LIVER", us, result_type="text", name_en="Liver ultrasound", name_zh="肝脏超声"
        )
        self.wbc = self.center.blood
        self.lab = lab
        self.package = factories.make_package(
            "FULL", [self.wbc, self.glu, self.alt, self.liver], price="300.00", name_zh="全面体检"
        )
        self.client_user = factories.make_user(
            "client", email=email, client=factories.make_client(name=name, email=email)
        )
        self.client = self.client_user.client
        self.physician = factories.make_user("physician", email=f"doc-{email}", name="李医生")
        self.appointment = booking.book(Actor(), self.client.id, self.center.slot.id, "FULL")
        Appointment.update(status=CHECKED_IN).where(Appointment.id == self.appointment.id).execute()

    def result(
        self, item, value_num=None, value_text="", flag="N", low=None, high=None, appointment=None, skipped=False
    ):
        appointment = appointment or self.appointment
        return Result.create(
            appointment=appointment.id if hasattr(appointment, "id") else appointment,
            item=item,
            value_text=value_text if value_num is None else str(value_num),
            value_num=Decimal(str(value_num)) if value_num is not None else None,
            flag=flag,
            ref_low=Decimal(str(low)) if low is not None else None,
            ref_high=Decimal(str(high)) if high is not None else None,
            unit=item.unit,
            skipped=skipped,
            skip_reason="declined" if skipped else "",
        )

    def all_results(self):
        """WBC normal, GLU critical high, ALT mildly high, liver ultrasound abnormal text."""
        return [
            self.result(self.wbc, 6.2, low=3.5, high=9.5),
            self.result(self.glu, 25.1, flag="HH", low=3.9, high=6.1),
            self.result(self.alt, 52, flag="H", low=9, high=50),
            self.result(self.liver, value_text="Fatty liver, mild", flag="A"),
        ]

    def last_year(self, values):
        """A completed checkup a year earlier with ``values`` {item: number}; returns the appointment."""
        day = self.center.day - datetime.timedelta(days=365)
        slot = Slot.create(day=day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=5, booked=1)
        appointment = Appointment.create(
            exam_code=f"{day:%y%m%d}OLD{self.client.id:02d}",
            client=self.client,
            slot=slot,
            day=day,
            package=self.package,
            status=COMPLETED,
            total_price=Decimal("300"),
            self_amount=Decimal("300"),
        )
        for item, value in values.items():
            AppointmentItem.create(appointment=appointment, item=item, price=Decimal("10"))
            self.result(item, value, appointment=appointment, low=None, high=None)
        return appointment

    def actor(self, user=None):
        return Actor(user or self.physician, "127.0.0.1")

    def chief_user(self, email="chief@example.com", name="郑主任"):
        """A chief physician (主检医师), made on first use."""
        if getattr(self, "_chief", None) is None:
            self._chief = factories.make_user("chief", email=email, name=name)
        return self._chief

    def sign_stations(self, doctor=None, appointment=None):
        """Every station of the checkup signs its conclusion (written straight to the model)."""
        from checkup.models import ExamItem, StationConclusion
        from checkup.models.base import utcnow

        appointment = appointment or self.appointment
        doctor = doctor or self.physician
        departments = {
            item.department_id
            for item in ExamItem.select().join(AppointmentItem).where(AppointmentItem.appointment == appointment.id)
        }
        done = {
            c.department_id for c in StationConclusion.select().where(StationConclusion.appointment == appointment.id)
        }
        for department_id in sorted(departments - done):
            StationConclusion.create(
                appointment=appointment.id,
                department=department_id,
                text="未见明显异常。",
                status="signed",
                saved_by=doctor.id,
                signed_by=doctor.id,
                signed_at=utcnow(),
            )
