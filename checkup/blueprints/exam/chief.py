"""Station conclusions: the station doctor saves and signs the conclusion of a client's station (the station page
loads it), a chief physician reopens a signed one with a reason (from the review page)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.core.errors import Conflict, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.review import ReopenForm, StationConclusionForm
from checkup.models.accounts import CHIEF, PHYSICIAN
from checkup.services.exam import station_conclusions, station_sheets, station_staff
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("station_conclusions", __name__, url_prefix="/exam/appointments/<int:appointment_id>/stations")
restrict_blueprint(bp, PHYSICIAN, CHIEF)


def _box(view, form, status=200, error=None):
    return render_page(
        "exam/station_conclusion.html",
        "exam/_station_conclusion_box.html",
        view=view,
        form=form,
        error=error,
        status=status,
    )


@bp.route("/<department_code>/conclusion", methods=["GET", "POST"])
def conclusion(appointment_id, department_code):
    department = station_sheets.get_department(department_code)
    view = station_conclusions.station_view_for(actor(), appointment_id, department.id)
    if request.method == "GET":
        text = view.conclusion.text if view.conclusion else view.suggested_text(is_chinese())
        return _box(view, StationConclusionForm(data={"text": text}))
    form = StationConclusionForm()
    signing = request.form.get("action") == "sign"
    outcome = submit(
        form,
        lambda: station_conclusions.save(actor(), appointment_id, department.id, form.text.data, sign=signing),
        refusals=(ValidationError, Conflict, station_staff.NotThisStation),
    )
    if outcome.done:
        flash(_("Station conclusion signed.") if signing else _("Station conclusion saved."), "success")
        return redirect(
            url_for("exam.result_form", appointment_id=appointment_id, department_code=department.code), code=303
        )
    fresh = station_conclusions.station_view(appointment_id, department.id)
    status = (
        outcome.error.status if isinstance(outcome.error, (Conflict, station_staff.NotThisStation)) else outcome.status
    )
    return _box(fresh, form, status=status, error=outcome.form_error)


@bp.post("/<department_code>/conclusion/reopen")
def reopen(appointment_id, department_code):
    department = station_sheets.get_department(department_code)
    form = ReopenForm()  # the service checks the reason (after the role: a station doctor gets a 403)
    target = url_for("review.appointment", appointment_id=appointment_id)
    try:
        station_conclusions.reopen(actor(), appointment_id, department.id, form.reason.data)
    except (ValidationError, Conflict) as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Station conclusion reopened: the station doctor can correct and sign it again."), "success")
    return redirect(target, code=303)
