"""The exam floor: the scan box (a station scans a label or types an exam code and the client's form opens),
each station's queue board, the floor overview, the guidance screen and a client's place on the floor.

Boards and guidance refresh themselves by polling (a plain ``every …`` trigger, which static/js/idle.js marks
as background); the desk (导检) reads them too, only stations scan clients in and say done.
"""

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from checkup.blueprints.exam.board_rows import board_markup, board_rows
from checkup.blueprints.exam.floor_client_rows import floor_client_markup, may_act_on
from checkup.blueprints.exam.guidance_rows import guidance_rows, station_loads
from checkup.core import clock
from checkup.core.arguments import parse_page
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import is_chinese
from checkup.models.accounts import PHYSICIAN, SCHEDULER
from checkup.services.exam import guidance, station_board, station_queue, station_scan, station_sheets, station_staff
from checkup.web.guards import actor, is_timed_poll, render_page, restrict_blueprint, roles_required, wants_fragment
from checkup.web.template_gettext import _translations

bp = Blueprint("floor", __name__, url_prefix="/exam/floor")
restrict_blueprint(bp, PHYSICIAN, SCHEDULER)

SCAN_FIELD_LIMIT = 100  # what a scanner or a person types; the service reads at most its own limit


@bp.get("", endpoint="overview")
def overview():
    markup = _overview_markup(station_queue.station_loads(clock.today()))
    if wants_fragment():  # the overview's 10-s poll: the fragment is the kept markup
        return markup
    return render_template("exam/floor.html", floor_markup=markup)


_KEPT_OVERVIEWS = 64  # languages x application roots: few; all dropped when full


def _overview_markup(loads):
    """templates/exam/_floor.html for ``loads`` (station_queue.station_loads: one counting, shared for a few
    seconds), printed once per counting and language: the overview holds no form and nothing of a viewer."""
    kept = current_app.extensions.setdefault("checkup.floor_overview", {})
    key = (_translations(), is_chinese(), request.script_root)
    entry = kept.get(key)
    if entry is None or entry[0] is not loads:
        if len(kept) >= _KEPT_OVERVIEWS:
            kept.clear()
        entry = kept[key] = (loads, Markup(render_template("exam/_floor.html", loads=list(loads.values()))))
    return entry[1]


@bp.get("/stations/<department_code>")
def board(department_code):
    station = station_sheets.get_department(department_code)
    # opened or polled (the station's screens and a hallway display poll every 5 s), the board is read again
    # as soon as anything on the floor changed, else shared (services/exam/station_board.kept_station_board)
    board = station_board.kept_station_board(station)
    markup = board_markup(board, current_user.has_role(PHYSICIAN))
    if wants_fragment():  # the screens' 5-s poll: the fragment is the kept markup with this request's token
        return markup
    works_here = None if is_timed_poll() else _works_here(station)
    return render_template("exam/board.html", board=board, board_markup=markup, works_here=works_here)


def _works_here(station):
    """For a physician's full page: whether they work at ``station`` (None for anyone else; one query)."""
    if wants_fragment() or not current_user.has_role(PHYSICIAN):
        return None
    return station_staff.works_at(current_user, station.id)


def _target(outcome):
    if outcome.form == station_scan.RESULTS_FORM:
        return url_for("exam.result_form", appointment_id=outcome.appointment.id, department_code=outcome.station.code)
    return url_for(
        "floor.visit",
        department_code=outcome.station.code,
        appointment_id=outcome.appointment.id,
        container=outcome.container or None,
    )


def _open(url):
    """The client's form, at once: htmx follows HX-Redirect with a full page load, a plain form the 303."""
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def _scan_refused(error, department=None):
    """The scan box again with the reason in it (nothing changed); htmx swaps only 2xx answers."""
    status = 200 if wants_fragment() else error.status
    return render_page(
        "exam/scan.html", "exam/_scan_box.html", status=status, department=department, scan_error=str(error.message)
    )


@bp.post("/stations/<department_code>/scan")
@roles_required(PHYSICIAN)
def scan(department_code):
    station = station_sheets.get_department(department_code)
    try:
        outcome = station_scan.scan_in(actor(), station, request.form.get("code", "")[:SCAN_FIELD_LIMIT])
    except (NotFound, ValidationError) as exc:
        return _scan_refused(exc, station)
    return _open(_target(outcome))


@bp.post("/scan")
@roles_required(PHYSICIAN)
def scan_anywhere():
    """The exam home's box: no station chosen, so the client's place on the floor opens (where they are,
    what is left, a button per station)."""
    try:
        appointment = guidance.find_on_the_floor(request.form.get("code", "")[:SCAN_FIELD_LIMIT])
    except (NotFound, ValidationError) as exc:
        return _scan_refused(exc)
    return _open(url_for("floor.client", appointment_id=appointment.id))


@bp.get("/stations/<department_code>/clients/<int:appointment_id>")
@roles_required(PHYSICIAN)
def visit(department_code, appointment_id):
    """A station without result entry (the blood-draw room, the sample desk): the containers to fill here,
    the scanned one marked, and the done button."""
    station = station_sheets.get_department(department_code)
    page = station_scan.visit_page(station, appointment_id)
    return render_page("exam/visit.html", visit_page=page, scanned=request.args.get("container", "")[:10])


@bp.post("/stations/<department_code>/clients/<int:appointment_id>/done")
@roles_required(PHYSICIAN)
def done(department_code, appointment_id):
    station = station_sheets.get_department(department_code)
    station_scan.finish_visit(actor(), station, appointment_id)
    if wants_fragment():
        board = station_board.station_board(station)
        return render_template(
            "exam/_board.html", board=board, board_rows=board_rows(board, current_user.has_role(PHYSICIAN))
        )
    flash(_("Marked as done at this station."), "success")
    return redirect(url_for("floor.board", department_code=station.code), code=303)


@bp.get("/guidance")
def guidance_screen():
    listing = guidance.kept_floor_guidance(parse_page(request.args.get("page")))
    return render_page(
        "exam/guidance.html",
        "exam/_guidance.html",
        listing=listing,
        station_loads=station_loads(listing.loads),
        guidance_rows=guidance_rows(listing.page.items),
    )


@bp.get("/clients/<int:appointment_id>")
def client(appointment_id):
    """A checked-in client on the floor as the desk or a station sees them: where they are, the station
    suggested next, each station's state."""
    place = guidance.floor_place(appointment_id)
    markup = floor_client_markup(place, may_act_on(place, current_user))
    if wants_fragment():  # the screens' 10-s poll: the fragment is the markup itself
        return markup
    return render_template("exam/floor_client.html", place=place, place_markup=markup)
