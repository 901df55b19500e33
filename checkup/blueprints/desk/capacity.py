"""Scheduler: the capacity calendar, a day's slots and resources, the weekly template, the import."""

import datetime
import re

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from checkup.core import clock
from checkup.core.arguments import parse_page
from checkup.core.errors import ValidationError
from checkup.core.i18n import localized
from checkup.forms.capacity import CapacityForm, CloseDayForm, ImportForm, ReopenDayForm, template_form
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.services.booking import capacity, capacity_import
from checkup.services.booking.availability import shift_month
from checkup.services.catalog import catalog
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment
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


@bp.get("")
def calendar():
    today = clock.today()
    year, month = _month(request.args.get("month"), today)
    first = datetime.date(year, month, 1)
    monday = first - datetime.timedelta(days=first.weekday())
    return render_page(
        "capacity/calendar.html",
        "capacity/_month.html",
        days=capacity.month_calendar(year, month),
        # each day's short weekday name, formatted once per weekday rather than once per day
        weekday_names=[format_date(monday + datetime.timedelta(days=n), "EEE") for n in range(7)],
        lead=first.weekday(),
        first=first,
        today=today,
        fill_state=fill_state,
        prev_month=_month_arg(*shift_month(year, month, -1)),
        next_month=_month_arg(*shift_month(year, month, 1)),
        shown_month=_month_arg(year, month),
        this_month=_month_arg(today.year, today.month),
    )


# --- one day -------------------------------------------------------------------------------------


def _capacity_form(prefix, current, label, formdata):
    form = (
        CapacityForm(prefix=prefix, formdata=None, data={"capacity": current})
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


def _day_page(day, status=200, slot_forms=None, resource_forms=None, close_form=None, error=None):
    sheet = capacity.capacity_day(day, parse_page(request.args.get("page")))
    forms = {s.id: slot_form(s) for s in sheet.slots}
    forms.update(slot_forms or {})
    res_forms = {r.id: resource_form(r) for r in sheet.resources}
    res_forms.update(resource_forms or {})
    return render_page(
        "capacity/day.html",
        sheet=sheet,
        slot_forms=forms,
        resource_forms=res_forms,
        close_form=close_form or CloseDayForm(formdata=None),
        reopen_form=ReopenDayForm(formdata=None),
        fill_state=fill_state,
        today=clock.today(),
        page_error=error,
        prev_day=day - datetime.timedelta(days=1),
        next_day=day + datetime.timedelta(days=1),
        status=status,
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
                "capacity/_slot_row.html", slot=slot, form=slot_form(slot), saved=True, fill_state=fill_state
            )
        flash(
            _("Capacity of %(time)s saved: %(n)s places.", time=slot.start_time.strftime("%H:%M"), n=slot.capacity),
            "success",
        )
        return redirect(url_for("capacity.day", day=slot.day.isoformat()), code=303)
    if wants_fragment():
        return render_template("capacity/_slot_row.html", slot=slot, form=form, fill_state=fill_state), 200
    return _day_page(slot.day, status=422, slot_forms={slot.id: form})


@bp.post("/resources/<int:resource_day_id>")
def resource_save(resource_day_id):
    row = capacity.get_resource_day(resource_day_id)
    form = resource_form(row, request.form)
    if submit(form, lambda: capacity.set_resource_capacity(actor(), row.id, form.capacity.data)).done:
        row = capacity.get_resource_day(row.id)
        if wants_fragment():
            return render_template(
                "capacity/_resource_row.html", row=row, form=resource_form(row), saved=True, fill_state=fill_state
            )
        flash(
            _("Capacity of %(resource)s saved: %(n)s places.", resource=localized(row.resource), n=row.capacity),
            "success",
        )
        return redirect(url_for("capacity.day", day=row.day.isoformat()), code=303)
    if wants_fragment():
        return render_template("capacity/_resource_row.html", row=row, form=form, fill_state=fill_state), 200
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


@bp.route("/template", methods=["GET", "POST"])
def template():
    resources, labels = _active_resources()
    today = clock.today()
    if request.method == "GET":
        form = template_form(resources, labels, today=today)
        return render_page("capacity/template.html", form=form, form_errors=[])
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
