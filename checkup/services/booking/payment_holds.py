"""Prepayment holds, and what a booking or a cancellation announces to the money domain.

``CHECKUP_PAYMENT_POLICY``: ``at_desk`` (default) — the client pays at check-in; ``prepay`` — a booking the
client makes online holds its places for ``CHECKUP_PAYMENT_HOLD_MINUTES`` (30) until paid. The hold is a
``PaymentHold`` row and a delayed ``booking.expire_payment_hold`` task, both written in the booking's own
transaction; unpaid when the task runs, the appointment is cancelled and its places go back (and to the
waitlist), and the client is owed an email saying so, with the calendar event cancelled
(``mail.payment_hold_released``, in the release's transaction). The money domain marks a hold paid
(``mark_paid``) when the balance is settled; a cancellation while held closes it.

Booking sits below money, so it does not import it: money fills ``ON_BOOKED`` / ``ON_CANCELLED`` (receivers
called inside the booking's transaction: charges posted, a cancellation credited).
"""

import datetime
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import fn

from checkup.core import audit, tasks
from checkup.core.audit import SYSTEM
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, ResourceDay, Slot
from checkup.models.appointments import BOOKED, CANCELLED
from checkup.models.base import db, utcnow
from checkup.models.money import HOLD_CLOSED, HOLD_EXPIRED, HOLD_PAID, HOLDING, PaymentHold
from checkup.services.booking import events

AT_DESK, PREPAY = "at_desk", "prepay"
POLICIES = (AT_DESK, PREPAY)
# only what a client books online is held for prepayment; the desk, groups and walk-ins pay at the desk
PREPAY_SOURCES = ("individual",)

# the email a release owes (services/money/hold_mail.py), with the calendar event cancelled: SEQUENCE + 1
RELEASED_MAIL = "mail.payment_hold_released"
# receiver(appointment) after a booking; receiver(appointment, late) after a cancellation (same transaction)
ON_BOOKED: dict[str, Callable[[Appointment], None]] = {}
ON_CANCELLED: dict[str, Callable[[Appointment, bool], None]] = {}


def policy():
    value = current_app.config.get("PAYMENT_POLICY") or AT_DESK
    return value if value in POLICIES else AT_DESK


def hold_minutes():
    return max(1, int(current_app.config.get("PAYMENT_HOLD_MINUTES") or 30))


def booked(appointment):
    """Called by booking.book inside its transaction: the money receivers, then a hold when prepaying."""
    for receiver in ON_BOOKED.values():
        receiver(appointment)
    if policy() == PREPAY and appointment.source in PREPAY_SOURCES and appointment.self_amount > 0:
        minutes = hold_minutes()
        PaymentHold.create(appointment=appointment.id, expires_at=utcnow() + datetime.timedelta(minutes=minutes))
        tasks.defer(
            "booking.expire_payment_hold",
            appointment.id,
            dedupe_key=f"payment-hold:{appointment.id}",
            delay=datetime.timedelta(minutes=minutes),
        )


def cancelled(appointment, late=False):
    """Called by booking.cancel inside its transaction (``late``: after the cutoff, by staff override)."""
    PaymentHold.update(state=HOLD_CLOSED, settled_at=utcnow()).where(
        PaymentHold.appointment == appointment.id, PaymentHold.state == HOLDING
    ).execute()
    for receiver in ON_CANCELLED.values():
        receiver(appointment, late)


def _hold_query(appointment_id):
    return PaymentHold.select().where(PaymentHold.appointment == appointment_id).limit(1)


_HOLD = PreparedSelect(_hold_query, "checkup_payment_hold_of", samples=(-2_000_000_001,))


def hold_of(appointment_id):
    found = _HOLD.rows(appointment_id)
    return found[0] if found else None


def awaiting_payment():
    """An SQL condition on ``Appointment``: its hold still waits for payment (``mark_paid`` would change it)."""
    return fn.EXISTS(
        PaymentHold.select(PaymentHold.id).where(
            PaymentHold.appointment == Appointment.id, PaymentHold.state == HOLDING
        )
    )


def mark_paid(appointment_id):
    """The appointment's balance is paid: its hold (if any) no longer expires. Returns True if one was held."""
    return bool(
        PaymentHold.update(state=HOLD_PAID, settled_at=utcnow())
        .where(PaymentHold.appointment == appointment_id, PaymentHold.state == HOLDING)
        .execute()
    )


def _release_places(appointment):
    Slot.update(booked=Slot.booked - 1).where(Slot.id == appointment.slot_id, Slot.booked > 0).execute()
    resources = {
        row.resource_id
        for row in AppointmentItem.select(AppointmentItem.resource).where(
            AppointmentItem.appointment == appointment.id, AppointmentItem.resource.is_null(False)
        )
    }
    for resource_id in sorted(resources):
        (
            ResourceDay.update(booked=ResourceDay.booked - 1)
            .where(ResourceDay.resource == resource_id, ResourceDay.day == appointment.day, ResourceDay.booked > 0)
            .execute()
        )


@tasks.handler("booking.expire_payment_hold")
def expire_hold(appointment_id):
    """Release an unpaid prepaid booking once its hold has run out. Returns True if it was released.

    Paid meanwhile (or cancelled, or checked in) — nothing happens. The appointment is cancelled with a
    conditional UPDATE, so a payment racing the expiry either marks the hold paid first (kept) or finds
    it expired (and the desk refunds it). A release owes the client its email (``RELEASED_MAIL``) in the same
    transaction."""
    with db.atomic():
        hold = PaymentHold.get_or_none(PaymentHold.appointment == appointment_id, PaymentHold.state == HOLDING)
        if hold is None:
            return False
        if hold.expires_at > utcnow():
            raise tasks.RetryLater("the hold has not run out yet")
        if not (
            PaymentHold.update(state=HOLD_EXPIRED, settled_at=utcnow())
            .where(PaymentHold.id == hold.id, PaymentHold.state == HOLDING)
            .execute()
        ):
            return False
        appointment = Appointment.get_by_id(appointment_id)
        reason = str(_l("Not paid within %(minutes)s minutes", minutes=hold.minutes))[:300]
        released = (
            Appointment.update(
                status=CANCELLED, live_day=None, cancelled_at=utcnow(), cancel_reason=reason, updated_at=utcnow()
            )
            .where(Appointment.id == appointment_id, Appointment.status == BOOKED)
            .execute()
        )
        if not released:
            return False
        _release_places(appointment)
        audit.record(SYSTEM, "booking.payment_hold_expired", appointment)
        events.appointment_cancelled.send(appointment, actor=SYSTEM)  # integrations: the webhook
        Appointment.update(ics_sequence=Appointment.ics_sequence + 1).where(Appointment.id == appointment_id).execute()
        sequence = Appointment.select(Appointment.ics_sequence).where(Appointment.id == appointment_id).scalar()
        tasks.defer(RELEASED_MAIL, appointment_id, sequence, dedupe_key=f"payment-hold-released:{appointment_id}")
        for receiver in ON_CANCELLED.values():
            receiver(appointment, False)
        tasks.defer("waitlist.offer_places", appointment.day.isoformat())
    return True
