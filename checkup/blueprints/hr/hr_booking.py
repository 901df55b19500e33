"""HR books, moves or cancels an employee's company checkup on their behalf, within the contract's window.

HR sees the status, day and time and the package name only — never the items, results or report.
Every action is audited with the HR user as the actor (services/group_booking.py).
"""

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import Conflict, PermissionDenied, ValidationError
from checkup.forms.booking import ConfirmForm, RescheduleForm, StaffCancelForm
from checkup.models.accounts import HR
from checkup.models.appointments import BOOKED
from checkup.services.booking import availability, booking
from checkup.services.groups import group_booking
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("hr_booking", __name__, url_prefix="/hr/employees")
restrict_blueprint(bp, HR)
REFUSALS = (ValidationError, PermissionDenied, Conflict)  # shown on the page; a NotFound stays a 404


def _enrollment(enrollment_id):
    # an HR account without an organization matches nothing (0 is no organization's id)
    return group_booking.get_enrollment(enrollment_id, organization_id=current_user.organization_id or 0)


def _scope():
    return {"organization_id": current_user.organization_id or 0}


def _first_open_day(first, last, resources, contract_id, months=12):
    """The first day from ``first`` to ``last`` with a free place for this choice (else ``first``)."""
    year, month = first.year, first.month
    for _month in range(months):
        free = availability.month_days(year, month, resources, reserved_for=contract_id)
        open_days = sorted(d for d, n in free.items() if n and first <= d <= last)
        if open_days:
            return open_days[0]
        year, month = availability.shift_month(year, month, 1)
        if (year, month) > (last.year, last.month):
            break
    return first


def _page(enrollment, status=200, day=None, book_form=None, move_form=None, cancel_form=None):
    """The employee's booking page: status and day, and the forms that fit the state of the booking."""
    contract = enrollment.contract
    live = group_booking.live_appointment(enrollment)
    first, last = group_booking.bookable_range(contract)
    if day is None:
        day = availability.parse_day(request.args.get("day"))
    day_error = None
    if day is not None and not first <= day <= last:
        day_error = _("Choose a day from %(start)s to %(end)s.", start=first.isoformat(), end=last.isoformat())
        day = None
    slots, package_error = [], None
    can_book = (
        live is None
        and group_booking.status_of(enrollment) == group_booking.NOT_BOOKED
        and group_booking.is_open(contract)
    )
    locked = booking.cutoff_passed(live) if live is not None else False
    resources = []
    if live is None:
        try:
            resources = group_booking.quote(enrollment).resource_ids
        except ValidationError as exc:
            package_error, can_book = exc.message, False
    # a day and its times show only beside a form to book or move (none for a checkup done, missed or locked)
    choosing = can_book or (live is not None and live.status == BOOKED and not locked)
    if choosing and live is not None:
        resources = booking.resource_ids_of(live.id)
    if choosing and day is None and first <= last:
        day = (
            live.day
            if live is not None and first <= live.day <= last
            else _first_open_day(first, last, resources, contract.id)
        )
    if choosing and day is not None:
        slots = [
            (s, n)
            for s, n in availability.day_slots(day, resources, reserved_for=contract.id)
            if live is None or s.id != live.slot_id
        ]
    return render_page(
        "hr_booking/detail.html",
        status=status,
        enrollment=enrollment,
        contract=contract,
        live=live,
        booking_status=group_booking.status_of(enrollment),
        can_book=can_book,
        day=day,
        first=first,
        last=last,
        slots=slots,
        day_error=day_error,
        package_error=package_error,
        locked=locked,
        **(_forms(book_form, move_form, cancel_form) if choosing else {}),
    )


def _forms(book_form, move_form, cancel_form):
    """The page's forms (those a POST did not give, new): built only for a page that shows one."""
    return dict(
        book_form=book_form or ConfirmForm(data={"idempotency_key": uuid.uuid4().hex}),
        move_form=move_form or RescheduleForm(),
        cancel_form=cancel_form or StaffCancelForm(),
    )


@bp.get("/<int:enrollment_id>/booking")
def detail(enrollment_id):
    return _page(_enrollment(enrollment_id))


def _refused(exc):
    """A domain refusal's HTTP status on a full-page form (404 is re-raised by the caller)."""
    return 422 if exc.status in (400, 422) else exc.status


def _day_of(slot_id):
    slot = booking.slot_or_none(slot_id)
    return slot.day if slot is not None else None


def _page_again(enrollment, outcome, message_field, slot_id=None, **forms):
    """After a POST that changed nothing: the form that did not parse (422), or the service's refusal on
    the page read afresh (showing ``slot_id``'s day), its message at ``message_field`` when no field owns it."""
    if outcome.error is None:
        return _page(enrollment, 422, **forms)
    if outcome.form_error:
        message_field.errors.append(outcome.form_error)
    return _page(_enrollment(enrollment.id), _refused(outcome.error), day=_day_of(slot_id), **forms)


@bp.post("/<int:enrollment_id>/book")
def book(enrollment_id):
    enrollment = _enrollment(enrollment_id)
    form = ConfirmForm()
    outcome = submit(
        form,
        lambda: group_booking.book(actor(), enrollment.id, form.slot.data, (), form.idempotency_key.data, **_scope()),
        refusals=REFUSALS,
    )
    if not outcome.done:
        return _page_again(enrollment, outcome, form.slot, form.slot.data, book_form=form)
    flash(
        _("Booked for %(name)s on %(day)s.", name=enrollment.client.name, day=outcome.result.day.isoformat()), "success"
    )
    return redirect(url_for("hr_booking.detail", enrollment_id=enrollment.id), code=303)


@bp.post("/<int:enrollment_id>/reschedule")
def reschedule(enrollment_id):
    enrollment = _enrollment(enrollment_id)
    form = RescheduleForm()
    outcome = submit(
        form, lambda: group_booking.reschedule(actor(), enrollment.id, form.slot.data, **_scope()), refusals=REFUSALS
    )
    if not outcome.done:
        return _page_again(enrollment, outcome, form.slot, form.slot.data, move_form=form)
    flash(_("Moved to %(day)s.", day=outcome.result.day.isoformat()), "success")
    return redirect(url_for("hr_booking.detail", enrollment_id=enrollment.id), code=303)


@bp.post("/<int:enrollment_id>/cancel")
def cancel(enrollment_id):
    enrollment = _enrollment(enrollment_id)
    form = StaffCancelForm()
    outcome = submit(
        form, lambda: group_booking.cancel(actor(), enrollment.id, form.reason.data, **_scope()), refusals=REFUSALS
    )
    if not outcome.done:
        return _page_again(enrollment, outcome, form.reason, cancel_form=form)
    flash(_("The appointment is cancelled."), "success")
    return redirect(url_for("hr_booking.detail", enrollment_id=enrollment.id), code=303)
