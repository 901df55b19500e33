"""Shared set-up for the HR roster tests: a company with a contract and employees in every state."""

import datetime
import itertools
import re
from decimal import Decimal

from checkup.core import clock
from checkup.models import Appointment, Enrollment
from checkup.models.appointments import LIVE_STATUSES
from checkup.models.base import utcnow
from tests import factories
from tests.booking_helpers import Center

_numbers = itertools.count(1)
INVITE_LINK = re.compile(r"/invite/([A-Za-z0-9_\-]+)")


class Roster:
    """An organization with an active contract (categories "Staff" and "Managers") and a helper that
    puts employees on its roster in a given state."""

    def __init__(self, organization=None, status="active", center=None, name="Acme Test Co", **contract_fields):
        self.center = center or Center(slot_capacity=200)
        self.org = organization or factories.make_organization(name)
        self.contract = factories.make_contract(
            self.org, status=status, categories=["Staff", "Managers"], **contract_fields
        )
        self.categories = {c.label: c for c in self.contract.categories}

    def employee(
        self,
        name,
        state="not_invited",
        department="Sales",
        category="Staff",
        email=True,
        employee_no=None,
        invited_at=None,
    ):
        """An employee on the roster: ``state`` is not_invited, invited, or an appointment status
        (booked, checked_in, completed, no_show, cancelled — a cancelled one was invited)."""
        n = next(_numbers)
        address = email if isinstance(email, str) else (f"employee{n}@example.com" if email else "")
        client = factories.make_client(name=name, email=address, organization=self.org)
        invited = None if state == "not_invited" else (invited_at or utcnow())
        appointment = None
        if state not in ("not_invited", "invited"):
            appointment = self.appointment(client, state)
        return Enrollment.create(
            contract=self.contract,
            client=client,
            category=self.categories[category],
            employee_no=employee_no or f"E{n:05d}",
            department=department,
            invited_at=invited,
            invite_count=1 if invited else 0,
            appointment=appointment,
        )

    def appointment(self, client, status):
        day = self.center.day
        return Appointment.create(
            exam_code=f"T{next(_numbers):08d}",
            client=client,
            slot=self.center.slot,
            day=day,
            live_day=day if status in LIVE_STATUSES else None,
            package=self.categories["Staff"].package,
            status=status,
            source="group",
            total_price=Decimal("300.00"),
            company_amount=Decimal("300.00"),
            self_amount=Decimal("0.00"),
        )


def move_clock(monkeypatch, **delta):
    """From now on the center's clock reads ``delta`` later than it did (calls add up)."""
    real = clock.now
    shift = datetime.timedelta(**delta)
    monkeypatch.setattr(clock, "now", lambda: real() + shift)


def invite_links(messages):
    """The invitation tokens in the given outbox messages, in order."""
    links = []
    for message in messages:
        found = INVITE_LINK.search(message.get_body(preferencelist=("plain",)).get_content())
        if found:
            links.append(found.group(1))
    return links
