"""The client's consultation requests (/me). Client care schedules them (care/consultations.py); physicians
see theirs (exam/consultations.py)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import Conflict, ValidationError
from checkup.forms.consultations import ClientCancelForm, RequestForm
from checkup.models.accounts import CLIENT
from checkup.services.care import consultations
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("consultations", __name__)


def _my_page(form=None, error=None, status=200):
    client_id = current_user.client_id
    reports = consultations.requestable_reports(client_id)
    form = form or RequestForm()
    form.report.choices = [("", "—")] + [
        (str(r.id), f"{r.appointment.day.isoformat()} · {r.appointment.exam_code}") for r in reports
    ]
    return render_page(
        "consultations/my_list.html",
        form=form,
        reports=reports,
        error=error,
        items=consultations.client_list(client_id),
        cancel_form=ClientCancelForm(),
        status=status,
    )


@bp.get("/me/consultations")
@roles_required(CLIENT)
def my_list():
    form = RequestForm(formdata=None)
    report = request.args.get("report", "")[:12]
    if report.isdigit():
        form.report.data = report  # "ask about this report" from the reports list
    return _my_page(form)


@bp.post("/me/consultations")
@roles_required(CLIENT)
def new_request():
    form = RequestForm()
    outcome = submit(
        form,
        lambda: consultations.request_consultation(
            actor(),
            current_user.client_id,
            form.report.data,
            form.mode.data,
            form.preferred_times.data,
            form.question.data,
        ),
        refusals=(ValidationError, Conflict),
    )
    if not outcome.done:
        # a refusal answers its own status (409: this report already has an open consultation)
        return _my_page(form, error=outcome.form_error, status=outcome.error.status if outcome.error else 422)
    flash(_("Your request is with our client care team. We will contact you to arrange a time."), "success")
    return redirect(url_for("consultations.my_list"), code=303)


@bp.post("/me/consultations/<int:consultation_id>/cancel")
@roles_required(CLIENT)
def my_cancel(consultation_id):
    if ClientCancelForm().validate_on_submit():
        try:
            consultations.cancel_by_client(actor(), current_user.client_id, consultation_id)
        except Conflict as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("Consultation cancelled."), "success")
    return redirect(url_for("consultations.my_list"), code=303)
