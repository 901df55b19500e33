"""The cashier's end of day (日结): what each method took and gave back on the center's calendar day, the
cash the ledger says should be in the drawer, the cash counted, and the difference — recorded once per
cashier and day, never changed (a correction the next day is a payment or refund of its own)."""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import fn

from checkup.core import audit, clock
from checkup.core.errors import Conflict, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models.base import db
from checkup.models.money import CASH, METHODS, CashierClosing, CashierClosingLine, Payment, Refund
from checkup.services.money import ledger


@dataclass
class MethodTotals:
    method: str
    payments: int = 0
    received: object = ledger.ZERO
    refunded: object = ledger.ZERO

    @property
    def net(self):
        return self.received - self.refunded


def day_bounds(day):
    """The center's calendar day as naive-UTC [start, end) (how instants are stored)."""
    start = clock.local(day, datetime.time()).astimezone(datetime.UTC).replace(tzinfo=None)
    return start, start + datetime.timedelta(days=1)


def _taken_query(cashier_id, start, end):
    return (
        Payment.select(Payment.method, ledger.sum_column(Payment.amount), fn.COUNT(Payment.id))
        .where(Payment.cashier == cashier_id, Payment.received_at >= start, Payment.received_at < end)
        .group_by(Payment.method)
        .tuples()
    )


def _given_query(cashier_id, start, end):
    return (
        Refund.select(Refund.method, ledger.sum_column(Refund.amount))
        .where(Refund.refunded_by == cashier_id, Refund.refunded_at >= start, Refund.refunded_at < end)
        .group_by(Refund.method)
        .tuples()
    )


def _closing_query(cashier_id, day):
    return CashierClosing.select().where(CashierClosing.cashier == cashier_id, CashierClosing.day == day).limit(1)


def _recent_query(cashier_id, limit):
    return (
        CashierClosing.select()
        .where(CashierClosing.cashier == cashier_id)
        .order_by(CashierClosing.day.desc())
        .limit(limit)
    )


_SAMPLE_START = datetime.datetime(1901, 2, 6, 7, 8, 9)
_SAMPLE_END = datetime.datetime(1901, 2, 7, 7, 8, 9)
# the day's closing page reads (SQL built once per process, prepared on PostgreSQL)
_TAKEN = PreparedSelect(_taken_query, "checkup_closing_taken", samples=(-2_000_000_001, _SAMPLE_START, _SAMPLE_END))
_GIVEN = PreparedSelect(_given_query, "checkup_closing_given", samples=(-2_000_000_001, _SAMPLE_START, _SAMPLE_END))
_CLOSING = PreparedSelect(_closing_query, "checkup_closing_of_day", samples=(-2_000_000_001, datetime.date(1001, 1, 1)))
_RECENT = PreparedSelect(_recent_query, "checkup_closing_recent", samples=(-2_000_000_001, -2_000_000_002))


def day_summary(cashier_id, day):
    """{method: MethodTotals} of what ``cashier_id`` took and refunded on ``day`` (two grouped queries)."""
    start, end = day_bounds(day)
    totals = {method: MethodTotals(method) for method in METHODS}
    for method, amount, count in _TAKEN.rows(cashier_id, start, end):
        row = totals.setdefault(method, MethodTotals(method))
        row.received, row.payments = ledger.summed(amount), int(count)
    for method, amount in _GIVEN.rows(cashier_id, start, end):
        totals.setdefault(method, MethodTotals(method)).refunded = ledger.summed(amount)
    return totals


def closing_of(cashier_id, day):
    rows = _CLOSING.rows(cashier_id, day)
    return rows[0] if rows else None


def close_day(actor, day, counted_cash, note=""):
    """Close ``day`` for the acting cashier: one row per method and the cash difference (counted − ledger).
    Raises ValidationError (the amount counted, a future day), Conflict (already closed)."""
    if day > clock.today():
        raise ValidationError(_l("A day can be closed once it has begun."))
    counted = ledger.parse_amount(counted_cash, "counted_cash", allow_zero=True)
    cashier_id = actor.user_id
    with db.atomic():
        if closing_of(cashier_id, day) is not None:
            raise Conflict(_l("This day is already closed for you."))
        totals = day_summary(cashier_id, day)
        ledger_cash = totals[CASH].net
        closing = CashierClosing.create(
            cashier=cashier_id,
            day=day,
            ledger_cash=ledger_cash,
            counted_cash=counted,
            difference=counted - ledger_cash,
            note=(note or "").strip()[:300],
            closed_by=cashier_id,
        )
        lines = [
            {
                "closing": closing.id,
                "method": t.method,
                "payments": t.payments,
                "received": t.received,
                "refunded": t.refunded,
                "net": t.net,
            }
            for t in totals.values()
            if t.payments or t.refunded
        ]
        if lines:
            CashierClosingLine.insert_many(lines).execute()
        audit.record(
            actor,
            "money.day_closed",
            closing,
            day=str(day),
            ledger_cash=str(ledger_cash),
            counted_cash=str(counted),
            difference=str(counted - ledger_cash),
        )
    return closing


def recent_closings(cashier_id, limit=14):
    return _RECENT.rows(cashier_id, limit)
