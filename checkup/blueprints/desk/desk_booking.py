"""Front desk: find any appointment, book by phone for a client, change or cancel with a reason."""

import datetime
import uuid
from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from checkup.blueprints.desk import book_rows
from checkup.core import clock
from checkup.core.arguments import valid_id
from checkup.core.errors import DomainError, ValidationError
from checkup.forms.booking import DeskBookingForm, StaffCancelForm
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.appointments import BOOKED
from checkup.services.booking import appointments, availability, booking, desk_appointment
from checkup.services.catalog import booking_choices, packages
from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.web.kept_markup import KeptMarkup, token_field

bp = Blueprint("desk_booking", __name__, url_prefix="/desk")
restrict_blueprint(bp, SCHEDULER, ADMIN)


@bp.route("/appointments", methods=["GET", "POST"])
def search():
    """The search (exam code, name or phone) comes only as a POSTed form: never in an address."""
    query = request.form.get("q", "").strip()[:100]
    return render_page(
        "desk/appointments.html", "desk/_appointment_rows.html", query=query, results=appointments.search(query)
    )


@bp.get("/appointments/<int:appointment_id>")
def detail(appointment_id):
    # read once as plain values (a forged id out of range is no appointment, not a database error); its
    # examinations come with the resources they hold
    appointment = desk_appointment.appointment(appointment_id) if valid_id(appointment_id) else None
    if appointment is None:
        raise booking.appointment_not_found()
    items, resources = desk_appointment.items_and_resources(appointment.id)
    if appointment.status != BOOKED:  # only a booked one is moved or cancelled: no times, no form shown
        return render_page("desk/appointment.html", appointment=appointment, items=items)
    day = availability.parse_day(request.args.get("day")) or appointment.day
    return render_page(
        "desk/appointment.html",
        appointment=appointment,
        items=items,
        day=day,
        slots=availability.day_slots(day, resources),
        locked=booking.cutoff_passed(appointment),
        form=StaffCancelForm(),
    )


@bp.post("/appointments/<int:appointment_id>/cancel")
def cancel(appointment_id):
    booking.get_appointment(appointment_id)
    form = StaffCancelForm()
    if form.validate_on_submit():
        try:
            booking.cancel(actor(), appointment_id, form.reason.data, staff=True)
        except ValidationError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("Appointment cancelled."), "success")
    else:
        flash(_("Give a reason for cancelling."), "error")
    return redirect(url_for("desk_booking.detail", appointment_id=appointment_id), code=303)


@bp.post("/appointments/<int:appointment_id>/reschedule")
def reschedule(appointment_id):
    booking.get_appointment(appointment_id)
    slot_id = request.form.get("slot", type=int)
    try:
        booking.reschedule(actor(), appointment_id, slot_id, staff=True, reason=request.form.get("reason", "")[:300])
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("Appointment moved."), "success")
    return redirect(url_for("desk_booking.detail", appointment_id=appointment_id), code=303)


@bp.route("/clients/<int:client_id>/book", methods=["GET", "POST"])
def book_for_client(client_id):
    """Phone booking: the front desk picks package, day and time for a client on file."""
    client = booking.client_for(client_id)
    if request.method == "GET":
        return _book_page(client)
    form = DeskBookingForm()
    # eligibility by the client's age on the exam day: the chosen slot's, else the day looked at
    slot = booking.slot_or_none(form.slot.data) if request.method == "POST" else None
    shown_day = slot.day if slot is not None else (form.day.data or clock.today())
    offers = [o for o in packages.offers_for(client.sex, client.birth_date, shown_day) if o.eligible]
    form.package.choices = [(o.package.code, o.package.code) for o in offers]
    if request.method == "GET" and not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    day = form.day.data if request.method == "GET" else None
    error, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            appointment = booking.book(
                actor(),
                client.id,
                form.slot.data,
                form.package.data,
                [code[:20] for code in (form.addons.data or [])[:30]],
                form.idempotency_key.data or None,
                source="desk",
                allow_second=form.allow_second.data,
            )
        except DomainError as exc:
            error, status = exc.message, (409 if isinstance(exc, booking.PlaceTaken) else 422)
        else:
            flash(_("Booked: exam code %(code)s.", code=appointment.exam_code), "success")
            return redirect(url_for("desk_booking.detail", appointment_id=appointment.id), code=303)
    elif request.method == "POST":
        status = 422
    day = form.day.data or clock.today()
    code = form.package.data or (offers[0].package.code if offers else "")
    package = next((o.package for o in offers if o.package.code == code), None)
    chosen = [c for c in (form.addons.data or []) if c]
    offer = None
    if package:
        try:
            offer = booking.quote(client, code, chosen, day=day, package=package)
        except DomainError:  # an add-on not for this package: the times of the package alone
            offer = booking.quote(client, code, day=day, package=package)
    resources = offer.resource_ids if offer is not None else []
    return _render(
        client,
        [o.package for o in offers],
        form,
        code,
        (
            booking.addon_choices(package, client, day=day, package_item_ids=offer.package_item_ids)
            if offer is not None
            else []
        ),
        chosen,
        day,
        error,
        availability.day_slots(day, resources) if code else [],
        status,
    )


def _render(client, offered, form, code, modules, chosen, day, error, slots, status, kept=False):
    """The page, its package options, add-on boxes and free times printed in Python (book_rows); ``kept``: the
    package, day and add-on choice from what is kept (_search_form)."""
    return render_page(
        "desk/book.html",
        search_form=_search_form(offered, code, modules, chosen, day, kept) if offered else None,
        client=client,
        offers=offered,
        form=form,
        code=code,
        modules=modules,
        chosen=chosen,
        day=day,
        error=error,
        slots=slots,
        status=status,
        slot_radios=book_rows.slot_radios([pair for pair in slots if pair[1]]),
    )


def _book_page(client):
    """The page asked for (GET): its catalog in one statement of plain rows (services/catalog/booking_choices),
    the same offers, add-on choices and times as the refused POST's path above works out."""
    form = asked_form(request.args)
    day = form.day.data or clock.today()
    chosen = [c for c in (form.addons.data or []) if c]
    shown = booking_choices.booking_choices(
        client.sex, packages.age_on(client.birth_date, day), form.package.data, chosen
    )
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    code = form.package.data or (shown.offers[0].code if shown.offers else "")
    return _render(
        client,
        shown.offers,
        form,
        code,
        shown.modules,
        chosen,
        day,
        None,
        availability.day_slots(day, shown.resource_ids) if code else [],
        200,
        kept=True,
    )


# {key: the package, day and add-on choice a GET prints}: printed once per language and every value it prints
_KEPT_SEARCH_FORMS = KeptMarkup(limit=64)


def _search_form(offered, code, modules, chosen, day, kept):
    """The markup of templates/desk/_book_search.html; ``kept`` (a GET): printed once per language, day, package
    asked, add-ons asked, and each package's and add-on's code, names and price (keyed by their ``repr``)."""

    def render():
        return Markup(
            render_template(
                "desk/_book_search.html",
                day=day,
                modules=modules,
                package_options=book_rows.package_options(offered, code),
                addon_boxes=book_rows.addon_boxes(modules, chosen),
            )
        )

    if not kept:
        return render()
    key = (
        str(get_locale()),
        day,
        code,
        tuple(chosen),
        tuple((p.code, p.name_en, p.name_zh, repr(p.price)) for p in offered),
        tuple((m.code, m.name_en, m.name_zh, repr(m.offered_price)) for m in modules),
    )
    return _KEPT_SEARCH_FORMS(key, render)


# {language: (label, description) of DeskBookingForm.allow_second}: the same messages the form translates
_SECOND_TEXTS: dict = {}


def asked_form(args):
    """What ``DeskBookingForm(formdata=args)`` reads from a GET's arguments and what book.html prints of it,
    without building the form (#16): its fields' ``data`` as the fields parse them, no errors (a GET is not
    validated), the label and description of ``allow_second`` and the CSRF field (kept_markup.token_field).
    tests/booking/test_desk_book_asked.py checks it against the form."""
    language = str(get_locale())
    texts = _SECOND_TEXTS.get(language)
    if texts is None:
        texts = _SECOND_TEXTS[language] = (
            _("Book a second checkup"),
            _("Only when the client asks for it: they already have an upcoming checkup. This is logged."),
        )
    package, key, second = args.getlist("package"), args.getlist("idempotency_key"), args.getlist("allow_second")
    day = None
    if "day" in args:
        try:
            day = datetime.datetime.strptime(" ".join(args.getlist("day")), "%Y-%m-%d").date()
        except (ValueError, TypeError):
            day = None
    return SimpleNamespace(
        package=SimpleNamespace(data=package[0] if package else None, errors=()),
        day=SimpleNamespace(data=day),
        addons=SimpleNamespace(data=args.getlist("addons")),
        idempotency_key=SimpleNamespace(data=key[0] if key else None),
        slot=SimpleNamespace(errors=()),
        allow_second=SimpleNamespace(
            data=bool(second) and second[0] not in ("false", ""),
            label=SimpleNamespace(text=texts[0]),
            description=texts[1],
        ),
        csrf_token=token_field(),
    )
