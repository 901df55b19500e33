"""Online payment through a provider: the interface every adapter implements, and ``manual``, the one that
works offline (the client transfers the amount quoting the order number; the desk confirms the transfer).

The flow every provider shares:

1. ``create_order`` writes a ProviderOrder (our order number, the amount due) and asks the adapter to open
   it (``open_order``: what the client is shown — transfer details here, a QR code URL for WeChat Pay
   Native / Alipay precreate). A ``money.query_provider_order`` task is owed for when the hold runs out.
2. The provider calls back: ``notify(provider, payload, signature)`` verifies the signature
   (``verify``), then records the notification once per (provider, transaction id) — a repeat (providers
   resend until answered) changes nothing — and takes the payment against the order's appointment
   (payments.take_payment, under the balance lock).
3. No notification in time: ``query_order`` asks the provider (``query``) and, if it says paid, runs the
   same path as a notification; an order still unpaid is closed. Money that comes for a closed order after
   all (a late bank transfer) is still recorded: the provider has it, so the ledger must.

Where WeChat Pay and Alipay go: a class per provider in this module, registered in ``PROVIDERS``, with
``open_order`` (WeChat Pay v3 ``/v3/pay/transactions/native`` → ``code_url``; Alipay
``alipay.trade.precreate`` → ``qr_code``), ``verify`` (WeChat: the ``Wechatpay-Signature`` RSA-SHA256 over
timestamp, nonce and body with the platform certificate, then AES-256-GCM decryption of ``resource``;
Alipay: RSA2 over the sorted parameters with Alipay's public key) and ``query`` (WeChat
``/v3/pay/transactions/out-trade-no/{order_no}``; Alipay ``alipay.trade.query``). Their keys come from
settings; nothing else here changes.
"""

import datetime
import hashlib
import hmac
import json
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit, clock, tasks
from checkup.core.audit import SYSTEM
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment
from checkup.models.base import db, utcnow
from checkup.models.money import BANK_TRANSFER, SELF, PaymentNotification, ProviderOrder
from checkup.services.money import ledger, payments

OPEN, PAID, CLOSED = "open", "paid", "closed"


@dataclass(frozen=True)
class Notification:
    """What a verified callback says: our order, the provider's transaction id, the amount, paid or not."""

    order_no: str
    transaction_id: str
    amount: Decimal
    paid: bool
    method: str


class PaymentProvider(ABC):
    """What an adapter implements (``manual`` below is the one that works offline; WeChat Pay and Alipay
    adapters subclass it the same way). ``name`` is stored on the order; ``method`` is the payment method
    its payments are recorded with."""

    name = ""
    method = BANK_TRANSFER

    @abstractmethod
    def open_order(self, order):
        """Open ``order`` at the provider; returns what the client is shown (a dict)."""

    @abstractmethod
    def verify(self, payload, signature):
        """The Notification ``payload`` carries if ``signature`` proves it came from the provider, else None."""

    @abstractmethod
    def query(self, order):
        """Ask the provider about ``order`` (on timeout): a Notification if paid, else None."""


def _notify_key():
    configured = current_app.config.get("PAYMENT_NOTIFY_KEY")
    if configured:
        return configured.encode()
    return hashlib.sha256(b"payment-notify:" + str(current_app.config["SECRET_KEY"]).encode()).digest()


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload):
    """The HMAC-SHA256 signature the manual adapter's notifications carry (hex)."""
    return hmac.new(_notify_key(), canonical(payload), hashlib.sha256).hexdigest()


class ManualProvider(PaymentProvider):
    """Offline: the client transfers to the center's account quoting the order number; the desk, seeing the
    transfer arrive, confirms it (``confirm_transfer``), which comes back here as a signed notification."""

    name = "manual"
    method = BANK_TRANSFER

    def open_order(self, order):
        return {
            "order_no": order.order_no,
            "amount": f"{ledger.money(order.amount):.2f}",
            "currency": "CNY",
            "instructions": "transfer",
        }

    def verify(self, payload, signature):
        if not isinstance(payload, dict) or not isinstance(signature, str):
            return None
        if not hmac.compare_digest(sign(payload), signature):
            return None
        try:
            return Notification(
                order_no=str(payload["order_no"]),
                transaction_id=str(payload["transaction_id"])[:64],
                amount=ledger.money(Decimal(str(payload["amount"]))),
                paid=payload.get("status") == "paid",
                method=self.method,
            )
        except (KeyError, ArithmeticError, ValueError):
            return None

    def query(self, order):
        return None  # nothing to ask: a manual transfer is known only when the desk confirms it


PROVIDERS: dict[str, PaymentProvider] = {"manual": ManualProvider()}


def provider(name=None):
    name = name or current_app.config.get("PAYMENT_PROVIDER") or "manual"
    adapter = PROVIDERS.get(name)
    if adapter is None:
        raise LookupError(f"no payment provider named {name!r}")
    return adapter


def _new_order_no():
    return f"CK{clock.today():%Y%m%d}{secrets.token_hex(5).upper()}"


def create_order(actor, appointment_id, client_id=None):
    """An order for what the client still owes on the appointment (``client_id``: only their own). An open
    order for the same amount is reused. Returns (order, what the adapter says to show)."""
    query = Appointment.select().where(Appointment.id == appointment_id)
    if client_id is not None:
        query = query.where(Appointment.client == client_id)
    appointment = query.first()
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    adapter = provider()
    with db.atomic():
        ledger.lock_balance(f"appointment:{appointment_id}")
        ledger.ensure_charges(appointment_id)
        due = ledger.balance(appointment_id, SELF).due
        if due <= 0:
            raise Conflict(_l("Nothing is due on this appointment."))
        order = (
            ProviderOrder.select()
            .where(
                ProviderOrder.appointment == appointment_id,
                ProviderOrder.state == OPEN,
                ProviderOrder.amount == due,
                ProviderOrder.provider == adapter.name,
            )
            .first()
        )
        if order is None:
            ProviderOrder.update(state=CLOSED).where(
                ProviderOrder.appointment == appointment_id, ProviderOrder.state == OPEN
            ).execute()
            order = ProviderOrder.create(
                order_no=_new_order_no(),
                provider=adapter.name,
                appointment=appointment_id,
                amount=due,
                created_by=actor.user_id,
            )
            audit.record(actor, "money.order_created", appointment, order=order.order_no, amount=str(due))
            minutes = int(current_app.config.get("PAYMENT_HOLD_MINUTES") or 30)
            tasks.defer(
                "money.query_provider_order",
                order.id,
                dedupe_key=f"provider-order-query:{order.id}",
                delay=datetime.timedelta(minutes=minutes),
            )
    return order, adapter.open_order(order)


def notify(provider_name, payload, signature):
    """A provider's callback. Returns "paid" (a payment recorded now, also on an order closed meanwhile),
    "duplicate" (seen before, or the order is paid already: nothing changes), "ignored" (not paid). Raises
    PermissionDenied for a bad signature, ValidationError for an amount that is not the order's."""
    adapter = PROVIDERS.get(provider_name)
    note = adapter.verify(payload, signature) if adapter is not None else None
    if note is None:
        raise PermissionDenied(_l("The notification's signature does not verify."))
    return _record(adapter, note)


def _record(adapter, note):
    with db.atomic():
        order = ProviderOrder.get_or_none(ProviderOrder.order_no == note.order_no)
        if order is None or order.provider != adapter.name:
            raise NotFound(_l("No such order."))
        try:
            with db.atomic():  # a savepoint: the unique (provider, transaction id) decides who saw it first
                PaymentNotification.create(
                    provider=adapter.name,
                    transaction_id=note.transaction_id,
                    order=order.id,
                    amount=note.amount,
                    verified=True,
                )
        except IntegrityError:
            return "duplicate"
        if not note.paid:
            return "ignored"
        if note.amount != ledger.money(order.amount):
            raise ValidationError(_l("The amount paid is not the order's amount."))
        # a closed order too: its time ran out, but the money was taken all the same (a bank transfer that
        # arrives late) — recorded even if it is now more than due (refunded later), never dropped
        if (
            not ProviderOrder.update(state=PAID)
            .where(ProviderOrder.id == order.id, ProviderOrder.state.in_((OPEN, CLOSED)))
            .execute()
        ):
            return "duplicate"  # paid already: an order has one payment
        payments.take_payment(
            SYSTEM,
            order.appointment_id,
            [payments.Part(adapter.method, note.amount, note.transaction_id)],
            provider_order_id=order.id,
            allow_over=True,
        )
    return "paid"


def confirm_transfer(actor, order_no, reference):
    """The desk saw the manual transfer arrive: it comes back through the signed notification path."""
    order = ProviderOrder.get_or_none(ProviderOrder.order_no == (order_no or "").strip().upper()[:40])
    if order is None or order.provider != ManualProvider.name:
        message = _l("No open transfer order with this number.")
        raise ValidationError(message, {"order_no": message})
    reference = (reference or "").strip()[:64]
    if not reference:
        message = _l("Enter the bank's reference of the transfer.")
        raise ValidationError(message, {"reference": message})
    payload = {
        "order_no": order.order_no,
        "transaction_id": reference,
        "amount": f"{ledger.money(order.amount):.2f}",
        "status": "paid",
    }
    outcome = notify(ManualProvider.name, payload, sign(payload))
    audit.record(actor, "money.transfer_confirmed", order, order=order.order_no, outcome=outcome)
    return outcome


@tasks.handler("money.query_provider_order")
def query_order(order_id):
    """Query-on-timeout: ask the provider about an order still open; paid → recorded like a notification,
    otherwise the order is closed. Returns the order's state."""
    order = ProviderOrder.get_or_none(ProviderOrder.id == order_id)
    if order is None or order.state != OPEN:
        return order.state if order else None
    adapter = PROVIDERS.get(order.provider)
    note = adapter.query(order) if adapter is not None else None
    ProviderOrder.update(last_queried_at=utcnow()).where(ProviderOrder.id == order.id).execute()
    if note is not None and note.paid:
        _record(adapter, note)
        return PAID
    ProviderOrder.update(state=CLOSED).where(ProviderOrder.id == order.id, ProviderOrder.state == OPEN).execute()
    return CLOSED


class OpenOrder(NamedTuple):
    """An open transfer order as the desk lists it."""

    order_no: str
    exam_code: str
    amount: Decimal
    created_at: datetime.datetime


def _open_orders_query(limit):
    return (
        ProviderOrder.select(
            ProviderOrder.order_no, Appointment.exam_code, ProviderOrder.amount, ProviderOrder.created_at
        )
        .join(Appointment)
        .where(ProviderOrder.state == OPEN)
        .order_by(ProviderOrder.created_at, ProviderOrder.id)
        .limit(limit)
    )


# the desk's transfers page reads it on every visit: its SQL built once (prepared on PostgreSQL), plain rows
_OPEN_ORDERS = PreparedSelect(_open_orders_query, "checkup_open_transfer_orders", samples=(-2_000_000_021,))


def open_orders(limit=50):
    """Open transfer orders for the desk (OpenOrder), oldest first."""
    return [OpenOrder(*row) for row in _OPEN_ORDERS.plain(limit)]


def open_order_count(limit=50):
    """How many orders ``open_orders`` lists, counted in the database (the cashier's link says it)."""
    return (
        ProviderOrder.select(ProviderOrder.id).join(Appointment).where(ProviderOrder.state == OPEN).limit(limit).count()
    )
