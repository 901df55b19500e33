"""The demo's money, and every view of revenue summed for the demo agreeing to the cent: the management
dashboard, the group statements (PDF/XLSX data), the HR billing page, and the clients' own money pages."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.demo import demo
from checkup.models import Appointment, Client, GroupContract
from checkup.models.appointments import CANCELLED, COMPLETED
from checkup.models.money import (
    PAID,
    REQUESTED,
    REVERSED,
    STATEMENT_ISSUED,
    CashierClosing,
    Invoice,
    Payment,
    Refund,
    StatementVersion,
)
from checkup.services.admin import daily_rollup, management
from checkup.services.groups import billing
from checkup.services.money import ledger, revenue, settlement

pytestmark = pytest.mark.both_dbs


def test_the_demo_has_paid_unpaid_refunded_and_invoiced_checkups_and_every_view_agrees(app):
    demo.seed(history=True)
    today = clock.today()
    assert Payment.select().where(Payment.appointment.is_null(False)).count() >= 5
    assert Refund.select().count() == 1
    assert {i.status for i in Invoice.select()} == {"issued", REVERSED, REQUESTED}
    closed = CashierClosing.get()
    assert closed.day < today and closed.difference == Decimal("-10.00")
    assert {v.status for v in StatementVersion.select()} >= {STATEMENT_ISSUED, PAID}
    unpaid = [a for a in Appointment.select().where(Appointment.status == "booked") if ledger.balance(a.id).due > 0]
    assert unpaid, "upcoming bookings pay at the desk"

    start, _today = daily_rollup.period(today)
    dashboard = management.dashboard(today)["revenue"]
    in_window = 0
    for contract in GroupContract.select():
        data = billing.statement_data(contract.id)
        company = data["totals"]["company"]
        assert company == sum(line["amount"] for line in data["lines"]) == revenue.for_contract(contract.id)
        latest = settlement.versions(contract.id)[0]
        if latest.status != "draft":  # what HR's billing page shows
            assert settlement.company_account(contract.id)["billed"] == latest.total == company
        in_window += sum(
            (
                line["amount"]
                for line in data["lines"]
                if line["date"] and start <= datetime.date.fromisoformat(line["date"]) <= today
            ),
            Decimal("0"),
        )
    assert dashboard["group"] == in_window > 0

    own = Decimal("0")
    for client in Client.select():
        for appointment in ledger.client_overview(client.id):
            if start <= appointment.day <= today and appointment.status in (COMPLETED, CANCELLED):
                own += appointment.account.of("self").charged
    assert dashboard["individual"] == own > 0
    assert dashboard["total"] == dashboard["group"] + dashboard["individual"]
