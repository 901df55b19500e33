"""Small builders for the money tests: a booked client, a desk actor, a completed appointment, a group
contract with its employees' checkups."""

import datetime
from decimal import Decimal

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, AppointmentItem, Enrollment, Result, Slot
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.services.booking import booking
from checkup.services.groups import billing
from tests import factories
from tests.booking_helpers import Center


class Desk:
    """A center with packages, a front-desk cashier, a second staff member and a booked client."""

    def __init__(self, package="CT-PKG", addons=()):
        self.center = Center(slot_capacity=60, ct_capacity=60)
        self.cashier = factories.make_user("scheduler", email="cashier@example.com", name="收银员张")
        self.second = factories.make_user("admin", email="second@example.com", name="主管李")
        self.actor = Actor(self.cashier)
        self.client = factories.make_client(name="王芳", phone="13800138000", email="wangfang@example.com")
        self.appointment = booking.book(self.actor, self.client.id, self.center.slot.id, package, addon_codes=addons)

    def another(self, name="李雷", package="BASIC"):
        client = factories.make_client(name=name)
        return booking.book(self.actor, client.id, self.center.slot.id, package)

    def complete(self, appointment):
        Appointment.update(status=COMPLETED, live_day=None).where(Appointment.id == appointment.id).execute()
        return Appointment.get_by_id(appointment.id)

    def soon_slot(self, hours=3):
        """A slot starting ``hours`` from now (inside the cancellation cutoff)."""
        start = (clock.now() + datetime.timedelta(hours=hours)).replace(second=0, microsecond=0)
        day_ends = start.replace(hour=23, minute=59)
        if start > day_ends - datetime.timedelta(minutes=2):  # a slot must start before it ends, the same day
            start = day_ends - datetime.timedelta(minutes=2)
        # an hour long, or until the day ends (a slot starting at 23:10 cannot end at 00:10)
        end = min(start + datetime.timedelta(hours=1), day_ends)
        return Slot.create(day=start.date(), start_time=start.time(), end_time=end.time(), capacity=5)


class Contract:
    """Executive package (3 items, 900.00) and a standard one (400.00), 10% discount, no-shows at 50%; its
    employees' appointments are written straight to the models, today (``day``: another day)."""

    def __init__(self):
        lab = factories.make_department("LAB")
        self.ldl = factories.make_item("LDL", lab, price="500.00")
        self.ct = factories.make_item("CTX", lab, price="300.00")
        self.us = factories.make_item("US", lab, price="200.00")
        self.addon = factories.make_item("TUMOR", lab, price="120.00", name_en="Tumour markers")
        self.executive = factories.make_package("EXEC", [self.ldl, self.ct, self.us], price="900.00")
        self.standard = factories.make_package("STD", [self.ldl], price="400.00")
        self.contract = factories.make_contract(
            discount_percent=Decimal("10"),
            no_show_charge_percent=Decimal("50"),
            categories=[{"label": "Executives", "package": self.executive}],
        )
        self.category = self.contract.categories[0]
        self.today = clock.today()
        self.slot = Slot.create(
            day=self.today, start_time=datetime.time(0, 0), end_time=datetime.time(1, 0), capacity=50
        )
        self.finance = Actor(factories.make_user("admin", name="财务"))
        self._n = 0

    def slot_on(self, day):
        """A slot on ``day`` that is over by now when ``day`` is past (a no-show can be marked)."""
        return Slot.create(day=day, start_time=datetime.time(8, 0), end_time=datetime.time(9, 0), capacity=50)

    def employee(self, name, package, status=COMPLETED, done=None, addon=False, slot=None):
        """An employee's appointment under the contract. Completed or checked in: a result for each item in
        ``done`` (default: all), and for a checked-in one the others marked skipped (ready to sign)."""
        self._n += 1
        slot = slot or self.slot
        client = factories.make_client(name=name, organization=self.contract.organization)
        price = billing.category_price(package.price, self.contract.discount_percent)
        items = [self.ldl] if package == self.standard else [self.ldl, self.ct, self.us]
        appointment = Appointment.create(
            exam_code=f"S{self._n:05d}",
            client=client,
            slot=slot,
            day=slot.day,
            package=package,
            status=status,
            source="group",
            total_price=price + (Decimal("120.00") if addon else 0),
            company_amount=price,
            self_amount=Decimal("120.00") if addon else Decimal("0"),
        )
        for item in items:
            AppointmentItem.create(appointment=appointment, item=item, price=item.price, payer="company")
        if addon:
            AppointmentItem.create(
                appointment=appointment, item=self.addon, price=Decimal("120.00"), payer="self", is_addon=True
            )
        performed = items if done is None else done
        if status in (COMPLETED, CHECKED_IN):
            for item in performed:
                Result.create(appointment=appointment, item=item, value_text="ok")
        if status == CHECKED_IN:
            for item in [i for i in items if i not in performed] + ([self.addon] if addon else []):
                Result.create(appointment=appointment, item=item, skipped=True, skip_reason="declined")
        Enrollment.create(
            contract=self.contract,
            client=client,
            category=self.category,
            employee_no=f"E{self._n:03d}",
            appointment=appointment,
        )
        return appointment
