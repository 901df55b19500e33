"""Invoices (发票): requested, issued, reversed (红冲).

The client asks for one on their appointment, HR for the company on a contract (title, 纳税人识别号,
email); the amount is what the payer has paid (net of refunds) when asked. The desk or finance records the
invoice the tax platform issued (number and date) — a real 电子发票 platform is out of reach here, so
``ISSUERS`` is where one plugs in later: an issuer takes the Invoice and answers (number, date). An issued
invoice is reversed with a reason (an InvoiceReversal row); while one stands, the appointment cannot be
refunded (refunds.py). One open (requested or issued) invoice per appointment or contract at a time.
"""

import datetime
import re
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import audit
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, Client, GroupContract, Organization
from checkup.models.base import db, utcnow
from checkup.models.money import COMPANY, ISSUED, REQUESTED, REVERSED, SELF, Invoice, InvoiceReversal, Payment, Refund
from checkup.services.money import ledger

# 统一社会信用代码 (18) or an older taxpayer number (15 or 20): digits and capital letters
TAXPAYER_ID = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{18}$|^[0-9A-Z]{20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OPEN_STATUSES = (REQUESTED, ISSUED)
DESK_LIST_LIMIT = 100  # invoices on one list of the invoice desk

# name -> issue(invoice) -> (number, date): an electronic-invoice platform adapter goes here; "manual" (the
# desk types what the platform printed) needs none
ISSUERS: dict[str, Callable[[Invoice], tuple[str, datetime.date]]] = {}


def _clean_request(title, taxpayer_id, email, company):
    title = (title or "").strip()[:200]
    taxpayer_id = (taxpayer_id or "").strip().upper().replace(" ", "")[:20]
    email = (email or "").strip()[:200]
    errors = {}
    if not title:
        errors["title"] = _l("Enter the invoice title (个人 or the company's full name).")
    if (company or taxpayer_id) and not TAXPAYER_ID.match(taxpayer_id):
        errors["taxpayer_id"] = _l("The taxpayer ID has 15, 18 or 20 digits and capital letters.")
    if not EMAIL.match(email):
        errors["email"] = _l("Enter the email address the invoice is sent to.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    return title, taxpayer_id, email


def _paid(model_filter, payer):
    paid = ledger.summed(
        Payment.select(ledger.sum_column(Payment.amount)).where(model_filter(Payment), Payment.payer == payer).scalar()
    )
    refunded = ledger.ZERO
    if payer == SELF:
        refunded = ledger.summed(
            Refund.select(ledger.sum_column(Refund.amount)).where(model_filter(Refund), Refund.payer == payer).scalar()
        )
    return paid - refunded


def _check_none_open(condition):
    if Invoice.select().where(condition, Invoice.status.in_(OPEN_STATUSES)).exists():
        raise Conflict(_l("An invoice is already requested or issued for this. Reverse it first to ask again."))


def request_for_appointment(actor, appointment_id, title, taxpayer_id, email, client_id=None):
    """The client's (or the desk's) request for the appointment's paid amount. ``client_id``: only that
    client's own appointment (another's is a 404). Raises ValidationError, Conflict (nothing paid, one open)."""
    query = Appointment.select().where(Appointment.id == appointment_id)
    if client_id is not None:
        query = query.where(Appointment.client == client_id)
    if not query.exists():
        raise NotFound(_l("We could not find that appointment."))
    cleaned = _clean_request(title, taxpayer_id, email, company=False)
    nothing_paid = _l("Nothing has been paid on this appointment yet: an invoice can be asked for once it is.")
    return _record_request(actor, "appointment", appointment_id, SELF, cleaned, nothing_paid)


def request_for_contract(actor, contract_id, title, taxpayer_id, email, organization_id=None):
    """HR's request for what the company has paid on the contract (``organization_id``: only its own)."""
    query = GroupContract.select().where(GroupContract.id == contract_id)
    if organization_id is not None:
        query = query.where(GroupContract.organization == organization_id)
    if not query.exists():
        raise NotFound(_l("We could not find that contract."))
    cleaned = _clean_request(title, taxpayer_id, email, company=True)
    return _record_request(
        actor, "contract", contract_id, COMPANY, cleaned, _l("The company has not paid anything on this contract yet.")
    )


def _record_request(actor, owner, owner_id, payer, cleaned, nothing_paid):
    """The invoice request for what ``payer`` has paid on the ``owner`` ("appointment" or "contract") with
    ``owner_id``, under that balance's lock: refused while another is open or when nothing is paid."""
    title, taxpayer_id, email = cleaned
    with db.atomic():
        ledger.lock_balance(f"{owner}:{owner_id}")
        _check_none_open(getattr(Invoice, owner) == owner_id)
        amount = _paid(lambda model: getattr(model, owner) == owner_id, payer)
        if amount <= 0:
            raise Conflict(nothing_paid)
        invoice = Invoice.create(
            **{owner: owner_id},
            payer=payer,
            title=title,
            taxpayer_id=taxpayer_id,
            email=email,
            amount=amount,
            requested_by=actor.user_id,
        )
        audit.record(actor, "money.invoice_requested", invoice, **{owner: owner_id}, amount=str(amount))
    return invoice


def get_invoice(invoice_id):
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFound(_l("No such invoice."))
    return invoice


def issue(actor, invoice_id, number, issued_on):
    """Record the issued invoice's number and date (requested → issued). Raises ValidationError, Conflict."""
    number = (number or "").strip().upper()[:40]
    errors = {}
    if not re.fullmatch(r"[0-9A-Z-]{8,40}", number):
        errors["number"] = _l("Enter the invoice number as printed (8 to 40 digits or letters).")
    if not isinstance(issued_on, datetime.date):
        errors["issued_on"] = _l("Enter the date the invoice was issued.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        if Invoice.select().where(Invoice.number == number).exists():
            message = _l("An invoice with this number is already recorded.")
            raise ValidationError(message, {"number": message})
        changed = (
            Invoice.update(
                status=ISSUED, number=number, issued_on=issued_on, issued_by=actor.user_id, issued_at=utcnow()
            )
            .where(Invoice.id == invoice_id, Invoice.status == REQUESTED)
            .execute()
        )
        if not changed:
            get_invoice(invoice_id)
            raise Conflict(_l("Only a requested invoice can be issued."))
        invoice = get_invoice(invoice_id)
        audit.record(actor, "money.invoice_issued", invoice, number=number)
    return invoice


def reverse(actor, invoice_id, reason):
    """红冲: an issued invoice is reversed with a reason (its own row); a new one may then be requested."""
    reason = (reason or "").strip()[:300]
    if not reason:
        message = _l("Give the reason for the reversal.")
        raise ValidationError(message, {"reason": message})
    with db.atomic():
        changed = Invoice.update(status=REVERSED).where(Invoice.id == invoice_id, Invoice.status == ISSUED).execute()
        if not changed:
            get_invoice(invoice_id)
            raise Conflict(_l("Only an issued invoice can be reversed."))
        InvoiceReversal.create(invoice=invoice_id, reason=reason, reversed_by=actor.user_id)
        invoice = get_invoice(invoice_id)
        audit.record(actor, "money.invoice_reversed", invoice, reason=reason)
    return invoice


def has_standing_invoice(appointment_id):
    """An issued, not reversed invoice covers the appointment."""
    return Invoice.select().where(Invoice.appointment == appointment_id, Invoice.status == ISSUED).exists()


def _for_appointment_query(appointment_id):
    return Invoice.select().where(Invoice.appointment == appointment_id).order_by(Invoice.id)


_FOR_APPOINTMENT = PreparedSelect(_for_appointment_query, "checkup_invoices_for_appointment", samples=(-2_000_000_001,))


def for_appointment(appointment_id):
    return _FOR_APPOINTMENT.rows(appointment_id)


def for_contract(contract_id):
    return list(Invoice.select().where(Invoice.contract == contract_id).order_by(Invoice.id))


def _desk_list_query(status, limit):
    query = (
        Invoice.select(Invoice, Appointment, Client, GroupContract, Organization)
        .join_from(Invoice, Appointment, JOIN.LEFT_OUTER)
        .join_from(Appointment, Client, JOIN.LEFT_OUTER)
        .join_from(Invoice, GroupContract, JOIN.LEFT_OUTER)
        .join_from(GroupContract, Organization, JOIN.LEFT_OUTER)
        .where(Invoice.status == status)
    )
    if status == REQUESTED:
        query = query.order_by(Invoice.requested_at, Invoice.id)
    elif status == ISSUED:
        query = query.order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    else:
        query = query.join_from(Invoice, InvoiceReversal).order_by(
            InvoiceReversal.reversed_at.desc(), InvoiceReversal.id.desc()
        )
    return query.limit(limit)


# {status: the desk's list of that status}: built once per process and status, prepared on PostgreSQL
_desk_lists = PerShape(
    lambda status: PreparedSelect(
        lambda limit: _desk_list_query(status, limit), f"checkup_invoice_desk_list_{status}", samples=(-2_000_000_001,)
    )
)


def desk_list(status=REQUESTED, limit=DESK_LIST_LIMIT):
    """Invoices of one status for the desk, with who they are for (one query): requests oldest first (a queue
    to work through); issued ones latest issued first and reversed ones latest reversed first — the desk
    reverses what it issued lately, and a list of the oldest would push those out once it is full."""
    status = status if status in (REQUESTED, ISSUED, REVERSED) else REQUESTED
    return _desk_lists(status).rows(limit)


def requested_count(limit=DESK_LIST_LIMIT):
    """How many invoices the requests list shows (``len(desk_list(REQUESTED))``), counted in the database."""
    return Invoice.select(Invoice.id).where(Invoice.status == REQUESTED).limit(limit).count()
