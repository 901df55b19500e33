"""The ledger of one appointment: its charge lines (posted from the appointment), adjustments, and the
balance per payer — always the sum of rows, never a stored figure.

Charges come from the appointment's own snapshot, so a later catalog change never reprices a checkup: the
package at the price booked for this client or contract (``company_amount`` for the company's part, the
rest of ``self_amount`` for the client's), and each add-on item at its booked price and payer. Posting is
idempotent (one row per ``line_key``): a second call, or a call after an add-on was added, writes only
what is missing.

Amounts are ``Decimal`` rounded half-up to the cent. SQL sums are taken in integer cents on SQLite (whose
SUM of a NUMERIC column answers a float) and as NUMERIC on PostgreSQL.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, PostgresqlDatabase, Value, fn

from checkup.core import audit, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, Enrollment, ExamItem, Package
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.models.money import (
    ADDON,
    CANCELLATION,
    COMPANY,
    PACKAGE,
    SELF,
    Adjustment,
    BalanceLock,
    ChargeLine,
    Payment,
    PaymentHold,
    Refund,
)
from checkup.services.booking import payment_holds

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# appointments whose charges are posted (a cancelled one before money existed owes nothing)
CHARGEABLE_STATUSES = (BOOKED, CHECKED_IN, COMPLETED, NO_SHOW)
MAX_AMOUNT = Decimal("9999999999.99")  # NUMERIC(12,2)


def money(value) -> Decimal:
    """``value`` as Decimal to the cent, half-up (None → 0.00). Never goes through a float."""
    if isinstance(value, float):
        value = repr(value)  # a float from an SQLite sum: its shortest decimal form, never its binary value
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text, field_name="amount", allow_zero=False):
    """A positive (or, with ``allow_zero``, zero) amount typed by a person: digits with at most two decimals;
    else ValidationError on the field."""
    raw = str(text or "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    message = _l("Enter an amount in yuan, such as 120 or 120.50.")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ValidationError(message, {field_name: message}) from None
    if not value.is_finite():
        raise ValidationError(message, {field_name: message})
    if value.as_tuple().exponent < -2:  # finite: an int exponent
        two = _l("Amounts have at most two decimals (fen).")
        raise ValidationError(two, {field_name: two})
    if value < 0 or (value == 0 and not allow_zero):
        positive = _l("Enter an amount greater than zero.")
        raise ValidationError(positive, {field_name: positive})
    if value > MAX_AMOUNT:
        raise ValidationError(message, {field_name: message})
    return money(value)


def is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def sum_column(column):
    """An exact SQL sum of a NUMERIC(12,2) column: NUMERIC on PostgreSQL, integer cents on SQLite."""
    if is_postgres():
        return fn.COALESCE(fn.SUM(column), 0)
    return fn.COALESCE(fn.SUM(fn.ROUND(column * 100)), 0)


def summed(value) -> Decimal:
    """What ``sum_column`` answered, as Decimal to the cent."""
    if is_postgres():
        return money(value)
    return (Decimal(int(round(value or 0))) / HUNDRED).quantize(CENT)


# --- locking ---------------------------------------------------------------------------------------


def lock_balance(key):
    """Lock the balance ``key`` ("appointment:<id>" or "contract:<id>") until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE`` on its BalanceLock row, created on first use. SQLite: the
    database opens every transaction IMMEDIATE (database.open_database), which already serialises
    writers; the row is touched all the same so both back ends run the same statements. One statement
    once the row exists, two the first time."""
    if not db.in_transaction():
        raise RuntimeError("lock_balance must run inside a transaction")
    if _LOCK_ROW.rows(key):
        return
    # First use. A row this transaction inserts is invisible to the others and their insert of the same key
    # waits for our commit, so it is ours; if a racing transaction inserted it first, lock theirs.
    inserted = BalanceLock.insert(key=key, created_at=utcnow()).on_conflict_ignore().execute()
    if is_postgres() and inserted is None:
        _LOCK_ROW.rows(key)


def _lock_row(key):
    query = BalanceLock.select(BalanceLock.id).where(BalanceLock.key == key)
    return query.for_update() if is_postgres() else query


# built once per database kind (core/prepared): a payment's few statements cost more to build than to run
_LOCK_ROW = PreparedSelect(_lock_row, "checkup_balance_lock_row")


# --- posting charges -------------------------------------------------------------------------------


def contract_of(appointment_id):
    """The contract an appointment was booked under (its enrollment), or None."""
    return Enrollment.select(Enrollment.contract).where(Enrollment.appointment == appointment_id).scalar()


def _charge_rows(appointment, contract_id, items, actor_id=None):
    """The charge lines the appointment's snapshot calls for (without ids)."""
    now = utcnow()
    rows = []
    addon_sum = {SELF: ZERO, COMPANY: ZERO}
    for line in items:
        payer = COMPANY if line.payer == COMPANY else SELF
        addon_sum[payer] += money(line.price)
        rows.append(
            {
                "appointment": appointment.id,
                "contract": contract_id,
                "kind": ADDON,
                "line_key": f"addon:{line.item_id}",
                "payer": payer,
                "item": line.item_id,
                "description": "",
                "amount": money(line.price),
                "created_by": actor_id,
                "created_at": now,
            }
        )
    package_code = appointment.package.code if appointment.package_id else ""
    parts = {
        COMPANY: money(appointment.company_amount) - addon_sum[COMPANY],
        SELF: money(appointment.self_amount) - addon_sum[SELF],
    }
    for payer, amount in parts.items():
        if amount > 0:
            rows.append(
                {
                    "appointment": appointment.id,
                    "contract": contract_id,
                    "kind": PACKAGE,
                    "line_key": f"package:{payer}",
                    "payer": payer,
                    "item": None,
                    "description": package_code,
                    "amount": amount,
                    "created_by": actor_id,
                    "created_at": now,
                }
            )
    return rows


def post_charges(appointment, actor_id=None):
    """Write the appointment's missing charge lines (idempotent). Returns how many were written."""
    return post_charges_for([appointment], actor_id)


def post_charges_for(appointments, actor_id=None):
    """``post_charges`` for many appointments in a fixed number of queries."""
    appointments = [a for a in appointments if a.status in CHARGEABLE_STATUSES or a.status == CANCELLED]
    if not appointments:
        return 0
    ids = [a.id for a in appointments]
    contracts = dict(
        Enrollment.select(Enrollment.appointment, Enrollment.contract).where(Enrollment.appointment.in_(ids)).tuples()
    )
    addons: dict[int, list] = {}
    for line in AppointmentItem.select().where(AppointmentItem.appointment.in_(ids), AppointmentItem.is_addon == True):
        addons.setdefault(line.appointment_id, []).append(line)
    packages = {
        p.id: p
        for p in Package.select(Package.id, Package.code).where(Package.id.in_({a.package_id for a in appointments}))
    }
    posted = set(
        ChargeLine.select(ChargeLine.appointment, ChargeLine.line_key).where(ChargeLine.appointment.in_(ids)).tuples()
    )
    has_any = {appointment_id for appointment_id, _key in posted}
    rows = []
    for appointment in appointments:
        if appointment.status == CANCELLED and appointment.id not in has_any:
            continue  # cancelled before the ledger knew it: nothing was ever owed
        appointment.package = packages.get(appointment.package_id)
        for row in _charge_rows(appointment, contracts.get(appointment.id), addons.get(appointment.id, []), actor_id):
            if (appointment.id, row["line_key"]) not in posted:
                rows.append(row)
    for start in range(0, len(rows), 500):
        ChargeLine.insert_many(rows[start : start + 500]).on_conflict_ignore().execute()
    return len(rows)


def charges_missing():
    """An SQL condition on ``Appointment``: true when a charge line its snapshot calls for is missing — an
    add-on (one bought after the first charges too) without its line, or a payer's package part above zero
    without its line. Exactly when ``post_charges`` would write something for a chargeable appointment, so a
    caller that selects it skips ``post_charges``'s queries when nothing is missing."""

    def posted(line_key):
        return fn.EXISTS(
            ChargeLine.select(ChargeLine.id).where(
                ChargeLine.appointment == Appointment.id, ChargeLine.line_key == line_key
            )
        )

    def package_part_unposted(payer, amount):
        addons = AppointmentItem.select(fn.COALESCE(fn.SUM(AppointmentItem.price), 0)).where(
            AppointmentItem.appointment == Appointment.id,
            AppointmentItem.is_addon == True,
            AppointmentItem.payer == COMPANY if payer == COMPANY else AppointmentItem.payer != COMPANY,
        )
        # compared in cents: SQLite does this arithmetic in floats
        return (fn.ROUND((amount - addons) * 100) > 0) & ~posted(f"{PACKAGE}:{payer}")

    addon_unposted = AppointmentItem.select(AppointmentItem.id).where(
        AppointmentItem.appointment == Appointment.id,
        AppointmentItem.is_addon == True,
        ~posted(Value("addon:").concat(AppointmentItem.item.cast("TEXT"))),
    )
    return (
        fn.EXISTS(addon_unposted)
        | package_part_unposted(SELF, Appointment.self_amount)
        | package_part_unposted(COMPANY, Appointment.company_amount)
    )


def _charges_missing_of(appointment_id):
    return (
        Appointment.select(Appointment, charges_missing().alias("charges_missing"), Client, Package)
        .join(Client)
        .switch(Appointment)
        .join(Package, JOIN.LEFT_OUTER)
        .where(Appointment.id == appointment_id)
        .limit(1)
    )


# the cashier's appointment page reads it (naming the client and the package) on every visit: built once,
# prepared on PostgreSQL
_CHARGES_MISSING = PreparedSelect(
    _charges_missing_of, "checkup_ledger_appointment_charges_missing", samples=(-2_000_000_001,)
)


def ensure_charges(appointment_id):
    """Post what is missing for one appointment (an appointment booked before the ledger, or by the waitlist).
    One query when nothing is."""
    found = _CHARGES_MISSING.rows(appointment_id) if valid_id(appointment_id) else []
    appointment = found[0] if found else None
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    if appointment.status in CHARGEABLE_STATUSES and appointment.charges_missing:
        post_charges(appointment)
    return appointment


@tasks.handler("money.post_missing_charges", lease_minutes=60)
def post_missing_charges(batch=1000):
    """Charge lines for every chargeable appointment that has none yet (data from before the ledger).
    Returns how many lines were written."""
    written = 0
    last_id = 0
    while True:
        chunk = list(
            Appointment.select()
            .where(
                Appointment.id > last_id,
                Appointment.status.in_(CHARGEABLE_STATUSES),
                ~fn.EXISTS(ChargeLine.select(ChargeLine.id).where(ChargeLine.appointment == Appointment.id)),
            )
            .order_by(Appointment.id)
            .limit(batch)
        )
        if not chunk:
            return written
        with db.atomic():
            written += post_charges_for(chunk)
        last_id = chunk[-1].id


# --- balances --------------------------------------------------------------------------------------


@dataclass
class Balance:
    """One payer's account of an appointment: charged (charges + adjustments), paid, refunded, due."""

    payer: str
    charged: Decimal = ZERO
    paid: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def received(self):
        return self.paid - self.refunded

    @property
    def due(self):
        """Still to pay (negative: owed back to the payer)."""
        return self.charged - self.received


@dataclass
class Account:
    appointment_id: int
    balances: dict = field(default_factory=dict)

    def of(self, payer):
        return self.balances.setdefault(payer, Balance(payer))


def account(appointment_id) -> Account:
    """Both payers' balances of an appointment, summed from its rows (one query, built once per process)."""
    return _accounts_from(_ONE_ACCOUNT.rows(appointment_id), [appointment_id])[appointment_id]


# the rows a balance sums, and the Balance attribute each adds to
SUMMED = ((ChargeLine, "charged"), (Adjustment, "charged"), (Payment, "paid"), (Refund, "refunded"))


def accounts_of(appointment_ids):
    """{appointment id: Account} for many appointments: one query, the four grouped sums in a UNION ALL."""
    ids = list(appointment_ids)
    if not ids:
        return {}
    if len(ids) == 1:  # an appointment's own page: the statement built once (and prepared on PostgreSQL)
        return _accounts_from(_ONE_ACCOUNT.rows(ids[0]), ids)
    if len(ids) <= IN_LIST_SHAPES:  # a client's few appointments: one statement per length of the list
        return _accounts_from(_SOME_ACCOUNTS(len(ids)).rows(*ids), ids)
    return _accounts_from(_sums(lambda model: model.appointment.in_(ids)).tuples(), ids)


def _sums(condition):
    """The four grouped sums of the rows ``condition(model)`` picks, as one UNION ALL (peewee: ``+``)."""
    query = None
    for n, (model, _attribute) in enumerate(SUMMED):
        sums = (
            model.select(model.appointment, model.payer, SQL(str(n)), sum_column(model.amount))  # our 0-3
            .where(condition(model))
            .group_by(model.appointment, model.payer)
        )
        query = sums if query is None else query + sums
    return query


def _one_account(appointment_id):
    return _sums(lambda model: model.appointment == appointment_id).tuples()


# a payment reads its balance after the lock: the sums' SQL built once per database kind (core/prepared)
_ONE_ACCOUNT = PreparedSelect(_one_account, "checkup_one_account", samples=(-2_000_000_001,))

# lists of up to this many appointment ids keep a prepared statement per length (a client's own pages)
IN_LIST_SHAPES = 16


def _in_list_samples(count):
    return tuple(-2_000_000_001 - n for n in range(count))


def _some_accounts(count):
    def build(*ids):
        return _sums(lambda model: model.appointment.in_(list(ids))).tuples()

    return PreparedSelect(build, f"checkup_accounts_of_{count}", samples=_in_list_samples(count))


def _some_holds(count):
    def build(*ids):
        return PaymentHold.select().where(PaymentHold.appointment.in_(list(ids)))

    return PreparedSelect(build, f"checkup_ledger_holds_of_{count}", samples=_in_list_samples(count))


_SOME_ACCOUNTS = PerShape(_some_accounts)
_SOME_HOLDS = PerShape(_some_holds)


def _accounts_from(rows, ids):
    result = {appointment_id: Account(appointment_id) for appointment_id in ids}
    for item in result.values():
        item.of(SELF)
    for appointment_id, payer, n, value in rows:
        attribute = SUMMED[n][1]
        balance_of = result[appointment_id].of(payer)
        setattr(balance_of, attribute, getattr(balance_of, attribute) + summed(value))
    return result


def _client_appointments(client_id):
    return (
        Appointment.select(Appointment, Package)
        .join(Package, JOIN.LEFT_OUTER)
        .where(Appointment.client == client_id)
        .order_by(Appointment.day.desc(), Appointment.id.desc())
    )


_CLIENT_APPOINTMENTS = PreparedSelect(
    _client_appointments, "checkup_ledger_client_appointments", samples=(-2_000_000_001,)
)


def client_overview(client_id):
    """The client's appointments (newest first) with each one's account: what they pay, what the company
    pays, paid or not. Two queries whatever the number of appointments."""
    rows = _CLIENT_APPOINTMENTS.rows(client_id)
    accounts = accounts_of([a.id for a in rows])
    for row in rows:
        row.account = accounts[row.id]
    return rows


@dataclass
class ClientMoney:
    """What a client reads about one appointment's money: their part, the company's, and the prepayment
    hold (None when nothing was held)."""

    own: Balance
    company: Balance
    hold: PaymentHold | None = None


def client_money(appointment_ids):
    """{appointment id: ClientMoney} for the client's appointment pages (two queries however many)."""
    ids = list(appointment_ids)
    found = accounts_of(ids)
    if len(ids) == 1:
        hold_rows = _ONE_HOLD.rows(ids[0])
    elif 1 < len(ids) <= IN_LIST_SHAPES:
        hold_rows = _SOME_HOLDS(len(ids)).rows(*ids)
    else:
        hold_rows = list(PaymentHold.select().where(PaymentHold.appointment.in_(ids))) if ids else []
    holds = {h.appointment_id: h for h in hold_rows}
    return {i: ClientMoney(found[i].of(SELF), found[i].of(COMPANY), holds.get(i)) for i in ids}


def balance(appointment_id, payer=SELF) -> Balance:
    return account(appointment_id).of(payer)


def _one_hold(appointment_id):
    return PaymentHold.select().where(PaymentHold.appointment == appointment_id)


def _charge_lines(appointment_id):
    return (
        ChargeLine.select(ChargeLine, ExamItem)
        .join(ExamItem, on=(ChargeLine.item == ExamItem.id), join_type=JOIN.LEFT_OUTER)
        .where(ChargeLine.appointment == appointment_id)
        .order_by(ChargeLine.id)
    )


def _adjustment_lines(appointment_id):
    return (
        Adjustment.select(Adjustment, ExamItem)
        .join(ExamItem, on=(Adjustment.item == ExamItem.id), join_type=JOIN.LEFT_OUTER)
        .where(Adjustment.appointment == appointment_id)
        .order_by(Adjustment.id)
    )


def _payments(appointment_id):
    return Payment.select().where(Payment.appointment == appointment_id).order_by(Payment.id)


def _refunds(appointment_id):
    return Refund.select().where(Refund.appointment == appointment_id).order_by(Refund.id)


# an appointment's money pages (the client's, the cashier's) read these on every visit: built once, prepared
_ONE_HOLD = PreparedSelect(_one_hold, "checkup_ledger_one_hold")
_CHARGE_LINES = PreparedSelect(_charge_lines, "checkup_ledger_charge_lines")
_ADJUSTMENT_LINES = PreparedSelect(_adjustment_lines, "checkup_ledger_adjustment_lines")
_PAYMENTS = PreparedSelect(_payments, "checkup_ledger_payments")
_REFUNDS = PreparedSelect(_refunds, "checkup_ledger_refunds")


def lines(appointment_id):
    """The appointment's charge lines and adjustments, oldest first, with the item names joined (staff and
    the client themself see them; HR never does)."""
    return _CHARGE_LINES.rows(appointment_id), _ADJUSTMENT_LINES.rows(appointment_id)


def payments_of(appointment_id):
    """Payments of the appointment with their refunds (two queries), oldest first."""
    payments = _PAYMENTS.rows(appointment_id)
    refunds = _REFUNDS.rows(appointment_id)
    for payment in payments:
        payment.refund_rows = [r for r in refunds if r.payment_id == payment.id]
        payment.refunded = sum((money(r.amount) for r in payment.refund_rows), ZERO)
        payment.left = money(payment.amount) - payment.refunded
    return payments, refunds


# --- adjustments -----------------------------------------------------------------------------------


def late_fee_percent():
    return Decimal(str(current_app.config.get("REFUND_LATE_FEE_PERCENT") or "0"))


def credit_cancellation(appointment, late=False, actor_id=None):
    """A cancelled appointment owes nothing — or, cancelled after the cutoff, the configured fee on what the
    client had paid. One CANCELLATION adjustment per payer (idempotent)."""
    current = account(appointment.id)
    rows = []
    for payer, state in current.balances.items():
        if state.charged == 0:
            continue
        keep = ZERO
        if late and payer == SELF:
            keep = min(money(state.charged * late_fee_percent() / HUNDRED), max(state.received, ZERO))
        credit = keep - state.charged
        if credit == 0:
            continue
        reason = "cancelled after the cutoff: fee kept" if keep else "cancelled"
        rows.append(
            {
                "appointment": appointment.id,
                "contract": contract_of(appointment.id) if payer == COMPANY else None,
                "kind": CANCELLATION,
                "adjustment_key": f"cancellation:{payer}" + (":late" if late and payer == SELF else ""),
                "payer": payer,
                "amount": credit,
                "reason": reason,
                "created_by": actor_id,
                "created_at": utcnow(),
            }
        )
    if rows:
        Adjustment.insert_many(rows).on_conflict_ignore().execute()
    return rows


def add_adjustment(actor, appointment_id, kind, amount, reason, payer=SELF, item_id=None, key=None):
    """A manual adjustment (a discount, a correction): signed amount, a reason always; audited."""
    reason = (reason or "").strip()[:300]
    if not reason:
        message = _l("Give a reason.")
        raise ValidationError(message, {"reason": message})
    with db.atomic():
        lock_balance(f"appointment:{appointment_id}")
        row = Adjustment.create(
            appointment=appointment_id,
            contract=contract_of(appointment_id) if payer == COMPANY else None,
            kind=kind,
            adjustment_key=key or f"{kind}:{utcnow().isoformat()}:{actor.user_id}",
            payer=payer,
            item=item_id,
            amount=money(amount),
            reason=reason,
            created_by=actor.user_id,
        )
        audit.record(actor, "money.adjusted", row, appointment=appointment_id, kind=kind, amount=str(row.amount))
    return row


def _on_booked(appointment):
    post_charges(appointment, appointment.booked_by_id)


def _on_cancelled(appointment, late):
    post_charges(Appointment.get_by_id(appointment.id))
    credit_cancellation(appointment, late)


payment_holds.ON_BOOKED["money.charges"] = _on_booked
payment_holds.ON_CANCELLED["money.cancellation"] = _on_cancelled
