"""Taking a payment for an appointment, split across methods (cash, bank card, WeChat Pay, Alipay, bank
transfer, company account) — never more than the balance, however many cashiers or notifications race.

Concurrency: the appointment's balance row is locked for the whole transaction (``ledger.lock_balance``:
``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's transactions are IMMEDIATE), the balance is summed from
the rows after the lock, and the payment rows are written before it is released. Two payments against
one balance therefore run one after the other, and the second sees the first.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import localized
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment
from checkup.models.base import db
from checkup.models.money import COMPANY, COMPANY_ACCOUNT, CURRENCY, METHODS, SELF, Payment
from checkup.reports.receipt import ReceiptRenderer
from checkup.services.booking import payment_holds
from checkup.services.money import ledger

MAX_PARTS = len(METHODS)


@dataclass(frozen=True)
class Part:
    """One method's share of a payment."""

    method: str
    amount: Decimal
    reference: str = ""


def new_receipt_no():
    """R + the center's date + 6 random characters: printed on the receipt, shared by a split payment."""
    return f"R{clock.today():%Y%m%d}{secrets.token_hex(3).upper()}"


def parse_parts(rows):
    """[(method, amount text, reference)] as typed → [Part]; empty rows are skipped. ValidationError with the
    field of the first bad row (``amount_<n>`` / ``method_<n>``)."""
    parts = []
    for n, (method, amount, reference) in enumerate(rows):
        if not str(amount or "").strip():
            continue
        if method not in METHODS:
            message = _l("Choose how this part was paid.")
            raise ValidationError(message, {f"method_{n}": message})
        parts.append(Part(method, ledger.parse_amount(amount, f"amount_{n}"), str(reference or "").strip()[:100]))
    if not parts:
        message = _l("Enter the amount received.")
        raise ValidationError(message, {"amount_0": message})
    if len(parts) > MAX_PARTS:
        raise ValidationError(_l("At most one part per payment method."))
    return parts


def take_payment(actor, appointment_id, parts, payer=SELF, provider_order_id=None, allow_over=False):
    """Record ``parts`` (each a Part) against the appointment's ``payer`` balance in one transaction.

    Guarantees: the parts together never exceed what is due at the moment of writing (the balance is locked
    and summed after the lock) unless ``allow_over`` (money a provider already took, refunded later); every
    part is one immutable Payment row sharing one receipt number; audited; a prepaid hold is released
    (marked paid) once nothing is left to pay. Returns the receipt number.
    Raises NotFound (no appointment), ValidationError (no part, nothing due, more than due, a method not allowed).
    """
    if payer not in (SELF, COMPANY):
        raise ValidationError(_l("Choose who pays."))
    if not parts:
        message = _l("Enter the amount received.")
        raise ValidationError(message, {"amount_0": message})
    for part in parts:
        if part.method == COMPANY_ACCOUNT and payer != COMPANY:
            message = _l("The company account pays only what the company owes.")
            raise ValidationError(message, {"method_0": message})
    total = sum((part.amount for part in parts), ledger.ZERO)
    receipt_no = new_receipt_no()
    with db.atomic():
        ledger.lock_balance(f"appointment:{appointment_id}")
        found = _APPOINTMENT.rows(appointment_id) if valid_id(appointment_id) else []
        if not found:
            raise NotFound(_l("We could not find that appointment."))
        appointment = found[0]
        if appointment.status in ledger.CHARGEABLE_STATUSES and appointment.charges_missing:
            ledger.post_charges(Appointment.get_by_id(appointment_id))  # rare: the whole row for the lines
        due = ledger.balance(appointment_id, payer).due
        if not allow_over:
            if due <= 0:
                message = _l("Nothing is due on this appointment.")
                raise ValidationError(message, {"amount_0": message})
            if total > due:
                message = _l("That is more than the balance due (%(due)s).", due=f"{due:.2f}")
                raise ValidationError(message, {"amount_0": message})
        contract_id = ledger.contract_of(appointment_id) if payer == COMPANY else None
        Payment.insert_many(
            [
                {
                    "appointment": appointment_id,
                    "contract": contract_id,
                    "payer": payer,
                    "method": part.method,
                    "amount": part.amount,
                    "reference": part.reference,
                    "receipt_no": receipt_no,
                    "provider_order": provider_order_id,
                    "cashier": actor.user_id,
                }
                for part in parts
            ]
        ).execute()
        audit.record(
            actor,
            "money.payment_taken",
            appointment,
            receipt=receipt_no,
            payer=payer,
            parts=[{"method": part.method, "amount": str(part.amount)} for part in parts],
        )
        # a hold never returns to holding once paid, expired or closed: read after the lock, it is current
        if payer == SELF and due - total <= 0 and appointment.hold_awaiting:
            payment_holds.mark_paid(appointment_id)
    return receipt_no


def _appointment(appointment_id):
    """What a payment reads of its appointment (its client for the audit row), and whether charges or a
    prepayment hold wait on it."""
    return Appointment.select(
        Appointment.id,
        Appointment.status,
        Appointment.client,
        ledger.charges_missing().alias("charges_missing"),
        payment_holds.awaiting_payment().alias("hold_awaiting"),
    ).where(Appointment.id == appointment_id)


# built once per database kind (core/prepared): building it cost more than running it
_APPOINTMENT = PreparedSelect(_appointment, "checkup_payment_appointment", samples=(-2_000_000_001,))


def receipt(appointment_id, receipt_no):
    """The payment rows of one receipt of one appointment (NotFound if none)."""
    rows = list(
        Payment.select()
        .where(Payment.appointment == appointment_id, Payment.receipt_no == (receipt_no or "")[:24])
        .order_by(Payment.id)
    )
    if not rows:
        raise NotFound(_l("No such receipt."))
    return rows


METHOD_LABELS = {
    "cash": _l("Cash"),
    "bank_card": _l("Bank card"),
    "wechat_pay": _l("WeChat Pay"),
    "alipay": _l("Alipay"),
    "bank_transfer": _l("Bank transfer"),
    "company_account": _l("Company account"),
}


def method_label(method):
    return str(METHOD_LABELS.get(method, method))


def receipt_pdf(appointment_id, receipt_no, center_name, client_id=None):
    """(filename, PDF bytes) of one receipt; ``client_id``: only that client's own (else NotFound)."""
    query = Appointment.select().where(Appointment.id == appointment_id)
    if client_id is not None:
        query = query.where(Appointment.client == client_id)
    appointment = query.first()
    if appointment is None:
        raise NotFound(_l("No such receipt."))
    rows = receipt(appointment_id, receipt_no)
    cashier = rows[0].cashier
    data = {
        "center": {"name": center_name},
        "receipt_no": rows[0].receipt_no,
        "received_at": clock.from_utc(rows[0].received_at).strftime("%Y-%m-%d %H:%M"),
        "client": appointment.client.name,
        "exam_code": appointment.exam_code,
        "package": localized(appointment.package) if appointment.package_id else "",
        "cashier": cashier.name if cashier else str(_l("Online payment")),
        "parts": [{"method": method_label(r.method), "reference": r.reference, "amount": r.amount} for r in rows],
        "total": sum((ledger.money(r.amount) for r in rows), ledger.ZERO),
        "currency": CURRENCY,
    }
    return f"receipt-{rows[0].receipt_no}.pdf", ReceiptRenderer().build(data)
