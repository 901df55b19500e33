"""Refunds, by rule: what the ledger owes back to the client, and nothing more.

- Cancelled before the cutoff: the cancellation credited everything (ledger.credit_cancellation), so all
  that was paid is owed back.
- Cancelled after the cutoff (staff override): the configured fee (``CHECKUP_REFUND_LATE_FEE_PERCENT``) of
  what was charged is kept; the rest is owed back.
- After the exam: items not performed are credited at their price (``credit_not_performed``), capped at
  what the package cost; that credit is owed back.

A refund always has a reason; above ``CHECKUP_REFUND_SECOND_PERSON_ABOVE`` a second staff member confirms
it with their own password. It is split over the payments it goes back to (newest first, each by its own
method), never more than a payment's amount less what was refunded from it already. While an issued invoice
that is not reversed covers the appointment, no refund is possible: reverse (红冲) it first.
"""

from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l

from checkup.core import audit, passwords
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, ExamItem, Result, User, UserRole
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.appointments import CANCELLED, COMPLETED
from checkup.models.base import db
from checkup.models.money import NOT_PERFORMED, PACKAGE, SELF, Adjustment, ChargeLine, Refund
from checkup.services.money import invoices, ledger

BEFORE_CUTOFF, AFTER_CUTOFF, ITEMS_NOT_PERFORMED, OVERPAID = (
    "before_cutoff",
    "after_cutoff",
    "not_performed",
    "overpaid",
)
RULES = (BEFORE_CUTOFF, AFTER_CUTOFF, ITEMS_NOT_PERFORMED, OVERPAID)
APPROVER_ROLES = (ADMIN, SCHEDULER)


def second_person_above():
    return Decimal(str(current_app.config.get("REFUND_SECOND_PERSON_ABOVE") or "0"))


def _self_adjustment_keys(appointment_id):
    return (
        Adjustment.select(Adjustment.adjustment_key)
        .where(Adjustment.appointment == appointment_id, Adjustment.payer == SELF)
        .tuples()
    )


_SELF_ADJUSTMENT_KEYS = PreparedSelect(
    _self_adjustment_keys, "checkup_refunds_self_adjustment_keys", samples=(-2_000_000_001,)
)


def rule_for(appointment_id):
    """Which rule a refund of this appointment follows (what the ledger's adjustments say)."""
    keys = [key for (key,) in _SELF_ADJUSTMENT_KEYS.rows(appointment_id)]
    if "cancellation:self:late" in keys:
        return AFTER_CUTOFF
    if "cancellation:self" in keys:
        return BEFORE_CUTOFF
    if any(key.startswith("not_performed:") for key in keys):
        return ITEMS_NOT_PERFORMED
    return OVERPAID


def refundable(appointment_id):
    """What is owed back to the client now (0.00 when nothing)."""
    due = ledger.balance(appointment_id, SELF).due
    return -due if due < 0 else ledger.ZERO


def not_performed_items(appointment_id):
    """The package and add-on items of a completed checkup with no result (or a result marked skipped)."""
    done = Result.select(Result.item).where(Result.appointment == appointment_id, Result.skipped == False)
    return list(
        AppointmentItem.select(AppointmentItem, ExamItem)
        .join(ExamItem)
        .where(AppointmentItem.appointment == appointment_id, AppointmentItem.item.not_in(done))
        .order_by(ExamItem.code)
    )


def credit_not_performed(actor, appointment_id, reason):
    """Credit the client, at item price, for the items of a completed checkup that were not performed (the
    client-paid ones; a company's are settled under its contract). The package part is capped at what the
    package cost the client. Idempotent per item. Returns the total credited now."""
    reason = (reason or "").strip()[:300]
    if not reason:
        message = _l("Give a reason for the refund.")
        raise ValidationError(message, {"reason": message})
    with db.atomic():
        ledger.lock_balance(f"appointment:{appointment_id}")
        appointment = ledger.ensure_charges(appointment_id)
        if appointment.status != COMPLETED:
            raise ValidationError(_l("Items not performed are credited once the checkup is completed."))
        package_self = ledger.summed(
            ChargeLine.select(ledger.sum_column(ChargeLine.amount))
            .where(ChargeLine.appointment == appointment_id, ChargeLine.kind == PACKAGE, ChargeLine.payer == SELF)
            .scalar()
        )
        already = {
            key
            for (key,) in Adjustment.select(Adjustment.adjustment_key)
            .where(Adjustment.appointment == appointment_id, Adjustment.kind == NOT_PERFORMED)
            .tuples()
        }
        credited_package = -ledger.summed(
            Adjustment.select(ledger.sum_column(Adjustment.amount))
            .where(
                Adjustment.appointment == appointment_id,
                Adjustment.kind == NOT_PERFORMED,
                Adjustment.payer == SELF,
                Adjustment.adjustment_key.startswith("not_performed:package:"),
            )
            .scalar()
        )
        total = ledger.ZERO
        for line in not_performed_items(appointment_id):
            if line.payer != SELF and line.is_addon:
                continue
            kind = "addon" if line.is_addon else "package"
            key = f"not_performed:{kind}:{line.item_id}"
            if key in already:
                continue
            amount = ledger.money(line.price)
            if not line.is_addon:
                amount = min(amount, package_self - credited_package)
                credited_package += amount
            if amount <= 0:
                continue
            Adjustment.create(
                appointment=appointment_id,
                kind=NOT_PERFORMED,
                adjustment_key=key,
                payer=SELF,
                item=line.item_id,
                amount=-amount,
                reason=reason,
                created_by=actor.user_id,
            )
            total += amount
        if total:
            audit.record(actor, "money.not_performed_credited", appointment, amount=str(total))
    return total


def check_approver(actor, email, password):
    """The second person: another active staff account (front desk or admin) proving it with its password."""
    email = (email or "").strip().lower()
    user = User.get_or_none(User.email == email) if email else None
    allowed = (
        user is not None
        and user.is_active
        and user.id != actor.user_id
        and UserRole.select().where(UserRole.user == user.id, UserRole.role.in_(APPROVER_ROLES)).exists()
    )
    if not allowed or user is None:
        passwords.burn_time(password or "")
        message = _l("A second staff member (front desk or admin, not you) must confirm this refund.")
        raise PermissionDenied(message, {"approver_email": message})
    if not passwords.verify_password(user.password_hash, password or ""):
        message = _l("The second staff member's password is not right.")
        raise PermissionDenied(message, {"approver_password": message})
    return user


def refund(actor, appointment_id, amount, reason, approver_email="", approver_password=""):
    """Give ``amount`` back to the client, by rule. Guarantees: never more than refundable (the balance is
    locked), a reason always, a second person above the threshold, never while an issued invoice stands;
    split over the payments newest first; audited. Returns the Refund rows.
    Raises ValidationError (amount, reason), PermissionDenied (second person), Conflict (invoice), NotFound."""
    reason = (reason or "").strip()[:300]
    if not reason:
        message = _l("Give a reason for the refund.")
        raise ValidationError(message, {"reason": message})
    amount = ledger.parse_amount(amount)
    approver = None
    if amount > second_person_above():
        approver = check_approver(actor, approver_email, approver_password)
    with db.atomic():
        ledger.lock_balance(f"appointment:{appointment_id}")
        appointment = Appointment.get_or_none(Appointment.id == appointment_id)
        if appointment is None:
            raise NotFound(_l("We could not find that appointment."))
        if invoices.has_standing_invoice(appointment_id):
            raise Conflict(_l("An invoice was issued for this appointment: reverse it (红冲) before refunding."))
        owed = refundable(appointment_id)
        if owed <= 0:
            message = (
                _l("Nothing is owed back on this appointment. Cancel it or credit the items not performed first.")
                if appointment.status != CANCELLED
                else _l("Nothing is owed back on this appointment.")
            )
            raise ValidationError(message, {"amount": message})
        if amount > owed:
            message = _l("At most %(amount)s can be refunded.", amount=f"{owed:.2f}")
            raise ValidationError(message, {"amount": message})
        rule = rule_for(appointment_id)
        payments, _refunds = ledger.payments_of(appointment_id)
        left, rows = amount, []
        for payment in reversed([p for p in payments if p.payer == SELF and p.left > 0]):
            part = min(left, payment.left)
            rows.append(
                Refund.create(
                    payment=payment.id,
                    appointment=appointment_id,
                    payer=SELF,
                    method=payment.method,
                    amount=part,
                    rule=rule,
                    reason=reason,
                    refunded_by=actor.user_id,
                    approved_by=approver.id if approver else None,
                )
            )
            left -= part
            if left <= 0:
                break
        if left > 0:  # the credit exceeds what was paid by the client: cannot happen through the rules above
            raise ValidationError(_l("At most %(amount)s can be refunded.", amount=f"{amount - left:.2f}"))
        audit.record(
            actor,
            "money.refunded",
            appointment,
            amount=str(amount),
            rule=rule,
            reason=reason,
            approved_by=approver.id if approver else None,
        )
    return rows
