"""Front desk on the exam day: the day sheet, check-in, no-shows, walk-ins, and the prints of check-in: the
guide sheet and the specimen labels."""

import datetime
import functools

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from checkup.blueprints.desk.day_rows import day_counts as print_day_counts
from checkup.blueprints.desk.day_rows import day_rows as print_day_rows
from checkup.blueprints.desk.day_rows import slot_nav
from checkup.core import clock
from checkup.core.arguments import id_from_text
from checkup.core.errors import DomainError
from checkup.core.i18n import is_chinese
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.services.accounts import clients
from checkup.services.booking import availability, booking
from checkup.services.catalog import packages
from checkup.services.exam import day_sheets, exam_day, guide_sheets, specimens
from checkup.services.groups import enrollment_identity
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment
from checkup.web.kept_markup import KeptMarkup
from checkup.web.row_printing import address_pattern, translated
from checkup.web.template_gettext import _translations

bp = Blueprint("daysheet", __name__, url_prefix="/desk/day")
restrict_blueprint(bp, SCHEDULER, ADMIN)


# the day sheet's per-row addresses, as patterns of ``pattern % appointment_id``
ROW_LINKS = {
    "detail": "desk_booking.detail",
    "check_in": "daysheet.check_in",
    "join_record": "daysheet.join_record",
    "no_show": "daysheet.no_show",
    "guide_sheet": "daysheet.guide_sheet",
    "specimen_labels": "daysheet.specimen_labels",
}


# {script root: ROW_LINKS' patterns}: an address is the same for every request under one script root
_row_links_kept: dict[str, dict[str, str]] = {}


def _row_links():
    """ROW_LINKS as address patterns, built once per process and script root (the addresses are relative
    to it): a row has up to nine links and url_for costs ~10 µs a call."""
    root = request.script_root
    links = _row_links_kept.get(root)
    if links is None:
        links = {name: address_pattern(endpoint, "appointment_id") for name, endpoint in ROW_LINKS.items()}
        if len(_row_links_kept) < 8:  # a process serves one root (or a few): never a growing table
            _row_links_kept[root] = links
    return links


# {(script root, endpoint, values): address}: the day sheet's page links (days, slots, pages) as url_for makes
# them, the same for every request under one root; bounded (emptied when full)
_addresses_kept: dict[tuple, str] = {}
ADDRESSES_KEPT = 2048


def _address(endpoint, **values):
    """``url_for(endpoint, **values)``, kept per process: a page prints a dozen of them and url_for costs ~10 µs
    a call. Addresses hold no one's data (a day, a slot id, a position)."""
    key = (request.script_root, endpoint, *sorted(values.items()))
    address = _addresses_kept.get(key)
    if address is None:
        address = url_for(endpoint, **values)
        if len(_addresses_kept) >= ADDRESSES_KEPT:
            _addresses_kept.clear()
        _addresses_kept[key] = address
    return address


def _day_url(day):
    return url_for("daysheet.today") if day == clock.today() else url_for("daysheet.today", day=day.isoformat())


def _page_words():
    """The page's fixed labels in the request's language, as ``{{ _("…") }}`` printed them (the translation
    marked safe): the translations looked up once, not through a template call per label (a quiet day's
    table heads repeat per slot)."""
    gettext = _translations().ugettext
    return {
        "day_sheet": translated(gettext("Day sheet")),
        "today_note": translated(gettext("today")),
        "day": translated(gettext("Day")),
        "show_day": translated(gettext("Show the day")),
        "previous_day": translated(gettext("Previous day")),
        "today": translated(gettext("Today")),
        "next_day": translated(gettext("Next day")),
        "walk_in": translated(gettext("Register a walk-in")),
        "counts": translated(gettext("Counts")),
        "time_slots": translated(gettext("Time slots")),
        "pages": translated(gettext("Pages of the day sheet")),
        "earlier": translated(gettext("Earlier")),
        "later": translated(gettext("Later")),
        "ended": translated(gettext("ended")),
        "closed": translated(gettext("closed")),
        "client": translated(gettext("Client")),
        "sex_age": translated(gettext("Sex, age")),
        "phone": translated(gettext("Phone")),
        "id_number": translated(gettext("ID number")),
        "package": translated(gettext("Package")),
        "exam_code": translated(gettext("Exam code")),
        "status": translated(gettext("Status")),
        "action": translated(gettext("Action")),
        "no_appointments": translated(gettext("No appointments in this slot.")),
        "no_slots": translated(gettext("No time slots on this day.")),
    }


# the day sheet's content as a page read prints it: it holds the day's counts, the page's rows and the request's
# CSRF token only, so it is printed once per language and what the page read (kept_markup; the key: see
# day_sheets.reading_key), and joined with each request's token
_KEPT_SHEETS = KeptMarkup(limit=32)


@bp.get("", endpoint="today")
def today():
    """One page of the day: whole slots from ``slot`` on (``start`` rows into it), with every slot's counts."""
    day = availability.parse_day(request.args.get("day")) or clock.today()
    slot_id, start = id_from_text(request.args.get("slot")), id_from_text(request.args.get("start"))
    reading = day_sheets.read_day_sheet(day, slot_id, start or 0)

    def content():
        return render_template(
            "desk/_day_body.html",
            sheet=day_sheets.sheet_of(reading),
            prev_day=day - datetime.timedelta(days=1),
            next_day=day + datetime.timedelta(days=1),
            day_rows=functools.partial(print_day_rows, row_links=_row_links()),
            slot_nav=slot_nav,
            day_counts=print_day_counts,
            address=_address,
            words=_page_words(),
        )

    key = (str(get_locale()), request.script_root, day_sheets.reading_key(reading))
    title = Markup(f"{translated(_translations().ugettext('Day sheet'))} {day.isoformat()}")
    return render_page("desk/day.html", title=title, content_html=_KEPT_SHEETS(key, content))


def _row_answer(appointment_id, error=None, message=None):
    """htmx: the row swapped in place, an error shown in it (200: htmx 2 drops 4xx), and the day's counts
    out of band; else back to the day."""
    row = day_sheets.sheet_row(appointment_id)
    if wants_fragment():
        counts = day_sheets.day_counts(row.day) if not error else None
        response = make_response(
            render_template(
                "desk/_day_row_answer.html",
                row=row,
                row_error=error,
                row_message=message,
                counts=counts,
                row_links=_row_links(),
            )
        )
        response.headers["Vary"] = "HX-Request"
        return response
    if error:
        flash(str(error), "error")
    elif message:
        flash(str(message), "success")
    return redirect(_day_url(row.day) + f"#appointment-{row.appointment_id}", code=303)


@bp.post("/appointments/<int:appointment_id>/check-in")
def check_in(appointment_id):
    try:
        exam_day.check_in(actor(), appointment_id, request.form.getlist("verified"))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _row_answer(appointment_id, error=str(exc.message))  # str: escaped in the template
    return _row_answer(appointment_id, message=_("Checked in."))


@bp.post("/appointments/<int:appointment_id>/join-record")
def join_record(appointment_id):
    """Before check-in: the ID card's number joins a company roster's record to the person's earlier one."""
    try:
        enrollment_identity.join_at_desk(actor(), appointment_id, request.form.get("national_id", "")[:40])
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _row_answer(appointment_id, error=str(exc.message))  # str: escaped in the template
    return _row_answer(appointment_id, message=_("Records joined. Confirm the identity again, then check in."))


@bp.post("/appointments/<int:appointment_id>/no-show")
def no_show(appointment_id):
    try:
        exam_day.mark_no_show(actor(), appointment_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _row_answer(appointment_id, error=str(exc.message))  # str: escaped in the template
    return _row_answer(appointment_id, message=_("Marked as a no-show."))


@bp.route("/walk-in", methods=["GET", "POST"])
def walk_in():
    """Pick a client (a POSTed search, or ?client=<id> from the directory), a package, confirm identity,
    check in. The search is a POST so a name or phone never goes into an address."""
    searching = request.method == "POST" and "q" in request.form
    query = request.form.get("q", "").strip()[:100]
    client_id = None if searching else request.values.get("client", type=int)
    client = clients.summary_of(booking.client_or_none(client_id)) if client_id else None
    found, id_typed = None, clients.looks_like_national_id(query)
    if client is None and query and not id_typed:  # a full ID is looked up in the directory (audited)
        found = clients.search_clients(query)
    offers = [o for o in packages.offers_for(client.sex, client.birth_date) if o.eligible] if client else []
    error, status, chosen = None, 200, request.form.get("package", "")
    if request.method == "POST" and not searching:
        if client is None:
            error, status = _("Choose the client first."), 422
        else:
            try:
                appointment = exam_day.register_walk_in(actor(), client.id, chosen, request.form.getlist("verified"))
            except DomainError as exc:
                error, status = str(exc.message), exc.status
            else:
                flash(_("Walk-in checked in: exam code %(code)s.", code=appointment.exam_code), "success")
                return redirect(url_for("daysheet.today", _anchor=f"appointment-{appointment.id}"), code=303)
    return render_page(
        "desk/walk_in.html",
        query=query,
        id_typed=id_typed,
        client=client,
        found=found,
        offers=offers,
        chosen=chosen,
        slots=exam_day.walk_in_slots(),
        error=error,
        status=status,
        identity_fields=exam_day.IDENTITY_FIELDS
        if client and client.national_id_masked
        else exam_day.IDENTITY_FIELDS[:2],
    )


def _pdf(print_document, appointment_id, filename):
    """A printed document of the appointment (audited by the service), or back to the day sheet with the
    reason it cannot be printed (not checked in, nothing to label)."""
    try:
        exam_code, pdf = print_document(actor(), appointment_id, chinese=is_chinese())
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
        return redirect(_day_url(day_sheets.sheet_row(appointment_id).day) + f"#appointment-{appointment_id}", code=303)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}-{exam_code}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/appointments/<int:appointment_id>/guide-sheet.pdf")
def guide_sheet(appointment_id):
    """The guide sheet (导检单): one line per station in the suggested order; reprintable, every print audited."""
    return _pdf(guide_sheets.print_guide_sheet, appointment_id, "guide-sheet")


@bp.get("/appointments/<int:appointment_id>/labels.pdf")
def specimen_labels(appointment_id):
    """One 50 × 25 mm label per specimen container; reprintable, every print audited."""
    return _pdf(specimens.print_labels, appointment_id, "labels")
