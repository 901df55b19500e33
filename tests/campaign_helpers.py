"""Set-up for consent and campaign tests: clients with consents, past checkups, reports with findings."""

import datetime
import itertools
from decimal import Decimal

from checkup.core import audit
from checkup.models import Appointment, Finding, Report, Slot
from checkup.models.appointments import COMPLETED
from checkup.models.care import MARKETING_EMAIL
from checkup.services.accounts import consents
from checkup.services.care import client_facts
from tests import factories

_codes = itertools.count(1)


def consenting_client(name="王芳", email=None, purposes=(MARKETING_EMAIL,), source="registration", **fields):
    """A client with an email who said yes to ``purposes`` (recorded like a registration)."""
    n = next(_codes)
    client = factories.make_client(name=name, email=email if email is not None else f"client{n}@example.com", **fields)
    if purposes:
        consents.record_changes(audit.SYSTEM, client.id, {p: True for p in purposes}, source)
    return client


def checkup(client, day, status=COMPLETED, created_at=None):
    """An appointment of ``client`` on ``day`` (completed unless told), written straight to the model."""
    slot, _ = Slot.get_or_create(
        day=day, start_time=datetime.time(8, 0), defaults={"end_time": datetime.time(9, 0), "capacity": 100}
    )
    values = {
        "exam_code": f"C{next(_codes):08d}",
        "client": client,
        "slot": slot,
        "day": day,
        "status": status,
        "total_price": Decimal("300.00"),
        "self_amount": Decimal("300.00"),
    }
    if created_at is not None:
        values["created_at"] = created_at
    appointment = Appointment.create(**values)
    client_facts.refresh([appointment.client_id])  # written straight to the table: the facts follow by hand
    return appointment


def signed_report(client, day, items_with_findings=(), status="published"):
    """A completed checkup on ``day`` whose report in force has a finding on each of ``items_with_findings``."""
    appointment = checkup(client, day)
    report = Report.create(
        appointment=appointment, status=status, signed_at=datetime.datetime(day.year, day.month, day.day, 10)
    )
    for item in items_with_findings:
        Finding.create(report=report, item=item, text=f"{item.code} abnormal", level="C")
    client_facts.refresh([appointment.client_id])
    return report
