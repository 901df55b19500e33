"""Refunds by rule (a reason always, a second person above the threshold, never while an issued invoice
stands) and invoices requested, issued and reversed (红冲)."""

import datetime
from decimal import Decimal

import pytest

from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.models import AuditEvent, Result
from checkup.models.money import CASH, ISSUED, REVERSED, WECHAT_PAY, Invoice, InvoiceReversal, Refund
from checkup.services.booking import booking
from checkup.services.money import invoices, ledger, payments, refunds
from tests import factories
from tests.conftest import PASSWORD
from tests.money.money_helpers import Desk

pytestmark = pytest.mark.both_dbs


def _paid(desk, appointment, *parts):
    payments.take_payment(desk.actor, appointment.id, [payments.Part(m, Decimal(a)) for m, a in parts])


def test_cancelled_before_the_cutoff_everything_paid_goes_back_by_its_methods(app):
    desk = Desk()
    _paid(desk, desk.appointment, (CASH, "80"), (WECHAT_PAY, "300"))
    booking.cancel(desk.actor, desk.appointment.id, "客户改期", staff=True)
    assert refunds.refundable(desk.appointment.id) == Decimal("380.00")
    assert refunds.rule_for(desk.appointment.id) == refunds.BEFORE_CUTOFF
    with pytest.raises(ValidationError) as refused:
        refunds.refund(desk.actor, desk.appointment.id, "380", "   ")
    assert "reason" in refused.value.field_errors
    rows = refunds.refund(desk.actor, desk.appointment.id, "380", "预约取消，全额退费")
    assert sorted((r.method, r.amount) for r in rows) == [(CASH, Decimal("80.00")), (WECHAT_PAY, Decimal("300.00"))]
    assert ledger.balance(desk.appointment.id).due == Decimal("0.00")
    with pytest.raises(ValidationError, match="Nothing is owed back"):
        refunds.refund(desk.actor, desk.appointment.id, "1", "again")


def test_cancelled_after_the_cutoff_the_fee_is_kept(app):
    desk = Desk()
    slot = desk.soon_slot(hours=3)
    client = factories.make_client(name="赵敏")
    appointment = booking.book(desk.actor, client.id, slot.id, "BASIC", source="desk")
    _paid(desk, appointment, (CASH, "100"))
    booking.cancel(desk.actor, appointment.id, "临时有事", staff=True)  # after the cutoff: staff override
    assert refunds.rule_for(appointment.id) == refunds.AFTER_CUTOFF
    assert refunds.refundable(appointment.id) == Decimal("90.00")  # 10% of 100 kept (the default fee)
    with pytest.raises(ValidationError, match="At most 90.00"):
        refunds.refund(desk.actor, appointment.id, "100", "退费")


def test_a_refund_above_the_threshold_needs_a_second_person_with_their_password(app):
    app.config["REFUND_SECOND_PERSON_ABOVE"] = "100.00"
    desk = Desk()
    _paid(desk, desk.appointment, (CASH, "380"))
    booking.cancel(desk.actor, desk.appointment.id, "改期", staff=True)
    with pytest.raises(PermissionDenied) as refused:
        refunds.refund(desk.actor, desk.appointment.id, "380", "取消退费", desk.cashier.email, PASSWORD)
    assert "approver_email" in refused.value.field_errors  # not oneself
    with pytest.raises(PermissionDenied) as refused:
        refunds.refund(desk.actor, desk.appointment.id, "380", "取消退费", desk.second.email, "wrong password")
    assert "approver_password" in refused.value.field_errors
    assert Refund.select().count() == 0
    refunds.refund(desk.actor, desk.appointment.id, "380", "取消退费", desk.second.email, PASSWORD)
    assert Refund.get().approved_by_id == desk.second.id
    event = AuditEvent.get(AuditEvent.action == "money.refunded")
    assert "取消退费" in event.detail and str(desk.second.id) in event.detail


def test_items_not_performed_are_credited_at_item_price_then_refunded(app):
    desk = Desk()
    _paid(desk, desk.appointment, (CASH, "380"))
    appointment = desk.complete(desk.appointment)
    Result.create(appointment=appointment, item=desk.center.blood, value_text="5.1")  # the CT was not done
    credited = refunds.credit_not_performed(desk.actor, appointment.id, "CT 设备故障未做")
    assert credited == Decimal("300.00")
    assert refunds.credit_not_performed(desk.actor, appointment.id, "again") == Decimal("0")  # once per item
    assert refunds.rule_for(appointment.id) == refunds.ITEMS_NOT_PERFORMED
    refunds.refund(desk.actor, appointment.id, "300", "CT 未做退费")
    assert ledger.balance(appointment.id).due == Decimal("0.00")


def test_an_issued_invoice_blocks_a_refund_until_it_is_reversed(app):
    desk = Desk()
    _paid(desk, desk.appointment, (CASH, "380"))
    invoice = invoices.request_for_appointment(
        desk.actor, desk.appointment.id, "个人", "", "wangfang@example.com", client_id=desk.client.id
    )
    assert invoice.amount == Decimal("380.00")
    with pytest.raises(Conflict):  # one open invoice at a time
        invoices.request_for_appointment(desk.actor, desk.appointment.id, "个人", "", "wangfang@example.com")
    invoices.issue(desk.actor, invoice.id, "044001900999", datetime.date.today())
    booking.cancel(desk.actor, desk.appointment.id, "改期", staff=True)
    with pytest.raises(Conflict, match="reverse it"):
        refunds.refund(desk.actor, desk.appointment.id, "380", "取消退费")
    with pytest.raises(ValidationError):
        invoices.reverse(desk.actor, invoice.id, "")
    invoices.reverse(desk.actor, invoice.id, "取消预约，红冲")
    assert Invoice.get_by_id(invoice.id).status == REVERSED
    assert InvoiceReversal.get().reason == "取消预约，红冲"
    refunds.refund(desk.actor, desk.appointment.id, "380", "取消退费")
    assert refunds.refundable(desk.appointment.id) == Decimal("0.00")


def test_invoice_requests_are_validated_and_only_ones_own(app):
    desk = Desk()
    other = desk.another()
    with pytest.raises(NotFound):
        invoices.request_for_appointment(desk.actor, other.id, "个人", "", "a@example.com", client_id=desk.client.id)
    with pytest.raises(Conflict, match="Nothing has been paid"):
        invoices.request_for_appointment(desk.actor, desk.appointment.id, "个人", "", "wangfang@example.com")
    _paid(desk, desk.appointment, (CASH, "380"))
    with pytest.raises(ValidationError) as refused:
        invoices.request_for_appointment(desk.actor, desk.appointment.id, "", "12AB", "not-an-email")
    assert set(refused.value.field_errors) == {"title", "taxpayer_id", "email"}
    invoice = invoices.request_for_appointment(
        desk.actor, desk.appointment.id, "上海示例科技有限公司", "91310000ma1fl8xq3k", "f@example.com"
    )
    assert invoice.taxpayer_id == "91310000MA1FL8XQ3K"
    with pytest.raises(ValidationError) as refused:
        invoices.issue(desk.actor, invoice.id, "x", None)
    assert set(refused.value.field_errors) == {"number", "issued_on"}
    invoices.issue(desk.actor, invoice.id, "044001900777", datetime.date.today())
    assert Invoice.get_by_id(invoice.id).status == ISSUED
    with pytest.raises(Conflict):
        invoices.issue(desk.actor, invoice.id, "044001900778", datetime.date.today())


def test_the_invoice_desk_lists_the_latest_issued_and_reversed_invoices_first(app):
    """A busy desk has issued more invoices than one list shows: the one just issued (to reverse it) and the one
    just reversed must be on their lists, not pushed out by the oldest."""
    desk = Desk()
    long_ago = datetime.datetime(2024, 1, 5, 2, 0)
    older = [
        {
            "payer": "self",
            "title": "个人",
            "email": f"old{n}@example.com",
            "amount": Decimal("100.00"),
            "status": ISSUED,
            "requested_at": long_ago,
            "number": f"04400{n:07d}",
            "issued_on": long_ago.date(),
            "issued_at": long_ago,
        }
        for n in range(invoices.DESK_LIST_LIMIT)
    ]
    Invoice.insert_many(older).execute()
    _paid(desk, desk.appointment, (CASH, "380"))
    invoice = invoices.request_for_appointment(desk.actor, desk.appointment.id, "个人", "", "wangfang@example.com")
    assert [i.id for i in invoices.desk_list()] == [invoice.id]  # requests: a queue, oldest first
    invoices.issue(desk.actor, invoice.id, "044001900555", datetime.date.today())
    issued = invoices.desk_list(ISSUED)
    assert len(issued) == invoices.DESK_LIST_LIMIT and issued[0].id == invoice.id
    oldest_issued = Invoice.get(Invoice.number == "044000000000")
    invoices.reverse(desk.actor, oldest_issued.id, "抬头有误")
    invoices.reverse(desk.actor, invoice.id, "金额有误")
    assert [i.id for i in invoices.desk_list(REVERSED)] == [invoice.id, oldest_issued.id]  # latest reversal first
