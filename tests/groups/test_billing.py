"""The billing statement: completed checkups at the discounted category price, no-shows per the contract,
self-paid add-ons apart, one line per employee, Decimal to the cent."""

from decimal import Decimal

import pytest

from checkup.models.appointments import COMPLETED, NO_SHOW
from checkup.services.groups import billing
from tests import factories
from tests.group_documents_helpers import GroupWorld

pytestmark = pytest.mark.both_dbs


def by_label(data):
    return {c["label"]: c for c in data["categories"]}


def test_completed_checkups_and_no_shows_at_the_contract_prices(app):
    world = GroupWorld(discount="10.00", no_show_percent="50.00")
    data = billing.statement_data(world.contract.id)
    staff, management = by_label(data)["Staff"], by_label(data)["Management"]

    assert (staff["unit_price"], staff["completed"], staff["completed_amount"]) == (
        Decimal("270.00"),
        32,
        Decimal("8640.00"),
    )
    assert (staff["no_show_price"], staff["no_shows"], staff["no_show_amount"]) == (
        Decimal("135.00"),
        1,
        Decimal("135.00"),
    )
    # 555.55 less 10% is 499.995: half-up to the cent
    assert (management["unit_price"], management["completed"], management["amount"]) == (
        Decimal("500.00"),
        4,
        Decimal("2000.00"),
    )
    assert data["totals"] == {
        "completed": 36,
        "no_shows": 1,
        "completed_amount": Decimal("10640.00"),
        "no_show_amount": Decimal("135.00"),
        "company": Decimal("10775.00"),
        "self_paid": Decimal("0.00"),
    }
    assert sum(line["amount"] for line in data["lines"]) == data["totals"]["company"]


def test_one_line_per_employee_with_status_and_company_amount(app):
    world = GroupWorld()
    data = billing.statement_data(world.contract.id)
    assert len(data["lines"]) == 39
    lines = {line["employee_no"]: line for line in data["lines"]}
    no_show, booked, not_booked = (lines[e.employee_no] for e in (world.no_show, world.booked, world.not_booked))
    assert (no_show["status_label"], no_show["amount"], no_show["date"]) == (
        "No-show",
        Decimal("135.00"),
        world.day.isoformat(),
    )
    assert (booked["status_label"], booked["amount"]) == ("Booked", Decimal("0.00"))
    assert (not_booked["status_label"], not_booked["amount"], not_booked["date"]) == ("Not booked", Decimal("0.00"), "")
    first = lines["E001"]
    assert {k: first[k] for k in ("name", "department", "category", "status_label", "amount")} == {
        "name": "Employee 01",
        "department": "Lab",
        "category": "Staff",
        "status_label": "Completed",
        "amount": Decimal("270.00"),
    }


def test_self_paid_add_ons_are_listed_apart_and_never_in_the_company_total(app):
    world = GroupWorld()
    before = billing.statement_data(world.contract.id)["totals"]["company"]
    world.add_self_paid_addon(world.completed[0], "120.00")
    world.add_self_paid_addon(world.completed[1], "85.50")
    no_show_appointment = world.no_show.appointment
    world.add_self_paid_addon(no_show_appointment, "99.00")  # not performed: nothing to list

    data = billing.statement_data(world.contract.id)
    assert data["totals"]["company"] == before
    assert data["totals"]["self_paid"] == Decimal("205.50")
    # HR sees the add-ons in total only: who bought extra tests would hint at their health
    assert data["self_paid"] == {"employees": 2, "count": 2, "amount": Decimal("205.50")}
    # billing names people and money, never an exam: the add-on's name is nowhere in the statement
    assert "Tumour markers" not in repr(data)


def test_a_category_the_company_does_not_pay_costs_it_nothing(app):
    world = GroupWorld(no_show_percent="100.00")
    world.employee("30–39", "female", category=world.interns, status=COMPLETED)
    world.employee("40–49", "male", category=world.interns, status=NO_SHOW)
    interns = by_label(billing.statement_data(world.contract.id))["Interns"]
    assert (interns["completed"], interns["no_shows"], interns["amount"]) == (1, 1, Decimal("0.00"))


@pytest.mark.parametrize(
    "list_price, discount, no_show_percent, unit, no_show",
    [
        ("555.55", "12.50", "33.33", "486.11", "162.02"),
        ("300.00", "0", "0", "300.00", "0.00"),
        ("199.99", "100", "50", "0.00", "0.00"),
        ("0.05", "50", "50", "0.03", "0.02"),  # 0.025 and 0.015 round half-up
    ],
)
def test_prices_round_half_up_to_the_cent(list_price, discount, no_show_percent, unit, no_show):
    price = billing.category_price(Decimal(list_price), Decimal(discount))
    assert price == Decimal(unit) and price.as_tuple().exponent == -2
    assert billing.no_show_charge(price, Decimal(no_show_percent)) == Decimal(no_show)


def test_a_statement_exists_once_the_contract_was_activated(app):
    assert billing.can_bill(factories.make_contract(status="draft")) is False
    assert billing.can_bill(factories.make_contract(status="active")) is True
    assert billing.can_bill(factories.make_contract(status="closed")) is True
