"""Small builders for the money tests: a booked client, a desk actor, a completed appointment."""

import datetime

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, Slot
from checkup.models.appointments import COMPLETED
from checkup.services.booking import booking
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
        start = clock.now() + datetime.timedelta(hours=hours)
        return Slot.create(
            day=start.date(),
            start_time=start.time().replace(second=0, microsecond=0),
            end_time=(start + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
            capacity=5,
        )
