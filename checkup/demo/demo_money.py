"""The demo's money: the ledger's charges for every checkup, payments at the desk for the completed
individual ones (cash, bank card, WeChat Pay, Alipay, on their day), a goodwill discount refunded, an invoice
issued, one reversed (红冲) and one requested, the cashier's last working day closed (日结) with a small cash
shortage recorded, and Acme's statements settled: last year's paid, this year's issued. Upcoming bookings
stay unpaid (they pay at the desk)."""

import datetime

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import Appointment, Enrollment, GroupContract, User
from checkup.models.appointments import COMPLETED
from checkup.models.base import db
from checkup.models.money import ALIPAY, BANK_CARD, BANK_TRANSFER, CASH, CORRECTION, WECHAT_PAY, Payment
from checkup.services.money import closing, invoices, ledger, payments, refunds, settlement

METHODS = (CASH, WECHAT_PAY, ALIPAY, BANK_CARD)


def _on_its_day(receipt_no, day):
    """Demo history: the payment was taken on the checkup's day at 09:30, not while seeding."""
    moment = clock.local(day, datetime.time(9, 30)).astimezone(datetime.UTC).replace(tzinfo=None)
    Payment.update(received_at=moment).where(Payment.receipt_no == receipt_no).execute()


def seed_money(scheduler):
    """Returns {"payments", "statements"} made."""
    desk = Actor(scheduler)
    today = clock.today()
    ledger.post_missing_charges()
    group_ids = Enrollment.select(Enrollment.appointment).where(Enrollment.appointment.is_null(False))
    paid = []
    with db.atomic():
        individual = list(
            Appointment.select()
            .where(Appointment.status == COMPLETED, Appointment.id.not_in(group_ids), Appointment.day <= today)
            .order_by(Appointment.day, Appointment.id)
        )
        for n, appointment in enumerate(individual):
            due = ledger.balance(appointment.id).due
            if due <= 0:
                continue
            method = METHODS[n % len(METHODS)]
            if n % 5 == 4 and due > 100:  # now and then a split: part cash, the rest by WeChat Pay
                parts = [payments.Part(CASH, ledger.money(100)), payments.Part(WECHAT_PAY, due - 100, f"WX{n:08d}")]
            else:
                parts = [payments.Part(method, due, "" if method == CASH else f"T{n:08d}")]
            receipt_no = payments.take_payment(desk, appointment.id, parts)
            _on_its_day(receipt_no, appointment.day)
            paid.append(appointment)
    if paid:
        latest = paid[-1]
        ledger.add_adjustment(desk, latest.id, CORRECTION, "-50.00", "VIP courtesy discount (会员优惠)")
        refunds.refund(desk, latest.id, "50.00", "Courtesy discount refunded to the card (会员优惠退款)")
    if len(paid) >= 3:
        client_of = {a.id: a.client for a in paid[-3:]}
        issued = invoices.request_for_appointment(
            desk, paid[-2].id, "个人", "", client_of[paid[-2].id].email or "client@demo.test"
        )
        invoices.issue(desk, issued.id, "044001900111", paid[-2].day)
        reversed_one = invoices.request_for_appointment(
            desk, paid[-3].id, "上海示例科技有限公司", "91310000MA1FL8XQ3K", "finance@demo.test"
        )
        invoices.issue(desk, reversed_one.id, "044001900112", paid[-3].day)
        invoices.reverse(desk, reversed_one.id, "抬头有误，客户要求改开个人发票")
        invoices.request_for_appointment(
            desk, paid[-3].id, "个人", "", client_of[paid[-3].id].email or "client@demo.test"
        )
    days = sorted({a.day for a in paid if a.day < today})
    if days:
        summary = closing.day_summary(scheduler.id, days[-1])
        counted = max(summary[CASH].net - 10, ledger.ZERO)  # ¥10 short in the drawer: recorded, not hidden
        closing.close_day(desk, days[-1], f"{counted:.2f}", "少收现金10元，已报财务")
    statements = 0
    admin = User.get_or_none(User.email == "admin@demo.test") or scheduler
    finance = Actor(admin)
    contracts = list(
        GroupContract.select()
        .where(GroupContract.activated_at.is_null(False))
        .order_by(GroupContract.year, GroupContract.id)
    )
    for index, contract in enumerate(contracts):
        draft = settlement.draft_statement(finance, contract.id)
        if draft.total <= 0:
            continue
        issued_version = settlement.issue_statement(finance, draft.id)
        statements += 1
        if index < len(contracts) - 1:  # the older contracts are paid; the current one is issued and open
            settlement.record_company_payment(
                finance, issued_version.id, f"{issued_version.total:.2f}", BANK_TRANSFER, "对公转账"
            )
    return {"payments": len(paid), "statements": statements}
