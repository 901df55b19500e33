"""Prepayment holds released through the task table, the cashier's closed day (日结), and the payment
provider interface (signature, idempotent notifications, query on timeout) with the offline adapter."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock, tasks
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, PermissionDenied, ValidationError
from checkup.models import Appointment, Slot, Task
from checkup.models.appointments import BOOKED, CANCELLED
from checkup.models.base import utcnow
from checkup.models.money import (
    BANK_TRANSFER,
    CASH,
    HOLD_PAID,
    WECHAT_PAY,
    CashierClosing,
    PaymentHold,
    PaymentNotification,
)
from checkup.services.booking import booking, payment_holds
from checkup.services.money import closing, ledger, payments, providers, refunds
from tests import factories
from tests.money.money_helpers import Desk

pytestmark = pytest.mark.both_dbs


def _prepaid_booking(app, desk):
    app.config["PAYMENT_POLICY"] = "prepay"
    client = factories.make_client(name="孙丽")
    return booking.book(Actor(), client.id, desk.center.slot.id, "BASIC")  # booked online: source individual


def _run_hold_task(appointment_id):
    """The hold's time has come: run its task as the dispatcher would."""
    past = utcnow() - datetime.timedelta(minutes=1)
    PaymentHold.update(expires_at=past).where(PaymentHold.appointment == appointment_id).execute()
    task = Task.get(Task.dedupe_key == f"payment-hold:{appointment_id}")
    Task.update(next_attempt_at=past).where(Task.id == task.id).execute()
    return tasks.run(task.id)


def test_an_unpaid_prepaid_booking_is_released_when_its_hold_runs_out(app):
    desk = Desk()
    booked_before = Slot.get_by_id(desk.center.slot.id).booked
    appointment = _prepaid_booking(app, desk)
    hold = PaymentHold.get(PaymentHold.appointment == appointment.id)
    assert 29 <= (hold.expires_at - hold.created_at).total_seconds() / 60 <= 30
    task = Task.get(Task.dedupe_key == f"payment-hold:{appointment.id}")
    assert task.kind == "booking.expire_payment_hold" and task.next_attempt_at >= hold.expires_at
    assert Slot.get_by_id(desk.center.slot.id).booked == booked_before + 1
    assert _run_hold_task(appointment.id) == "done"
    released = Appointment.get_by_id(appointment.id)
    assert released.status == CANCELLED and released.live_day is None
    assert Slot.get_by_id(desk.center.slot.id).booked == booked_before  # the place is free again
    assert ledger.balance(appointment.id).due == Decimal("0.00")  # and nothing is owed for it


def test_a_paid_prepaid_booking_keeps_its_places(app):
    desk = Desk()
    appointment = _prepaid_booking(app, desk)
    payments.take_payment(desk.actor, appointment.id, [payments.Part(WECHAT_PAY, Decimal("100"))])
    assert PaymentHold.get(PaymentHold.appointment == appointment.id).state == HOLD_PAID
    assert payment_holds.expire_hold(appointment.id) is False
    assert Appointment.get_by_id(appointment.id).status == BOOKED


def test_at_the_desk_policy_holds_nothing(app):
    desk = Desk()
    assert PaymentHold.select().count() == 0 and desk.appointment.status == BOOKED


def test_closing_the_day_records_the_cash_difference_once(app):
    desk = Desk()
    payments.take_payment(
        desk.actor,
        desk.appointment.id,
        [payments.Part(CASH, Decimal("200")), payments.Part(WECHAT_PAY, Decimal("180"))],
    )
    other = desk.another()
    payments.take_payment(desk.actor, other.id, [payments.Part(CASH, Decimal("100"))])
    booking.cancel(desk.actor, other.id, "改期", staff=True)
    refunds.refund(desk.actor, other.id, "100", "取消退费")
    today = clock.today()
    summary = closing.day_summary(desk.cashier.id, today)
    assert (summary[CASH].received, summary[CASH].refunded, summary[CASH].net) == (
        Decimal("300.00"),
        Decimal("100.00"),
        Decimal("200.00"),
    )
    with pytest.raises(ValidationError) as refused:
        closing.close_day(desk.actor, today, "19x")
    assert "counted_cash" in refused.value.field_errors
    closed = closing.close_day(desk.actor, today, "195.50", "少5.5元")
    assert (closed.ledger_cash, closed.counted_cash, closed.difference) == (
        Decimal("200.00"),
        Decimal("195.50"),
        Decimal("-4.50"),
    )
    assert {(line.method, line.net) for line in closed.lines} == {
        (CASH, Decimal("200.00")),
        (WECHAT_PAY, Decimal("180.00")),
    }
    with pytest.raises(Conflict):
        closing.close_day(desk.actor, today, "200")
    assert CashierClosing.select().count() == 1


def test_a_manual_transfer_is_confirmed_once_through_the_signed_notification(app):
    desk = Desk(package="BASIC")
    order, shown = providers.create_order(Actor(), desk.appointment.id, client_id=desk.client.id)
    assert (order.amount, shown["order_no"]) == (Decimal("100.00"), order.order_no)
    again, _shown = providers.create_order(Actor(), desk.appointment.id, client_id=desk.client.id)
    assert again.id == order.id  # the open order is reused
    payload = {"order_no": order.order_no, "transaction_id": "BANK-778", "amount": "100.00", "status": "paid"}
    with pytest.raises(PermissionDenied):
        providers.notify("manual", payload, "0" * 64)
    with pytest.raises(PermissionDenied):
        providers.notify("manual", {**payload, "amount": "1.00"}, providers.sign(payload))  # tampered
    assert providers.notify("manual", payload, providers.sign(payload)) == "paid"
    assert providers.notify("manual", payload, providers.sign(payload)) == "duplicate"  # providers resend
    assert providers.confirm_transfer(desk.actor, order.order_no, "BANK-778") == "duplicate"
    assert PaymentNotification.select().count() == 1
    balance = ledger.balance(desk.appointment.id)
    assert (balance.paid, balance.due) == (Decimal("100.00"), Decimal("0.00"))
    assert [p.method for p in ledger.payments_of(desk.appointment.id)[0]] == [BANK_TRANSFER]


def test_an_order_with_no_notification_is_queried_on_timeout_and_closed(app):
    desk = Desk(package="BASIC")
    order, _shown = providers.create_order(Actor(), desk.appointment.id)
    task = Task.get(Task.dedupe_key == f"provider-order-query:{order.id}")
    assert task.kind == "money.query_provider_order"
    assert providers.query_order(order.id) == providers.CLOSED
    with pytest.raises(ValidationError):
        providers.confirm_transfer(desk.actor, "NO-SUCH-ORDER", "x")
    assert ledger.balance(desk.appointment.id).paid == Decimal("0.00")


def test_a_transfer_that_arrives_after_its_order_was_closed_is_still_recorded(app):
    """A bank transfer can arrive after the order's time ran out and it was closed: the money is on the center's
    account, so the desk's confirmation records it (to be refunded if nothing is due any more), never
    answers "already recorded" while the ledger has no payment."""
    desk = Desk(package="BASIC")
    order, _shown = providers.create_order(Actor(), desk.appointment.id, client_id=desk.client.id)
    assert providers.query_order(order.id) == providers.CLOSED  # nothing heard in time
    assert providers.confirm_transfer(desk.actor, order.order_no, "BANK-901") == "paid"
    balance = ledger.balance(desk.appointment.id)
    assert (balance.paid, balance.due) == (Decimal("100.00"), Decimal("0.00"))
    assert providers.confirm_transfer(desk.actor, order.order_no, "BANK-901") == "duplicate"
    assert ledger.balance(desk.appointment.id).paid == Decimal("100.00")
