"""The client's booking: choose add-ons and a time, confirm; view, reschedule, cancel; waitlist."""

import uuid

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.me.month_rows import month_weeks
from checkup.core import clock
from checkup.core.errors import DomainError, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.booking import CancelForm, ClaimForm, ConfirmForm, RescheduleForm, WaitlistForm
from checkup.models.accounts import CLIENT
from checkup.services.booking import appointments, availability, booking, waitlist
from checkup.services.catalog.packages import preparation_notes
from checkup.services.mail import booking_mail
from checkup.services.money import ledger
from checkup.web import link_tokens
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("booking", __name__, url_prefix="/me")
restrict_blueprint(bp, CLIENT)
# The emailed offer link, open to anyone: its token is traded for the session before the sign-in wall,
# so neither the sign-in page's address nor its ``next`` ever carries it.
offer_links = link_tokens.protect(Blueprint("offer_links", __name__, url_prefix="/me"))


def _addons():
    return sorted({code[:20] for code in request.values.getlist("addons")[:30] if code})


def _client():
    """The signed-in client, read once per request (a page quotes and lists add-ons for them)."""
    client = g.get("booking_client")
    if client is None:
        client = g.booking_client = booking.client_for(current_user.client_id)
    return client


def _quote_or_404(code, addons, day=None):
    """The quote for a checkup on ``day`` (eligibility by the client's age that day; today when none)."""
    try:
        return booking.quote(_client(), code, addons, day=day), None
    except ValidationError as exc:
        if "package" in exc.field_errors:
            abort(404)
        return booking.quote(_client(), code, [], day=day), exc.message


def _picker(resource_ids, addons, endpoint, **url_args):
    """Month days with room for every resource of the choice, and the chosen day's slots."""
    today = clock.today()
    year, month = availability.parse_month(request.args.get("month"), today)
    day = availability.parse_day(request.args.get("day"))
    grid = availability.month_grid(year, month)
    free = availability.month_days(year, month, resource_ids)
    picker_args = dict(url_args, addons=addons)
    return dict(
        year=year,
        month=month,
        grid=grid,
        free=free,
        month_weeks=month_weeks(year, month, grid, free, day, endpoint, picker_args),
        today=today,
        day=day,
        slots=availability.day_slots(day, resource_ids) if day else [],
        prev=availability.shift_month(year, month, -1),
        next=availability.shift_month(year, month, 1),
        picker_endpoint=endpoint,
        picker_args=picker_args,
    )


@bp.get("/book/<code>")
def choose(code):
    addons = _addons()
    offer, error = _quote_or_404(code, addons, availability.parse_day(request.args.get("day")))
    context = _picker(offer.resource_ids, addons, "booking.choose", code=code)
    return render_page(
        "booking/choose.html",
        "booking/_panel.html",
        offer=offer,
        addons=addons,
        error=error,
        addon_choices=booking.addon_choices(
            offer.package, _client(), day=context["day"], package_item_ids=offer.package_item_ids
        ),
        waitlist_form=WaitlistForm(),
        **context,
    )


@bp.route("/book/<code>/confirm", methods=["GET", "POST"])
def confirm(code):
    addons = _addons()
    form = ConfirmForm(data={"slot": request.args.get("slot", type=int), "idempotency_key": uuid.uuid4().hex})
    if request.method == "POST":
        form = ConfirmForm()
        try:
            outcome = submit(
                form,
                lambda: booking.book(
                    actor(), current_user.client_id, form.slot.data, code, addons, form.idempotency_key.data
                ),
            )
        except booking.PlaceTaken as exc:
            return _taken(exc, _quote_or_404(code, addons)[0], code, addons, form.slot.data)
        if outcome.error is not None and "package" in outcome.error.field_errors:
            abort(404)
        if outcome.form_error:
            form.slot.errors.append(outcome.form_error)
        if outcome.done:
            flash(_("Your checkup is booked. A confirmation email is on its way."), "success")
            return redirect(url_for("booking.appointment", appointment_id=outcome.result.id), code=303)
    slot = booking.slot_or_none(form.slot.data)
    offer, error = _quote_or_404(code, addons, slot.day if slot is not None else None)
    if error:
        return redirect(url_for("booking.choose", code=code))
    if slot is None:
        flash(_("Choose a time from the list."), "error")
        return redirect(url_for("booking.choose", code=code, addons=addons), code=303)
    return render_page(
        "booking/confirm.html",
        offer=offer,
        addons=addons,
        slot=slot,
        form=form,
        notes=preparation_notes(offer.items, is_chinese()),
        status=422 if form.errors else 200,
    )


def _taken(exc, offer, code, addons, slot_id):
    slot = booking.slot_or_none(slot_id)
    alternatives = availability.day_slots(slot.day, offer.resource_ids) if slot else []
    return render_page(
        "booking/taken.html",
        message=exc.message,
        offer=offer,
        code=code,
        addons=addons,
        slot=slot,
        alternatives=[(s, free) for s, free in alternatives if free],
        status=409,
    )


@bp.get("/appointments")
def appointment_list():
    upcoming, past = appointments.for_client(current_user.client_id)
    return render_page(
        "booking/appointments.html",
        upcoming=upcoming,
        past=past,
        waiting=waitlist.entries_for(current_user.client_id),
        money=ledger.client_money([a.id for a in upcoming + past]),
    )


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id):
    item = booking.get_appointment(appointment_id, current_user.client_id)
    details, items = booking_mail.appointment_details(item.id)
    return render_page(
        "booking/appointment.html",
        appointment=details,
        items=items,
        notes=preparation_notes(items, is_chinese()),
        locked=booking.cutoff_passed(details),
        money=ledger.client_money([item.id])[item.id],
    )


@bp.get("/appointments/<int:appointment_id>/calendar.ics")
def appointment_ics(appointment_id):
    booking.get_appointment(appointment_id, current_user.client_id)
    details, items = booking_mail.appointment_details(appointment_id)
    return Response(
        booking_mail.ics_for(details, items, is_chinese()),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="checkup-{details.exam_code}.ics"'},
    )


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel(appointment_id):
    item = booking.get_appointment(appointment_id, current_user.client_id)
    form = CancelForm()
    outcome = submit(
        form, lambda: booking.cancel(actor(), item.id, form.reason_text(), client_id=current_user.client_id)
    )
    if outcome.done:
        flash(_("Your appointment has been cancelled."), "success")
        return redirect(url_for("booking.appointment_list"), code=303)
    if outcome.form_error:
        flash(str(outcome.form_error), "error")
    # a refusal no field owns (too late to cancel) is flashed on the page answered with 200
    return render_page(
        "booking/cancel.html",
        appointment=item,
        form=form,
        locked=booking.cutoff_passed(item),
        status=422 if form.errors else 200,
    )


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
def reschedule(appointment_id):
    item = booking.get_appointment(appointment_id, current_user.client_id, with_related="slot")
    resources = booking.resource_ids_of(item.id)
    form = RescheduleForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            booking.reschedule(actor(), item.id, form.slot.data, client_id=current_user.client_id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            flash(str(exc.message), "error")
        else:
            flash(_("Your appointment has been moved."), "success")
            return redirect(url_for("booking.appointment", appointment_id=item.id), code=303)
    context = _picker(resources, [], "booking.reschedule", appointment_id=item.id)
    return render_page(
        "booking/reschedule.html",
        "booking/_reschedule_panel.html",
        appointment=item,
        form=form,
        locked=booking.cutoff_passed(item),
        **context,
    )


@bp.post("/waitlist/<code>")
def join_waitlist(code):
    addons = _addons()
    form = WaitlistForm()
    day = availability.parse_day(form.day.data) if form.validate_on_submit() else None
    if day is None:
        abort(400)
    try:
        waitlist.join(actor(), current_user.client_id, day, code, addons)
    except ValidationError as exc:
        flash(str(exc.message), "error")
        return redirect(
            url_for("booking.choose", code=code, addons=addons, month=day.strftime("%Y-%m"), day=day.isoformat()),
            code=303,
        )
    flash(_("You are on the waitlist for %(day)s. We will email you if a place becomes free.", day=day), "success")
    return redirect(url_for("booking.appointment_list"), code=303)


@bp.post("/waitlist/<int:entry_id>/leave")
def leave_waitlist(entry_id):
    waitlist.leave(actor(), entry_id, current_user.client_id)
    flash(_("You have left the waitlist."), "success")
    return redirect(url_for("booking.appointment_list"), code=303)


@offer_links.get("/waitlist/offer/<token>", endpoint="open")
def open_offer(token):
    """The link in the offer email: the token is checked and kept in the session (it survives signing in),
    then 303 to the offer page without it (checkup/web/link_tokens.py)."""
    try:
        waitlist.find_offer(token)
    except ValidationError as exc:
        return render_page("booking/offer_gone.html", message=exc.message, status=410)
    return link_tokens.hold(link_tokens.WAITLIST_OFFER, token, "booking.waitlist_offer")


@bp.route("/waitlist/offer", methods=["GET", "POST"])
def waitlist_offer():
    token = link_tokens.held(link_tokens.WAITLIST_OFFER)
    try:
        entry = waitlist.find_offer(token)
        if entry.client_id != current_user.client_id:
            abort(404)
        if request.method == "POST" and ClaimForm().validate_on_submit():
            appointment = waitlist.claim(actor(), token, current_user.client_id)
            link_tokens.release(link_tokens.WAITLIST_OFFER)
            flash(_("The place is yours. Your checkup is booked."), "success")
            return redirect(url_for("booking.appointment", appointment_id=appointment.id), code=303)
    except ValidationError as exc:
        return render_page("booking/offer_gone.html", message=exc.message, status=410)
    return render_page("booking/offer.html", entry=entry, form=ClaimForm(), link=link_tokens.fingerprint(token))
