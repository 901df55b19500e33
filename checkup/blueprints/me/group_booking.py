"""An employee books the checkup their company's contract offers: the category's package, a day in the
window, add-ons when allowed; the confirm page shows what the company pays and what they pay."""

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core import clock
from checkup.core.errors import Conflict, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.booking import ConfirmForm
from checkup.models.accounts import CLIENT
from checkup.services.booking import availability, booking
from checkup.services.catalog.packages import preparation_notes
from checkup.services.groups import group_booking
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("group_booking", __name__, url_prefix="/me/group")
restrict_blueprint(bp, CLIENT)


def _addons():
    return sorted({code[:20] for code in request.values.getlist("addons")[:30] if code})


def _enrollment(enrollment_id):
    return group_booking.get_enrollment(enrollment_id, client_id=current_user.client_id)


def _offer(enrollment, addons):
    """(quote, addons kept, error): a refused add-on choice falls back to the package alone with a message."""
    try:
        return group_booking.quote(enrollment, addons), addons, None
    except ValidationError as exc:
        if "package" in exc.field_errors:
            return None, [], exc.message
        return group_booking.quote(enrollment, []), [], exc.message


def _picker(enrollment, offer, addons):
    """The window's days with room for this choice (the contract's reserved places count), and a day's slots."""
    contract = enrollment.contract
    first, last = group_booking.bookable_range(contract)
    year, month = availability.parse_month(request.args.get("month"), max(first, clock.today()))
    day = availability.parse_day(request.args.get("day"))
    if day is not None and not first <= day <= last:
        day = None
    in_window = {
        d: n
        for d, n in availability.month_days(year, month, offer.resource_ids, reserved_for=contract.id).items()
        if first <= d <= last
    }
    return dict(
        year=year,
        month=month,
        grid=availability.month_grid(year, month),
        free=in_window,
        today=clock.today(),
        day=day,
        prev=availability.shift_month(year, month, -1),
        next=availability.shift_month(year, month, 1),
        slots=availability.day_slots(day, offer.resource_ids, reserved_for=contract.id) if day else [],
        picker_endpoint="group_booking.book",
        picker_args=dict(enrollment_id=enrollment.id, addons=addons),
        window_first=first,
        window_last=last,
    )


@bp.get("")
def index():
    enrollments = group_booking.enrollments_for_client(current_user.client_id)
    return render_page(
        "group_booking/index.html",
        enrollments=enrollments,
        status_of=group_booking.status_of,
        is_open=group_booking.is_open,
        terms=group_booking.terms,
        percent=group_booking.percent,
    )


@bp.get("/<int:enrollment_id>/book")
def book(enrollment_id):
    enrollment = _enrollment(enrollment_id)
    context = dict(
        enrollment=enrollment,
        live=group_booking.live_appointment(enrollment),
        booking_status=group_booking.status_of(enrollment),
        open=group_booking.is_open(enrollment.contract),
        percent=group_booking.percent,
    )
    offer, addons, error = _offer(enrollment, _addons())
    context.update(offer=offer, addons=addons, error=error)
    if not group_booking.may_choose_time(enrollment, offer):
        return render_page("group_booking/book.html", **context)
    context.update(_picker(enrollment, offer, addons))
    choices = (
        booking.addon_choices(offer.package, enrollment.client, day=context.get("day"))
        if enrollment.category.addons_allowed
        else []
    )
    return render_page("group_booking/book.html", "group_booking/_panel.html", addon_choices=choices, **context)


@bp.route("/<int:enrollment_id>/confirm", methods=["GET", "POST"])
def confirm(enrollment_id):
    enrollment = _enrollment(enrollment_id)
    form = ConfirmForm(data={"slot": request.args.get("slot", type=int), "idempotency_key": uuid.uuid4().hex})
    status, taken = 200, False
    if request.method == "POST":
        form = ConfirmForm()
        try:
            outcome = submit(
                form,
                lambda: group_booking.book(
                    actor(),
                    enrollment.id,
                    form.slot.data,
                    _addons(),
                    form.idempotency_key.data,
                    client_id=current_user.client_id,
                ),
            )
        except booking.PlaceTaken as exc:  # the confirm page again, with other times that day
            form.slot.errors = [exc.message]
            status, taken = 409, True
        except Conflict as exc:
            flash(str(exc.message), "error")
            return redirect(url_for("group_booking.book", enrollment_id=enrollment.id), code=303)
        else:
            if outcome.done:
                flash(_("Your checkup is booked. A confirmation email is on its way."), "success")
                return redirect(url_for("booking.appointment", appointment_id=outcome.result.id), code=303)
            if outcome.form_error:
                form.slot.errors.append(outcome.form_error)
            status = outcome.status
    offer, addons, error = _offer(enrollment, _addons())
    slot = group_booking.slot_in_window(enrollment.contract, form.slot.data)
    if offer is None or slot is None or (error and request.method == "GET"):
        # nothing to confirm (no package, or a slot the window does not offer): back to choosing, with the reason
        flash(str(error or (form.slot.errors[0] if form.slot.errors else _("Choose a time from the list."))), "error")
        return redirect(url_for("group_booking.book", enrollment_id=enrollment.id, addons=addons), code=303)
    alternatives = []
    if taken:
        alternatives = [
            (s, free)
            for s, free in availability.day_slots(slot.day, offer.resource_ids, reserved_for=enrollment.contract_id)
            if free and s.id != slot.id
        ]
    return render_page(
        "group_booking/confirm.html",
        enrollment=enrollment,
        offer=offer,
        addons=addons,
        slot=slot,
        form=form,
        taken=taken,
        alternatives=alternatives,
        percent=group_booking.percent,
        notes=preparation_notes(offer.items, is_chinese()),
        status=status,
    )
