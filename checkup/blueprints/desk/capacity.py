"""Scheduler: the capacity calendar, a day's slots and resources, the weekly template, the import."""

import datetime
import re
from typing import NamedTuple

from babel.dates import DateTimeFormat
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from checkup.blueprints.desk.capacity_rows import (
    appointment_rows,
    day_pager,
    month_days,
    resource_rows,
    slot_rows,
    slot_times,
)
from checkup.core import clock
from checkup.core.arguments import parse_page
from checkup.core.errors import ValidationError
from checkup.core.i18n import is_chinese, localized
from checkup.forms.capacity import CapacityForm, CloseDayForm, ImportForm, ReopenDayForm, template_form
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.services.booking import capacity, capacity_import
from checkup.services.booking.availability import shift_month
from checkup.services.catalog import catalog
from checkup.web.form_controls import form_field
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment
from checkup.web.kept_markup import KeptMarkup, token_field
from checkup.web.uploads import run_import

bp = Blueprint("capacity", __name__, url_prefix="/desk/capacity")
restrict_blueprint(bp, SCHEDULER, ADMIN)

MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})")
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SLOT_ROW_FIELDS = ("start", "end", "capacity")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fill_state(booked, total, closed=False):
    """The band of a fill: closed, empty (no capacity), low (< 50 %), busy (< 90 %), nearly (full), full."""
    if closed:
        return "closed"
    if not total:
        return "empty"
    if booked >= total:
        return "full"
    ratio = booked / total
    return "low" if ratio < 0.5 else "busy" if ratio < 0.9 else "nearly"


# what each fill_state is called (in a badge, never colour alone)
FILL_LABELS = {
    "closed": _l("Closed"),
    "empty": _l("No places"),
    "low": _l("Plenty of room"),
    "busy": _l("Filling up"),
    "nearly": _l("Nearly full"),
    "full": _l("Full"),
}


def fill_labels():
    """The fill states' names in the page's language, translated once for all its rows."""
    return {state: str(label) for state, label in FILL_LABELS.items()}


def invalid_status():
    """422 for a page with errors; 200 for an htmx swap, which htmx 2 drops on 4xx by default."""
    return 200 if wants_fragment() else 422


def _month(value, default):
    match = MONTH_PATTERN.fullmatch(value or "")
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if capacity.FIRST_YEAR <= year <= capacity.LAST_YEAR and 1 <= month <= 12:
            return year, month
    return default.year, default.month


def _day(value):
    """A YYYY-MM-DD path segment → date, or 404."""
    if not DAY_PATTERN.fullmatch(value or ""):
        abort(404)
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        abort(404)
    if not capacity.FIRST_YEAR <= day.year <= capacity.LAST_YEAR:
        abort(404)
    return day


def _month_arg(year, month):
    return f"{year:04d}-{month:02d}"


# --- the month calendar --------------------------------------------------------------------------


# a resource's fill is named on the calendar only when it leaves little or no room
RESOURCE_FILLS_NAMED = ("full", "nearly", "empty")
# Babel date fields that one month's days share (era, year, month): a long date differs only in its day
_MONTH_FIELDS = frozenset(
    ("G", "GG", "GGG", "GGGG", "y", "yy", "yyyy", "M", "MM", "MMM", "MMMM", "L", "LL", "LLL", "LLLL")
)
_DATE_FIELD = re.compile(r"%\((\w+)\)s")


class CalendarResourceCell(NamedTuple):
    state: str
    code: str
    name: str
    used: int  # booked and held
    capacity: int
    note: str  # the fill's name, when RESOURCE_FILLS_NAMED names it


class CalendarCell(NamedTuple):
    """A day of the month calendar as printed, worked out once (the template only prints it: the month's
    ~200 cells and resource lines cost a template call, a link and a date formatting each)."""

    day: datetime.date
    href: str
    weekday: str
    long_date: str
    state: str  # a fill_state, 'none' without slots
    label: str  # the state's fill label
    booked: int
    capacity: int
    has_slots: bool
    resources: list  # CalendarResourceCell


def _long_dates(days):
    """Each day's long date, as ``dateformat("long")`` prints it. One month's days differ only in their day
    number: the locale's pattern is filled once and the day put in; any other pattern, day by day."""
    locale = get_locale()
    pattern = locale.date_formats["long"] if locale is not None else None
    names = set(_DATE_FIELD.findall(getattr(pattern, "format", "")))
    if (
        not days
        or pattern is None
        or not names - {"d", "dd"} <= _MONTH_FIELDS
        or len({(d.year, d.month) for d in days}) > 1
    ):
        return [format_date(day, "long") for day in days]
    shared = DateTimeFormat(days[0], locale)
    values = {name: shared[name] for name in names - {"d", "dd"}}
    dates = []
    for day in days:
        values["d"], values["dd"] = str(day.day), f"{day.day:02d}"
        dates.append(pattern.format % values)
    return dates


def _calendar_cells(days, labels):
    """The month's CalendarDays as CalendarCells: fills, links, weekday names and dates worked out here."""
    link = url_for("capacity.day", day="0000-00-00")
    first = days[0].day if days else clock.today()
    monday = first - datetime.timedelta(days=first.weekday())
    # each day's short weekday name, formatted once per weekday rather than once per day
    weekday_names = [format_date(monday + datetime.timedelta(days=n), "EEE") for n in range(7)]
    long_dates = _long_dates([d.day for d in days])
    chinese = is_chinese()
    cells = []
    for d, long_date in zip(days, long_dates, strict=True):
        resources = []
        for r in d.resources:
            used = r.booked + r.held
            rstate = fill_state(used, r.capacity)
            name = (chinese and r.resource.name_zh) or r.resource.name_en
            note = labels[rstate] if rstate in RESOURCE_FILLS_NAMED else ""
            resources.append(CalendarResourceCell(rstate, r.resource.code, name, used, r.capacity, note))
        booked, total = d.booked, d.capacity
        state = fill_state(booked, total, d.closed) if d.slots else "none"
        cells.append(
            CalendarCell(
                d.day,
                link.replace("0000-00-00", d.day.isoformat()),
                weekday_names[d.day.weekday()],
                long_date,
                state,
                labels.get(state, ""),
                booked,
                total,
                bool(d.slots),
                resources,
            )
        )
    return cells


# the month as the calendar prints it, page or htmx fragment: it holds no form and nothing of the viewer, so it
# is printed once per language, month, today and what the month's slots and resource days hold (kept_markup)
_KEPT_MONTHS = KeptMarkup(limit=32)


@bp.get("")
def calendar():
    today = clock.today()
    year, month = _month(request.args.get("month"), today)
    first = datetime.date(year, month, 1)
    days = capacity.month_calendar(year, month)
    fragment = wants_fragment()
    held = tuple((d.day, tuple(d.slots), tuple(d.resources)) for d in days)

    def content():
        labels = fill_labels()
        return render_template(
            "capacity/_month.html" if fragment else "capacity/_calendar_body.html",
            month_days=month_days(_calendar_cells(days, labels), today),
            fill_labels=labels,
            lead=first.weekday(),
            first=first,
            prev_month=_month_arg(*shift_month(year, month, -1)),
            next_month=_month_arg(*shift_month(year, month, 1)),
            shown_month=_month_arg(year, month),
            this_month=_month_arg(today.year, today.month),
        )

    html = _KEPT_MONTHS((str(get_locale()), request.script_root, fragment, first, today, held), content)
    if fragment:
        return html, 200
    return render_page("capacity/calendar.html", first=first, content_html=html)


# --- one day -------------------------------------------------------------------------------------


def _capacity_form(prefix, current, label, formdata):
    # a form only shown is built without its CSRF field (a third of its cost, a dozen rows a page): the row
    # prints the request's token under the same name, and every post is checked by a form with the field
    form = (
        CapacityForm(prefix=prefix, formdata=None, data={"capacity": current}, meta={"csrf": False})
        if formdata is None
        else CapacityForm(prefix=prefix)
    )
    form.capacity.label.text = label  # every row's input says which slot or resource it sets
    return form


def slot_form(slot, formdata=None):
    label = _(
        "Capacity %(start)s–%(end)s", start=slot.start_time.strftime("%H:%M"), end=slot.end_time.strftime("%H:%M")
    )
    return _capacity_form(f"slot-{slot.id}", slot.capacity, label, formdata)


def resource_form(row, formdata=None):
    label = _("Capacity of %(resource)s", resource=row.resource.code)
    return _capacity_form(f"resource-{row.id}", row.capacity, label, formdata)


# {(language, day): (the day's full date, its month's title)}: what ``day|dateformat("full")`` and the
# ``month_title`` macro print, formatted once per language and day (Babel's formatting costs more than the
# page's rows); dates only, bounded
_DAY_TITLES: dict[tuple[str, datetime.date], tuple[str, str]] = {}
_DAY_TITLES_KEPT = 512

# {language: the close form's note field as a blank form prints it}: it holds nothing of the request
_BLANK_CLOSE_NOTES: dict[str, Markup] = {}


def _day_titles(day):
    key = (str(get_locale()), day)
    titles = _DAY_TITLES.get(key)
    if titles is None:
        month_pattern = "y年M月" if is_chinese() else "LLLL y"  # as capacity/_macros.html's month_title
        titles = (format_date(day, "full"), format_date(day, month_pattern))
        if len(_DAY_TITLES) >= _DAY_TITLES_KEPT:
            _DAY_TITLES.clear()
        _DAY_TITLES[key] = titles
    return titles


def _close_fields(close_form):
    """(the close form's token field, its note field): a posted form's as it prints them (with its errors),
    else a blank form's, its note printed once per language and the request's token put in."""
    if close_form is not None:
        token = getattr(close_form, "csrf_token", None)
        return (Markup(token()) if token is not None else ""), form_field(close_form.note, None, {})
    language = str(get_locale())
    note = _BLANK_CLOSE_NOTES.get(language)
    if note is None:
        note = _BLANK_CLOSE_NOTES[language] = form_field(
            CloseDayForm(formdata=None, meta={"csrf": False}).note, None, {}
        )
    return token_field(), note


def _day_page(day, status=200, slot_forms=None, resource_forms=None, close_form=None, error=None):
    """The day page; ``slot_forms`` and ``resource_forms`` ({id: form}) are posted forms shown with their errors
    (the other rows print their stored capacities: capacity_rows). The day's one form shown (none without
    slots: close, or reopen a closed day) is printed without a form built for it unless it was posted."""
    sheet = capacity.capacity_day(day, parse_page(request.args.get("page")))
    labels = fill_labels()
    full_date, month_title = _day_titles(day)
    close_token = close_note = reopen_token = None
    if sheet.slots and not sheet.closed:
        close_token, close_note = _close_fields(close_form)
    elif sheet.slots:
        reopen_token = token_field()
    return render_page(
        "capacity/day.html",
        sheet=sheet,
        slot_rows=slot_rows(sheet.slots, slot_forms or {}, fill_state, labels),
        resource_rows=resource_rows(sheet.resources, resource_forms or {}, fill_state, labels),
        close_token=close_token,
        close_note=close_note,
        reopen_token=reopen_token,
        today=clock.today(),
        page_error=error,
        prev_day=day - datetime.timedelta(days=1),
        next_day=day + datetime.timedelta(days=1),
        status=status,
        appointment_rows=appointment_rows(sheet.appointments, slot_times(sheet.slots)) if sheet.appointments else "",
        appointments_pager=day_pager(sheet.appointments_page, day.isoformat()) if sheet.appointments else "",
        full_date=full_date,
        month_title=month_title,
    )


@bp.get("/<day>")
def day(day):
    return _day_page(_day(day))


@bp.post("/slots/<int:slot_id>")
def slot_save(slot_id):
    slot = capacity.get_slot(slot_id)
    form = slot_form(slot, request.form)
    outcome = submit(form, lambda: capacity.set_slot_capacity(actor(), slot.id, form.capacity.data))
    if outcome.done:
        slot = outcome.result
        if wants_fragment():
            return render_template(
                "capacity/_slot_row.html",
                slot=slot,
                form=slot_form(slot),
                saved=True,
                fill_state=fill_state,
                fill_labels=fill_labels(),
            )
        flash(
            _("Capacity of %(time)s saved: %(n)s places.", time=slot.start_time.strftime("%H:%M"), n=slot.capacity),
            "success",
        )
        return redirect(url_for("capacity.day", day=slot.day.isoformat()), code=303)
    if wants_fragment():
        return render_template(
            "capacity/_slot_row.html", slot=slot, form=form, fill_state=fill_state, fill_labels=fill_labels()
        ), 200
    return _day_page(slot.day, status=422, slot_forms={slot.id: form})


@bp.post("/resources/<int:resource_day_id>")
def resource_save(resource_day_id):
    row = capacity.get_resource_day(resource_day_id)
    form = resource_form(row, request.form)
    if submit(form, lambda: capacity.set_resource_capacity(actor(), row.id, form.capacity.data)).done:
        row = capacity.get_resource_day(row.id)
        if wants_fragment():
            return render_template(
                "capacity/_resource_row.html",
                row=row,
                form=resource_form(row),
                saved=True,
                fill_state=fill_state,
                fill_labels=fill_labels(),
            )
        flash(
            _("Capacity of %(resource)s saved: %(n)s places.", resource=localized(row.resource), n=row.capacity),
            "success",
        )
        return redirect(url_for("capacity.day", day=row.day.isoformat()), code=303)
    if wants_fragment():
        return render_template(
            "capacity/_resource_row.html", row=row, form=form, fill_state=fill_state, fill_labels=fill_labels()
        ), 200
    return _day_page(row.day, status=422, resource_forms={row.id: form})


@bp.post("/<day>/close")
def close(day):
    day = _day(day)
    form = CloseDayForm()
    outcome = submit(form, lambda: capacity.close_day(actor(), day, form.note.data or ""))
    if not outcome.done:
        return _day_page(day, status=422, close_form=form, error=outcome.form_error)
    if outcome.result:
        flash(
            ngettext(
                "The day is closed. %(num)d appointment needs rescheduling; it is listed below.",
                "The day is closed. %(num)d appointments need rescheduling; they are listed below.",
                len(outcome.result),
            ),
            "warning",
        )
    else:
        flash(_("The day is closed. Nobody was booked on it."), "success")
    return redirect(url_for("capacity.day", day=day.isoformat(), _anchor="appointments"), code=303)


@bp.post("/<day>/reopen")
def reopen(day):
    day = _day(day)
    outcome = submit(ReopenDayForm(), lambda: capacity.reopen_day(actor(), day))
    if not outcome.done:
        return _day_page(day, status=422, error=outcome.form_error)
    flash(_("The day is open for booking again."), "success")
    return redirect(url_for("capacity.day", day=day.isoformat()), code=303)


# --- the weekly template -------------------------------------------------------------------------


def _active_resources():
    resources = catalog.resources(active_only=True)
    return resources, {r.id: f"{r.code} · {localized(r)}" for r in resources}


def _place_template_errors(form, rows, exc):
    """Service errors beside their fields, a slot problem beside its row; returns those left over."""
    rest = []
    row_of_spec = [index for index, _spec in rows]
    has_row_errors = any(key.startswith("slots-") for key in exc.field_errors)
    for key, message in exc.field_errors.items():
        parts = key.split("-")
        if parts[0] == "slots" and len(parts) == 3:
            if parts[1].isdigit() and int(parts[1]) < len(row_of_spec) and parts[2] in SLOT_ROW_FIELDS:
                target = form.slots[row_of_spec[int(parts[1])]].form[parts[2]]
                target.errors = list(target.errors) + [message]
            else:
                rest.append(message)
        elif key == "slots":
            if not has_row_errors:
                rest.append(message)
        elif key in form._fields:
            form[key].errors = list(form[key].errors) + [message]
        else:
            rest.append(message)
    return rest or ([] if exc.field_errors else [exc.message])


# {(language, today, the active resources as read): the blank form's markup, cut where its CSRF token goes}:
# the form a GET shows holds nothing of the request but that token (its dates follow today, its capacity fields
# the resources read on every request), so WTForms builds and prints it once per language, day and resources
_BLANK_TEMPLATE_FORMS: dict[tuple, list[str]] = {}
_BLANK_TEMPLATE_FORM_LIMIT = 16


def _blank_template_form(resources, labels, today):
    """The weekly template's form as a GET shows it (capacity/_template_form.html), with this request's token."""
    key = (str(get_locale()), today, tuple((r.id, labels[r.id], r.daily_capacity) for r in resources))
    pieces = _BLANK_TEMPLATE_FORMS.get(key)
    if pieces is None:
        form = template_form(resources, labels, today=today)
        html = render_template("capacity/_template_form.html", form=form)
        token = form.csrf_token.current_token if form.meta.csrf else None
        if not token or html.count(token) != 1:
            return Markup(html)  # no token to cut at (CSRF off): printed as it is, not kept
        pieces = html.split(token)
        if len(_BLANK_TEMPLATE_FORMS) >= _BLANK_TEMPLATE_FORM_LIMIT:
            _BLANK_TEMPLATE_FORMS.clear()
        _BLANK_TEMPLATE_FORMS[key] = pieces
    return Markup(generate_csrf().join(pieces))


@bp.route("/template", methods=["GET", "POST"])
def template():
    resources, labels = _active_resources()
    today = clock.today()
    if request.method == "GET":
        return render_page(
            "capacity/template.html",
            form=None,
            form_errors=[],
            template_form_html=_blank_template_form(resources, labels, today),
        )
    form = template_form(resources, labels, formdata=request.form)
    form_errors = []
    if form.validate_on_submit():
        rows = form.filled_rows()
        try:
            counts = capacity.apply_template(
                actor(),
                form.start.data,
                form.end.data,
                set(form.weekdays.data),
                [spec for _index, spec in rows],
                form.resource_capacities(),
            )
        except ValidationError as exc:
            form_errors = _place_template_errors(form, rows, exc)
        else:
            flash(
                _(
                    "%(created)s slots opened, %(updated)s updated.",
                    created=counts["created"],
                    updated=counts["updated"],
                ),
                "success",
            )
            if counts["kept"]:
                flash(
                    _(
                        "%(n)s slots kept their capacity: more places are booked in them than the template allows.",
                        n=counts["kept"],
                    ),
                    "warning",
                )
            if counts["closed_days"]:
                flash(_("%(n)s closed days were left closed.", n=counts["closed_days"]), "info")
            return redirect(
                url_for("capacity.calendar", month=_month_arg(form.start.data.year, form.start.data.month)), code=303
            )
    return render_page("capacity/template.html", form=form, form_errors=form_errors, status=422)


# --- import from a file --------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    form = ImportForm()
    if request.method == "GET":
        return render_page("capacity/import.html", form=form, problems=[])
    result, problems, status = run_import(
        form, capacity_import.MAX_BYTES, lambda name, content: capacity_import.import_capacity(actor(), name, content)
    )
    if result is not None:
        flash(
            _(
                "Imported: %(created)s slots opened, %(updated)s updated, %(unchanged)s unchanged; "
                "%(resources)s resource days opened.",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                resources=result.resource_days,
            ),
            "success",
        )
        first = result.days[0]
        return redirect(url_for("capacity.calendar", month=_month_arg(first.year, first.month)), code=303)
    return render_page("capacity/import.html", form=form, problems=problems, status=status)


@bp.get("/import/template.<any(csv, xlsx):kind>")
def import_template(kind):
    today = clock.today()
    if kind == "csv":
        body, mimetype = capacity_import.template_csv(today), "text/csv; charset=utf-8"
    else:
        body, mimetype = capacity_import.template_xlsx(today), XLSX_TYPE
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f"attachment; filename=capacity-template.{kind}"
    return response
