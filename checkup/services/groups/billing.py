"""The billing statement of a group contract: what the company owes, employee by employee — read from the
ledger (services/money/settlement.py), the same figures as the HR billing page and the dashboard's group
revenue (services/money/revenue.py).

The company pays by what was done: the package booked under the contract when the checkup was completed
(the category's, or the cheaper one the employee did), less the items not performed when the contract
credits them; for a no-show, ``no_show_charge_percent`` of the package. Add-ons the employees paid
themselves are listed apart, in total only, and never enter the company's total. Amounts are Decimal to
the cent; totals are sums of the lines. Billing is not health data: lines name the employee, never an exam
item or a result (a credit is "items not performed").
"""

from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from checkup.core.audit import SYSTEM
from checkup.core.labels import choice_label
from checkup.models import ContractCategory, Package
from checkup.models.appointments import COMPLETED, NO_SHOW
from checkup.models.groups import ACTIVE, CLOSED
from checkup.models.money import CREDIT_AT_ITEM_PRICE
from checkup.services.groups.group_summary import get_contract
from checkup.services.money import settlement

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
            "not_performed": ZERO,
            "amount": ZERO,
        }
    return categories


def statement_data(contract_id):
    """Plain data of the statement of contract ``contract_id`` (settled first: the outcome rows are written
    once); raises NotFound for a missing contract."""
    contract = get_contract(contract_id)
    settlement.settle_contract(SYSTEM, contract.id)
    figures = settlement.figures(contract.id)
    categories = _categories(contract)
    lines = []
    credits = ZERO
    for line in figures["lines"]:
        category = categories[line["category_id"]]
        status, amount = line["status"], line["amount"]
        if status == COMPLETED:
            category["completed"] += 1
            category["completed_amount"] += amount
            category["not_performed"] += line["not_performed"]
            credits += line["not_performed"]
        elif status == NO_SHOW:
            category["no_shows"] += 1
            category["no_show_amount"] += amount
        category["amount"] += amount
        lines.append(
            {
                "employee_no": line["employee_no"],
                "name": line["name"],
                "department": line["department"],
                "category": category["label"],
                "date": line["date"],
                "status": status,
                "status_label": status_label(status),
                "not_performed": line["not_performed"],
                "amount": amount,
            }
        )
    summary = list(categories.values())
    latest = settlement.versions(contract.id)[:1]
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
            "credits_items": settlement.credit_rule(contract.id) == CREDIT_AT_ITEM_PRICE,
        },
        "statement": (
            {"version": latest[0].version, "status": latest[0].status, "total": money(latest[0].total)}
            if latest
            else None
        ),
        "categories": summary,
        "lines": lines,
        "self_paid": figures["self_paid"],
        "credits": credits,
        "totals": {
            "completed": sum(c["completed"] for c in summary),
            "no_shows": sum(c["no_shows"] for c in summary),
            "completed_amount": sum((c["completed_amount"] for c in summary), ZERO),
            "no_show_amount": sum((c["no_show_amount"] for c in summary), ZERO),
            "company": figures["total"],
            "self_paid": figures["self_paid"]["amount"],
        },
    }
