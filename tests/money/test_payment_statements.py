"""A desk payment in a handful of statements (issue #15: 50 concurrent payments), with nothing it guaranteed
lost: charges the snapshot calls for — an add-on bought after the first charges too — are posted before the
balance is summed, the balance is the same Decimal sum of rows, and a prepaid hold is still marked paid."""

from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import Appointment, AppointmentItem
from checkup.models.appointments import COMPLETED
from checkup.models.money import (
    ADDON,
    CASH,
    COMPANY,
    CORRECTION,
    DISCOUNT,
    HOLD_PAID,
    HOLDING,
    SELF,
    WECHAT_PAY,
    Adjustment,
    BalanceLock,
    ChargeLine,
    Payment,
    PaymentHold,
    Refund,
)
from checkup.services.booking import booking
from checkup.services.money import ledger, payments
from tests import factories
from tests.money.money_helpers import Contract, Desk

pytestmark = pytest.mark.both_dbs


def _pay(desk, appointment_id, amount, method=CASH):
    return payments.take_payment(desk.actor, appointment_id, [payments.Part(method, Decimal(amount))])


def _missing(appointment_id):
    return bool(Appointment.select(ledger.charges_missing()).where(Appointment.id == appointment_id).scalar())


def _buy_eye_addon_later(desk, appointment):
    """The client takes the EYE add-on (15.00) after the booking's charges were posted."""
    AppointmentItem.create(appointment=appointment, item=desk.center.eye, price=Decimal("15.00"), is_addon=True)
    Appointment.update(
        self_amount=Appointment.self_amount + Decimal("15.00"), total_price=Appointment.total_price + Decimal("15.00")
    ).where(Appointment.id == appointment.id).execute()


def test_a_payment_runs_six_statements_the_first_time_and_five_after(app, count_queries):
    desk = Desk(package="BASIC")  # 100.00 due, charges posted at booking
    with count_queries() as first:
        _pay(desk, desk.appointment.id, "40")
    with count_queries() as second:
        _pay(desk, desk.appointment.id, "60")
    # lock (select, then the lock row's insert the first time), appointment, balance, payment, audit
    assert (first.count, second.count) == (6, 5)
    assert BalanceLock.select().where(BalanceLock.key == f"appointment:{desk.appointment.id}").count() == 1
    assert ledger.balance(desk.appointment.id).due == Decimal("0.00")


def test_a_split_payment_writes_its_parts_in_one_statement(app, count_queries):
    desk = Desk(package="BASIC")
    _pay(desk, desk.appointment.id, "10")  # the lock row exists
    with count_queries() as split:
        payments.take_payment(
            desk.actor,
            desk.appointment.id,
            [payments.Part(CASH, Decimal("50.00")), payments.Part(WECHAT_PAY, Decimal("40.00"), "WX7")],
        )
    assert split.count == 5
    rows = list(Payment.select().where(Payment.appointment == desk.appointment.id).order_by(Payment.id))
    assert [(r.method, r.amount, r.reference) for r in rows[1:]] == [
        (CASH, Decimal("50.00"), ""),
        (WECHAT_PAY, Decimal("40.00"), "WX7"),
    ]
    assert rows[1].receipt_no == rows[2].receipt_no and all(r.received_at is not None for r in rows)


def test_an_addon_bought_after_the_first_charges_is_charged_before_payment(app):
    desk = Desk(package="BASIC")
    _pay(desk, desk.appointment.id, "30")  # charges posted at booking, then a first payment
    _buy_eye_addon_later(desk, desk.appointment)
    assert _missing(desk.appointment.id)
    with pytest.raises(ValidationError) as refused:
        _pay(desk, desk.appointment.id, "85.01")
    assert "85.00" in str(refused.value.field_errors["amount_0"])  # 100 + 15 − 30: the add-on counted
    _pay(desk, desk.appointment.id, "85.00")
    addon = ChargeLine.get(ChargeLine.appointment == desk.appointment.id, ChargeLine.kind == ADDON)
    assert (addon.line_key, addon.payer, addon.amount) == (f"addon:{desk.center.eye.id}", SELF, Decimal("15.00"))
    assert ledger.balance(desk.appointment.id).due == Decimal("0.00")
    assert not _missing(desk.appointment.id)


def test_an_appointment_without_charge_lines_gets_them_before_payment(app):
    desk = Desk(package="BASIC", addons=["EYE"])
    ChargeLine.delete().where(ChargeLine.appointment == desk.appointment.id).execute()  # booked before the ledger
    assert _missing(desk.appointment.id)
    with pytest.raises(ValidationError, match="115.00"):
        _pay(desk, desk.appointment.id, "115.01")
    _pay(desk, desk.appointment.id, "115.00")
    assert ChargeLine.select().where(ChargeLine.appointment == desk.appointment.id).count() == 2


def test_charges_missing_names_exactly_what_post_charges_would_write(app):
    group = Contract()
    # the company pays the package; the client's add-on (120.00) is all of their part: no package:self line
    appointment = group.employee("周杰", group.executive, status=COMPLETED, addon=True)
    assert _missing(appointment.id)
    assert ledger.post_charges(appointment) == 2
    assert not _missing(appointment.id) and ledger.post_charges(appointment) == 0
    ChargeLine.delete().where(
        ChargeLine.appointment == appointment.id, ChargeLine.line_key == f"package:{COMPANY}"
    ).execute()
    assert _missing(appointment.id)
    assert ledger.post_charges(appointment) == 1
    assert not _missing(appointment.id)


def test_one_query_sums_every_kind_of_row_to_the_cent_in_decimal(app, count_queries):
    desk = Desk(package="BASIC", addons=["EYE"])
    other = desk.another(name="陈晨")
    untouched = desk.another(name="赵敏")
    _pay(desk, desk.appointment.id, "0.10")
    _pay(desk, desk.appointment.id, "0.20")
    _pay(desk, other.id, "100.00")
    payment = Payment.get(Payment.appointment == other.id)
    Refund.create(
        payment=payment,
        appointment=other.id,
        payer=SELF,
        method=CASH,
        amount=Decimal("33.33"),
        rule="overpaid",
        reason="x",
    )
    ledger.add_adjustment(desk.actor, desk.appointment.id, DISCOUNT, Decimal("-0.05"), "会员折扣")
    ledger.add_adjustment(desk.actor, other.id, CORRECTION, Decimal("7.77"), "补差", payer=COMPANY)
    with count_queries() as sums:
        found = ledger.accounts_of([desk.appointment.id, other.id, untouched.id])
    assert sums.count == 1

    def by_rows(appointment_id, payer):
        def total(model):
            rows = model.select().where(model.appointment == appointment_id, model.payer == payer)
            return sum((ledger.money(r.amount) for r in rows), ledger.ZERO)

        return (total(ChargeLine) + total(Adjustment), total(Payment), total(Refund))

    for appointment_id in (desk.appointment.id, other.id, untouched.id):
        for payer, balance in found[appointment_id].balances.items():
            assert (balance.charged, balance.paid, balance.refunded) == by_rows(appointment_id, payer)
            assert all(type(v) is Decimal for v in (balance.charged, balance.paid, balance.refunded))
    mine = found[desk.appointment.id].of(SELF)
    assert (mine.charged, mine.paid, mine.due) == (Decimal("114.95"), Decimal("0.30"), Decimal("114.65"))
    theirs = found[other.id]
    assert (theirs.of(SELF).received, theirs.of(SELF).due) == (Decimal("66.67"), Decimal("33.33"))
    assert theirs.of(COMPANY).charged == Decimal("7.77")
    assert set(found[untouched.id].balances) == {SELF} and found[untouched.id].of(SELF).paid == Decimal("0.00")


def test_a_prepaid_hold_is_marked_paid_only_by_the_payment_that_settles_it(app, count_queries):
    desk = Desk()
    app.config["PAYMENT_POLICY"] = "prepay"
    held = booking.book(Actor(), factories.make_client(name="孙丽").id, desk.center.slot.id, "BASIC")
    _pay(desk, held.id, "40", WECHAT_PAY)
    assert PaymentHold.get(PaymentHold.appointment == held.id).state == HOLDING
    with count_queries() as settling:
        _pay(desk, held.id, "60", WECHAT_PAY)
    assert settling.count == 6  # the five, and the hold's update
    assert PaymentHold.get(PaymentHold.appointment == held.id).state == HOLD_PAID


def test_a_balance_read_outside_a_transaction_is_prepared_and_right(app):
    """The cashier's and the client's pages read a balance outside any transaction: on PostgreSQL that runs
    the server-side prepared statement (its sums' kind as a literal, its appointment id typed)."""
    from checkup.core.prepared import prepared_names
    from checkup.models.base import db as database
    from checkup.services.money import ledger

    desk = Desk(package="BASIC")
    appointment_id = desk.appointment.id
    _pay(desk, appointment_id, "40")
    for _ in range(3):
        assert (
            ledger.account(appointment_id).of("self").due
            == ledger.accounts_of([appointment_id])[appointment_id].of("self").due
            == Decimal("60.00")
        )
    if app.config["BACKEND"] == "postgres":
        assert "checkup_one_account" in prepared_names(database.connection())
