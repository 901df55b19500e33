"""Shared set-up for group booking tests: the booking Center plus a company contract and its roster."""

import datetime
import itertools
from decimal import Decimal

from checkup.models import ContractCategory, ContractReservation, Enrollment, Slot
from tests import factories
from tests.booking_helpers import Center

_numbers = itertools.count(1)


def enroll(contract, client=None, category=None, **fields):
    """An employee (a fresh client unless given) on the contract's roster, in its first category by default."""
    client = client or factories.make_client(name=f"Employee {next(_numbers)}", birth_date=datetime.date(1980, 1, 1))
    category = category or contract.categories.order_by(ContractCategory.position, ContractCategory.id).first()
    return Enrollment.create(
        contract=contract,
        client=client,
        category=category,
        employee_no=fields.pop("employee_no", f"E{next(_numbers):05d}"),
        **fields,
    )


def reserve(contract, slot, places):
    """Hold ``places`` of the slot for the contract, as the contract service does (reservation + counter)."""
    Slot.update(reserved=Slot.reserved + places).where(Slot.id == slot.id).execute()
    return ContractReservation.create(contract=contract, slot=slot, places=places, remaining=places)


class GroupCenter(Center):
    """The booking Center, one organization with an active contract (10 % off, window today … +60 days) whose
    category "Staff" books BASIC (100.00, company-paid, add-ons allowed), and an enrolled employee."""

    def __init__(self, discount="10", company_pays=True, addons_allowed=True, package=None, status="active", **center):
        super().__init__(**center)
        self.organization = factories.make_organization()
        self.contract = factories.make_contract(
            self.organization,
            status=status,
            discount_percent=Decimal(discount),
            categories=[
                {
                    "label": "Staff",
                    "package": package or self.basic,
                    "company_pays": company_pays,
                    "addons_allowed": addons_allowed,
                }
            ],
        )
        self.category = self.contract.categories.first()
        self.enrollment = enroll(self.contract)
        self.employee = self.enrollment.client

    def later_slot(self, days, start=datetime.time(8, 0), capacity=5):
        """A slot ``days`` after the center's day (no resource day: only packages without CT book there)."""
        return Slot.create(
            day=self.day + datetime.timedelta(days=days),
            start_time=start,
            end_time=datetime.time(start.hour + 1, start.minute),
            capacity=capacity,
        )
