"""Money: one ledger of what an appointment (and a group contract) costs, what was paid and refunded, the
invoices asked for and issued, the cashiers' closed days and the group statements.

Every money fact is one row that is never updated in its amount: a correction is a new row (an adjustment,
a refund, an invoice reversal, a new statement version). A balance is always the sum of its rows. Amounts
are NUMERIC(12,2) read back as ``Decimal``; there is one currency, ``CURRENCY``.
"""

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import ExamItem
from checkup.models.groups import GroupContract

CURRENCY = "CNY"

SELF, COMPANY = "self", "company"  # who pays a line
PAYERS = (SELF, COMPANY)

# charge lines
PACKAGE, ADDON, NO_SHOW_CHARGE = "package", "addon", "no_show"
CHARGE_KINDS = (PACKAGE, ADDON, NO_SHOW_CHARGE)
# adjustments (signed: a credit is negative)
DISCOUNT, NOT_PERFORMED, NO_SHOW_CREDIT, CANCELLATION, CORRECTION = (
    "discount",
    "not_performed",
    "no_show_credit",
    "cancellation",
    "correction",
)
ADJUSTMENT_KINDS = (DISCOUNT, NOT_PERFORMED, NO_SHOW_CREDIT, CANCELLATION, CORRECTION)

# payment methods
CASH, BANK_CARD, WECHAT_PAY, ALIPAY, BANK_TRANSFER, COMPANY_ACCOUNT = (
    "cash",
    "bank_card",
    "wechat_pay",
    "alipay",
    "bank_transfer",
    "company_account",
)
METHODS = (CASH, BANK_CARD, WECHAT_PAY, ALIPAY, BANK_TRANSFER, COMPANY_ACCOUNT)

# invoices
REQUESTED, ISSUED, REVERSED = "requested", "issued", "reversed"
INVOICE_STATUSES = (REQUESTED, ISSUED, REVERSED)

# group statements
DRAFT, STATEMENT_ISSUED, PAID = "draft", "issued", "paid"
STATEMENT_STATUSES = (DRAFT, STATEMENT_ISSUED, PAID)

# what a contract credits for items not performed
CREDIT_AT_ITEM_PRICE, NO_CREDIT = "item_price", "none"
CREDIT_RULES = (CREDIT_AT_ITEM_PRICE, NO_CREDIT)

# prepayment holds: held → paid, or expired (unpaid in time: the booking was released), or closed (the booking
# was cancelled while held)
HOLDING, HOLD_PAID, HOLD_EXPIRED, HOLD_CLOSED = "holding", "paid", "expired", "closed"


def amount_field(**kwargs):
    return DecimalField(max_digits=12, decimal_places=2, auto_round=True, **kwargs)


class BalanceLock(BaseModel):
    """The row a balance change locks (``SELECT … FOR UPDATE`` on PostgreSQL): one per appointment and one
    per contract, keyed ``appointment:<id>`` / ``contract:<id>``. It holds no amount."""

    key = CharField(max_length=40, unique=True)
    created_at = DateTimeField(default=utcnow)


class ChargeLine(BaseModel):
    """What an appointment costs, one line per package, add-on item or no-show charge, and who pays it."""

    appointment = ForeignKeyField(Appointment, backref="charge_lines", on_delete="RESTRICT")
    contract = ForeignKeyField(GroupContract, null=True, backref="charge_lines", on_delete="RESTRICT")
    kind = CharField(max_length=12)
    # one line per (appointment, line_key): "package", "addon:<item id>", "no_show" (posting is idempotent)
    line_key = CharField(max_length=40)
    payer = CharField(max_length=8)
    item = ForeignKeyField(ExamItem, null=True, backref="charge_lines", on_delete="RESTRICT")
    description = CharField(max_length=200, default="")
    amount = amount_field()
    created_by = ForeignKeyField(User, null=True, backref="charge_lines", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("appointment", "line_key"), True), (("contract", "payer"), False))
        constraints = [Check("amount >= 0")]


class Adjustment(BaseModel):
    """A signed change to what an appointment costs (a credit is negative), always with a reason and who."""

    appointment = ForeignKeyField(Appointment, backref="adjustments", on_delete="RESTRICT")
    contract = ForeignKeyField(GroupContract, null=True, backref="adjustments", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    # the rule's adjustments are written once: "cancellation", "no_show", "not_performed:<item id>"; manual ones
    # get a unique key of their own
    adjustment_key = CharField(max_length=60)
    payer = CharField(max_length=8)
    item = ForeignKeyField(ExamItem, null=True, backref="adjustments", on_delete="RESTRICT")
    amount = amount_field()
    reason = CharField(max_length=300)
    created_by = ForeignKeyField(User, null=True, backref="adjustments", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("appointment", "adjustment_key"), True), (("contract", "payer"), False))
        constraints = [Check("reason <> ''")]


class ProviderOrder(BaseModel):
    """An order at a payment provider (the ``manual`` transfer, later WeChat Pay or Alipay): one order id,
    one amount. ``state`` is open → paid | closed; a paid order has exactly one payment."""

    order_no = CharField(max_length=40, unique=True)
    provider = CharField(max_length=20)
    appointment = ForeignKeyField(Appointment, backref="provider_orders", on_delete="RESTRICT")
    amount = amount_field()
    state = CharField(max_length=8, default="open")
    created_by = ForeignKeyField(User, null=True, backref="provider_orders", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    last_queried_at = DateTimeField(null=True)

    class Meta:
        constraints = [Check("amount > 0")]


class StatementVersion(BaseModel):
    """One version of a contract's statement: draft → issued → paid. An issued version is frozen
    (``lines_json``, ``total``); a later change is a new version whose ``differences_json`` says what moved."""

    contract = ForeignKeyField(GroupContract, backref="statements", on_delete="RESTRICT")
    version = IntegerField()
    status = CharField(max_length=8, default=DRAFT)
    total = amount_field()
    lines_json = TextField()
    differences_json = TextField(default="[]")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    issued_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("contract", "version"), True),)


class Payment(BaseModel):
    """Money received: from a client for an appointment, or from a company against a statement."""

    appointment = ForeignKeyField(Appointment, null=True, backref="payments", on_delete="RESTRICT")
    contract = ForeignKeyField(GroupContract, null=True, backref="payments", on_delete="RESTRICT")
    statement = ForeignKeyField(StatementVersion, null=True, backref="payments", on_delete="RESTRICT")
    payer = CharField(max_length=8)
    method = CharField(max_length=16)
    amount = amount_field()
    reference = CharField(max_length=100, default="")
    # the split a cashier takes in one go shares this id (a receipt prints them together)
    receipt_no = CharField(max_length=24, index=True)
    provider_order = ForeignKeyField(ProviderOrder, null=True, unique=True, backref="payments", on_delete="RESTRICT")
    cashier = ForeignKeyField(User, null=True, backref="payments_taken", on_delete="SET NULL")
    received_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("appointment", "payer"), False), (("cashier", "received_at"), False))
        constraints = [Check("amount > 0")]


class Refund(BaseModel):
    """Money given back against one payment, by the same method, with a reason (and a second person above
    the configured amount)."""

    payment = ForeignKeyField(Payment, backref="refunds", on_delete="RESTRICT")
    appointment = ForeignKeyField(Appointment, backref="refunds", on_delete="RESTRICT")
    payer = CharField(max_length=8)
    method = CharField(max_length=16)
    amount = amount_field()
    rule = CharField(max_length=20)  # before_cutoff | after_cutoff | not_performed | overpaid
    reason = CharField(max_length=300)
    refunded_by = ForeignKeyField(User, null=True, backref="refunds_made", on_delete="SET NULL")
    approved_by = ForeignKeyField(User, null=True, backref="refunds_approved", on_delete="SET NULL")
    refunded_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        constraints = [Check("amount > 0"), Check("reason <> ''")]


class Invoice(BaseModel):
    """A 发票: requested (title, taxpayer id, email) by the client for an appointment or by HR for a contract,
    issued by the desk or finance (number and date from the tax platform), reversed (红冲) with a reason."""

    appointment = ForeignKeyField(Appointment, null=True, backref="invoices", on_delete="RESTRICT")
    contract = ForeignKeyField(GroupContract, null=True, backref="invoices", on_delete="RESTRICT")
    payer = CharField(max_length=8)
    title = CharField(max_length=200)
    taxpayer_id = CharField(max_length=20, default="")
    email = CharField(max_length=200)
    amount = amount_field()
    status = CharField(max_length=10, default=REQUESTED, index=True)
    requested_by = ForeignKeyField(User, null=True, backref="invoices_requested", on_delete="SET NULL")
    requested_at = DateTimeField(default=utcnow)
    number = CharField(max_length=40, null=True, unique=True)
    issued_on = DateField(null=True)
    issued_by = ForeignKeyField(User, null=True, backref="invoices_issued", on_delete="SET NULL")
    issued_at = DateTimeField(null=True)

    class Meta:
        constraints = [Check("amount > 0")]


class InvoiceReversal(BaseModel):
    """The 红冲 of an issued invoice: its own row, with the reason; the invoice then counts as reversed."""

    invoice = ForeignKeyField(Invoice, unique=True, backref="reversals", on_delete="RESTRICT")
    reason = CharField(max_length=300)
    reversed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    reversed_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("reason <> ''")]


class CashierClosing(BaseModel):
    """A cashier's closed day (日结): the ledger's cash against the cash counted, and the difference."""

    cashier = ForeignKeyField(User, backref="closings", on_delete="RESTRICT")
    day = DateField()
    ledger_cash = amount_field()
    counted_cash = amount_field()
    difference = amount_field()  # counted - ledger
    note = CharField(max_length=300, default="")
    closed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    closed_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cashier", "day"), True),)


class CashierClosingLine(BaseModel):
    """One payment method of a closed day: taken, refunded, net."""

    closing = ForeignKeyField(CashierClosing, backref="lines", on_delete="CASCADE")
    method = CharField(max_length=16)
    payments = IntegerField(default=0)
    received = amount_field()
    refunded = amount_field()
    net = amount_field()

    class Meta:
        indexes = ((("closing", "method"), True),)


class ContractMoneyTerms(BaseModel):
    """A contract's money terms beyond GroupContract's: what items not performed are credited at."""

    contract = ForeignKeyField(GroupContract, unique=True, backref="money_terms", on_delete="CASCADE")
    not_performed_credit = CharField(max_length=12, default=CREDIT_AT_ITEM_PRICE)


class PaymentNotification(BaseModel):
    """A provider's notification, kept once per (provider, transaction id): a repeat changes nothing."""

    provider = CharField(max_length=20)
    transaction_id = CharField(max_length=64)
    order = ForeignKeyField(ProviderOrder, backref="notifications", on_delete="RESTRICT")
    amount = amount_field()
    verified = BooleanField(default=False)
    received_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "transaction_id"), True),)


class PaymentHold(BaseModel):
    """Prepayment: a booking holds its places until ``expires_at``; unpaid by then, it is released."""

    appointment = ForeignKeyField(Appointment, unique=True, backref="payment_holds", on_delete="CASCADE")
    expires_at = DateTimeField()
    state = CharField(max_length=8, default=HOLDING, index=True)
    created_at = DateTimeField(default=utcnow)
    settled_at = DateTimeField(null=True)

    @property
    def released(self):
        """The booking was released because it was not paid in time (a release comes only after
        ``expires_at``; a hold ended by a cancellation before this state existed was marked expired too)."""
        return self.state == HOLD_EXPIRED and self.settled_at is not None and self.settled_at >= self.expires_at

    @property
    def minutes(self):
        """How long the places were held, in whole minutes."""
        return max(1, round((self.expires_at - self.created_at).total_seconds() / 60))


MONEY_MODELS = [
    BalanceLock,
    ChargeLine,
    Adjustment,
    ProviderOrder,
    StatementVersion,
    Payment,
    Refund,
    Invoice,
    InvoiceReversal,
    CashierClosing,
    CashierClosingLine,
    ContractMoneyTerms,
    PaymentNotification,
    PaymentHold,
]
