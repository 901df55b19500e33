"""Money: the ledger of charges, adjustments, payments and refunds; invoices and their reversals (红冲);
cashiers' closed days (日结); group statements in versions; provider orders and notifications; prepayment
holds; a contract's credit rule for items not performed (models/money.py). New tables only: nothing
existing changes, and nothing here depends on a migration after 0014."""

from peewee import *


def _stub(db, name):
    class Stub(Model):
        class Meta:
            database = db
            table_name = name

    return Stub


def up(migrator, db):
    User = _stub(db, "user")
    Appointment = _stub(db, "appointment")
    ExamItem = _stub(db, "exam_item")
    GroupContract = _stub(db, "group_contract")

    def money_field(**kwargs):
        return DecimalField(max_digits=12, decimal_places=2, **kwargs)

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class BalanceLock(Base):
        key = CharField(max_length=40, unique=True)
        created_at = DateTimeField()

    class ChargeLine(Base):
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="RESTRICT")
        contract = ForeignKeyField(GroupContract, null=True, backref="+", on_delete="RESTRICT")
        kind = CharField(max_length=12)
        line_key = CharField(max_length=40)
        payer = CharField(max_length=8)
        item = ForeignKeyField(ExamItem, null=True, backref="+", on_delete="RESTRICT")
        description = CharField(max_length=200, default="")
        amount = money_field()
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            indexes = ((("appointment", "line_key"), True), (("contract", "payer"), False))
            constraints = [Check("amount >= 0")]

    class Adjustment(Base):
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="RESTRICT")
        contract = ForeignKeyField(GroupContract, null=True, backref="+", on_delete="RESTRICT")
        kind = CharField(max_length=16)
        adjustment_key = CharField(max_length=60)
        payer = CharField(max_length=8)
        item = ForeignKeyField(ExamItem, null=True, backref="+", on_delete="RESTRICT")
        amount = money_field()
        reason = CharField(max_length=300)
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            indexes = ((("appointment", "adjustment_key"), True), (("contract", "payer"), False))
            constraints = [Check("reason <> ''")]

    class ProviderOrder(Base):
        order_no = CharField(max_length=40, unique=True)
        provider = CharField(max_length=20)
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="RESTRICT")
        amount = money_field()
        state = CharField(max_length=8, default="open")
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()
        last_queried_at = DateTimeField(null=True)

        class Meta:
            constraints = [Check("amount > 0")]

    class StatementVersion(Base):
        contract = ForeignKeyField(GroupContract, backref="+", on_delete="RESTRICT")
        version = IntegerField()
        status = CharField(max_length=8, default="draft")
        total = money_field()
        lines_json = TextField()
        differences_json = TextField(default="[]")
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        created_at = DateTimeField()
        issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        issued_at = DateTimeField(null=True)
        paid_at = DateTimeField(null=True)

        class Meta:
            indexes = ((("contract", "version"), True),)

    class Payment(Base):
        appointment = ForeignKeyField(Appointment, null=True, backref="+", on_delete="RESTRICT")
        contract = ForeignKeyField(GroupContract, null=True, backref="+", on_delete="RESTRICT")
        statement = ForeignKeyField(StatementVersion, null=True, backref="+", on_delete="RESTRICT")
        payer = CharField(max_length=8)
        method = CharField(max_length=16)
        amount = money_field()
        reference = CharField(max_length=100, default="")
        receipt_no = CharField(max_length=24, index=True)
        provider_order = ForeignKeyField(ProviderOrder, null=True, unique=True, backref="+", on_delete="RESTRICT")
        cashier = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        received_at = DateTimeField(index=True)

        class Meta:
            indexes = ((("appointment", "payer"), False), (("cashier", "received_at"), False))
            constraints = [Check("amount > 0")]

    class Refund(Base):
        payment = ForeignKeyField(Payment, backref="+", on_delete="RESTRICT")
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="RESTRICT")
        payer = CharField(max_length=8)
        method = CharField(max_length=16)
        amount = money_field()
        rule = CharField(max_length=20)
        reason = CharField(max_length=300)
        refunded_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        refunded_at = DateTimeField(index=True)

        class Meta:
            constraints = [Check("amount > 0"), Check("reason <> ''")]

    class Invoice(Base):
        appointment = ForeignKeyField(Appointment, null=True, backref="+", on_delete="RESTRICT")
        contract = ForeignKeyField(GroupContract, null=True, backref="+", on_delete="RESTRICT")
        payer = CharField(max_length=8)
        title = CharField(max_length=200)
        taxpayer_id = CharField(max_length=20, default="")
        email = CharField(max_length=200)
        amount = money_field()
        status = CharField(max_length=10, default="requested", index=True)
        requested_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        requested_at = DateTimeField()
        number = CharField(max_length=40, null=True, unique=True)
        issued_on = DateField(null=True)
        issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        issued_at = DateTimeField(null=True)

        class Meta:
            constraints = [Check("amount > 0")]

    class InvoiceReversal(Base):
        invoice = ForeignKeyField(Invoice, unique=True, backref="+", on_delete="RESTRICT")
        reason = CharField(max_length=300)
        reversed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        reversed_at = DateTimeField()

        class Meta:
            constraints = [Check("reason <> ''")]

    class CashierClosing(Base):
        cashier = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        day = DateField()
        ledger_cash = money_field()
        counted_cash = money_field()
        difference = money_field()
        note = CharField(max_length=300, default="")
        closed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        closed_at = DateTimeField()

        class Meta:
            indexes = ((("cashier", "day"), True),)

    class CashierClosingLine(Base):
        closing = ForeignKeyField(CashierClosing, backref="+", on_delete="CASCADE")
        method = CharField(max_length=16)
        payments = IntegerField(default=0)
        received = money_field()
        refunded = money_field()
        net = money_field()

        class Meta:
            indexes = ((("closing", "method"), True),)

    class ContractMoneyTerms(Base):
        contract = ForeignKeyField(GroupContract, unique=True, backref="+", on_delete="CASCADE")
        not_performed_credit = CharField(max_length=12, default="item_price")

    class PaymentNotification(Base):
        provider = CharField(max_length=20)
        transaction_id = CharField(max_length=64)
        order = ForeignKeyField(ProviderOrder, backref="+", on_delete="RESTRICT")
        amount = money_field()
        verified = BooleanField(default=False)
        received_at = DateTimeField()

        class Meta:
            indexes = ((("provider", "transaction_id"), True),)

    class PaymentHold(Base):
        appointment = ForeignKeyField(Appointment, unique=True, backref="+", on_delete="CASCADE")
        expires_at = DateTimeField()
        state = CharField(max_length=8, default="holding", index=True)
        created_at = DateTimeField()
        settled_at = DateTimeField(null=True)

    db.create_tables(
        [
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
    )


def down(migrator, db):
    for table in (
        "payment_hold",
        "payment_notification",
        "contract_money_terms",
        "cashier_closing_line",
        "cashier_closing",
        "invoice_reversal",
        "invoice",
        "refund",
        "payment",
        "statement_version",
        "provider_order",
        "adjustment",
        "charge_line",
        "balance_lock",
    ):
        db.execute_sql(f'DROP TABLE "{table}"')
