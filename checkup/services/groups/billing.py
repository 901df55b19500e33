"""The billing statement of a group contract: what the company owes, employee by employee.

The company pays, for each employee of a category it pays for, the category's package price less the
contract discount when the checkup is completed, and ``no_show_charge_percent`` of that price for a
no-show. Add-ons the employees paid themselves are listed apart and never enter the company's total.
Amounts are Decimal, rounded half-up to 2 places per line; totals are sums of the rounded lines.
Billing is not health data: lines name the employee, never an exam item or a result.
"""

from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core.labels import choice_label
from checkup.models import Appointment, AppointmentItem, Client, ContractCategory, Enrollment, Package
from checkup.models.appointments import COMPLETED, NO_SHOW
from checkup.models.groups import ACTIVE, CLOSED
from checkup.services.groups.group_summary import get_contract

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value):
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def category_price(list_price, discount_percent):
    """The package price with the contract discount, to the cent."""
    return money(Decimal(list_price) * (HUNDRED - Decimal(discount_percent or 0)) / HUNDRED)


def no_show_charge(unit_price, charge_percent):
    return money(Decimal(unit_price) * Decimal(charge_percent or 0) / HUNDRED)


def can_bill(contract):
    """A statement exists once the contract was activated (active or closed)."""
    return contract.status in (ACTIVE, CLOSED) and contract.activated_at is not None


def status_label(status):
    if not status:
        return str(_l("Not booked"))
    return str(choice_label("appointment_status", status))


def _package_name(package):
    chinese = str(get_locale() or "").startswith("zh")
    return package.name_zh if chinese and package.name_zh else package.name_en


def _categories(contract):
    rows = (
        ContractCategory.select(ContractCategory, Package)
        .join(Package)
        .where(ContractCategory.contract == contract.id)
        .order_by(ContractCategory.position, ContractCategory.id)
    )
    categories = {}
    for category in rows:
        unit = category_price(category.package.price, contract.discount_percent) if category.company_pays else ZERO
        categories[category.id] = {
            "id": category.id,
            "label": category.label,
            "package": _package_name(category.package),
            "list_price": money(category.package.price),
            "company_pays": category.company_pays,
            "unit_price": unit,
            "no_show_price": no_show_charge(unit, contract.no_show_charge_percent),
            "completed": 0,
            "completed_amount": ZERO,
            "no_shows": 0,
            "no_show_amount": ZERO,
            "amount": ZERO,
        }
    return categories


def _self_paid_addons(contract_id):
    """{appointment id: (number of add-ons, amount)} the employee paid for, on completed checkups."""
    completed = (
        Enrollment.select(Enrollment.appointment)
        .join(Appointment, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract_id, Appointment.status == COMPLETED)
    )
    rows = (
        AppointmentItem.select(AppointmentItem.appointment, AppointmentItem.price)
        .where(
            AppointmentItem.appointment.in_(completed),
            AppointmentItem.is_addon == True,
            AppointmentItem.payer == "self",
        )
        .tuples()
    )
    paid = {}
    for appointment_id, price in rows:  # summed as Decimal here: SQLite's SUM would answer a float
        count, amount = paid.get(appointment_id, (0, ZERO))
        paid[appointment_id] = (count + 1, amount + money(price))
    return paid


def statement_data(contract_id):
    """Plain data of the statement of contract ``contract_id``; raises NotFound for a missing contract."""
    contract = get_contract(contract_id)
    categories = _categories(contract)
    addons = _self_paid_addons(contract.id)
    query = (
        Enrollment.select(
            Enrollment.employee_no.alias("employee_no"),
            Enrollment.department.alias("department"),
            Enrollment.category.alias("category"),
            Client.name.alias("name"),
            Appointment.id.alias("appointment"),
            Appointment.day.alias("day"),
            Appointment.status.alias("status"),
        )
        .join(Client, on=(Enrollment.client == Client.id))
        .switch(Enrollment)
        .join(Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract.id)
        .order_by(Enrollment.department, Enrollment.employee_no, Enrollment.id)
    )
    lines = []
    self_paid = {"employees": 0, "count": 0, "amount": ZERO}
    for row in query.dicts():
        category = categories[row["category"]]
        status, amount = row["status"] or "", ZERO
        if status == COMPLETED:
            amount = category["unit_price"]
            category["completed"] += 1
            category["completed_amount"] += amount
        elif status == NO_SHOW:
            amount = category["no_show_price"]
            category["no_shows"] += 1
            category["no_show_amount"] += amount
        category["amount"] += amount
        lines.append(
            {
                "employee_no": row["employee_no"],
                "name": row["name"],
                "department": row["department"],
                "category": category["label"],
                "date": row["day"].isoformat() if row["day"] else "",
                "status": status,
                "status_label": status_label(status),
                "amount": amount,
            }
        )
        if status == COMPLETED and row["appointment"] in addons:
            # only the total: which employee bought extra tests (and for how much) hints at health concerns
            count, paid = addons[row["appointment"]]
            self_paid["employees"] += 1
            self_paid["count"] += count
            self_paid["amount"] += paid
    summary = list(categories.values())
    return {
        "center": {"name": current_app.config["CENTER_NAME"]},
        "contract": {
            "id": contract.id,
            "name": contract.name,
            "year": contract.year,
            "organization": contract.organization.name,
            "status": contract.status,
            "window": f"{contract.window_start.isoformat()} – {contract.window_end.isoformat()}",
            "discount_percent": money(contract.discount_percent),
            "no_show_charge_percent": money(contract.no_show_charge_percent),
        },
        "categories": summary,
        "lines": lines,
        "self_paid": self_paid,
        "totals": {
            "completed": sum(c["completed"] for c in summary),
            "no_shows": sum(c["no_shows"] for c in summary),
            "completed_amount": sum((c["completed_amount"] for c in summary), ZERO),
            "no_show_amount": sum((c["no_show_amount"] for c in summary), ZERO),
            "company": sum((c["amount"] for c in summary), ZERO),
            "self_paid": self_paid["amount"],
        },
    }
