"""The ledger of one appointment and taking payments: charges from the booking, split payments, never more
than the balance, clear messages for bad amounts with nothing written."""

from decimal import Decimal

import pytest

from checkup.core.errors import ValidationError
from checkup.models import AuditEvent
from checkup.models.money import ADDON, CASH, COMPANY_ACCOUNT, PACKAGE, SELF, WECHAT_PAY, ChargeLine, Payment
from checkup.services.booking import booking
from checkup.services.money import ledger, payments
from tests.money.money_helpers import Desk

pytestmark = pytest.mark.both_dbs


def test_a_booking_posts_its_charge_lines_once(app):
    desk = Desk(package="BASIC", addons=["EYE"])
    lines = {
        (c.kind, c.payer): c.amount for c in ChargeLine.select().where(ChargeLine.appointment == desk.appointment.id)
    }
    assert lines == {(PACKAGE, SELF): Decimal("100.00"), (ADDON, SELF): Decimal("15.00")}
    assert ledger.post_charges(desk.appointment) == 0  # idempotent
    balance = ledger.balance(desk.appointment.id)
    assert (balance.charged, balance.paid, balance.due) == (Decimal("115.00"), Decimal("0.00"), Decimal("115.00"))


def test_a_split_payment_shares_one_receipt_and_settles_the_balance(app):
    desk = Desk()
    parts = payments.parse_parts([(CASH, "200", ""), (WECHAT_PAY, "180.00", "WX42"), ("", "", "")])
    receipt_no = payments.take_payment(desk.actor, desk.appointment.id, parts)
    rows = list(Payment.select().where(Payment.receipt_no == receipt_no).order_by(Payment.id))
    assert [(r.method, r.amount, r.cashier_id) for r in rows] == [
        (CASH, Decimal("200.00"), desk.cashier.id),
        (WECHAT_PAY, Decimal("180.00"), desk.cashier.id),
    ]
    assert ledger.balance(desk.appointment.id).due == Decimal("0.00")
    assert AuditEvent.select().where(AuditEvent.action == "money.payment_taken").count() == 1


@pytest.mark.parametrize(
    "typed, field, message",
    [
        ("12.345", "amount_0", "at most two decimals"),
        ("-5", "amount_0", "greater than zero"),
        ("abc", "amount_0", "Enter an amount"),
        ("0", "amount_0", "greater than zero"),
    ],
)
def test_a_bad_amount_is_refused_next_to_its_field_and_nothing_is_written(app, typed, field, message):
    desk = Desk()
    with pytest.raises(ValidationError) as refused:
        payments.take_payment(desk.actor, desk.appointment.id, payments.parse_parts([(CASH, typed, "")]))
    assert message in str(refused.value.field_errors[field])
    assert Payment.select().count() == 0


def test_more_than_the_balance_is_refused_and_the_message_names_it(app):
    desk = Desk(package="BASIC")
    with pytest.raises(ValidationError) as refused:
        payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("100.01"))])
    assert "100.00" in str(refused.value.field_errors["amount_0"])
    payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("100.00"))])
    with pytest.raises(ValidationError, match="Nothing is due"):
        payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("1"))])
    assert Payment.select().count() == 1


def test_the_company_account_pays_only_the_companys_part(app):
    desk = Desk(package="BASIC")
    with pytest.raises(ValidationError, match="company account"):
        payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(COMPANY_ACCOUNT, Decimal("10"))])


def test_a_cancellation_before_the_cutoff_credits_everything(app):
    desk = Desk(package="BASIC")
    payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("100"))])
    booking.cancel(desk.actor, desk.appointment.id, "改期", staff=True)
    balance = ledger.balance(desk.appointment.id)
    assert (balance.charged, balance.received, balance.due) == (Decimal("0.00"), Decimal("100.00"), Decimal("-100.00"))


def test_money_is_decimal_everywhere_never_float(app):
    desk = Desk(package="BASIC", addons=["EYE"])
    payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("0.10"))])
    payments.take_payment(desk.actor, desk.appointment.id, [payments.Part(CASH, Decimal("0.20"))])
    balance = ledger.balance(desk.appointment.id)
    assert isinstance(balance.paid, Decimal) and balance.paid == Decimal("0.30")  # 0.1 + 0.2 in floats is not 0.3
    assert balance.due == Decimal("114.70")
