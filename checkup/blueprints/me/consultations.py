"""Consultations: the client's requests (/me), client care's scheduling (/care), physicians' list (/exam)."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import Conflict, ValidationError
from checkup.forms.consultations import CancelForm, ClientCancelForm, CompleteForm, RequestForm, ScheduleForm
from checkup.models.accounts import ADMIN, CLIENT, COUNSELOR, PHYSICIAN
from checkup.services.care import consultations
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("consultations", __name__)
STAFF = (COUNSELOR, ADMIN)
STATUS_FILTERS = ("open",) + consultations.STATUSES + ("all",)


@bp.app_context_processor
def labels():
    return {"consultation_status": consultations.status_label, "consultation_mode": consultations.mode_label}


@bp.app_template_global()
def consultation_record(client_id):
    """The consultations shown on a client's record, for client care and admins only (None for others)."""
    if not current_user.is_authenticated or not current_user.has_role(*STAFF):
        return None
    return consultations.for_client_record(actor(), client_id)


# --- the client ---------------------------------------------------------------------------------

def _my_page(form=None, error=None, status=200):
    client_id = current_user.client_id
    reports = consultations.requestable_reports(client_id)
    form = form or RequestForm()
    form.report.choices = [("", "—")] + [
        (str(r.id), f"{r.appointment.day.isoformat()} · {r.appointment.exam_code}") for r in reports]
    return render_page("consultations/my_list.html", form=form, reports=reports, error=error,
                       items=consultations.client_list(client_id), cancel_form=ClientCancelForm(), status=status)


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
    outcome = submit(form, lambda: consultations.request_consultation(
        actor(), current_user.client_id, form.report.data, form.mode.data, form.preferred_times.data,
        form.question.data), refusals=(ValidationError, Conflict))
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


# --- client care --------------------------------------------------------------------------------

@bp.get("/care/consultations")
@roles_required(*STAFF)
def staff_list():
    shown = request.args.get("status", "open")
    shown = shown if shown in STATUS_FILTERS else "open"
    return render_page("consultations/staff_list.html", "consultations/_staff_rows.html", shown=shown,
                       filters=STATUS_FILTERS, items=consultations.staff_list(shown))


def _detail_page(consultation_id, schedule_form=None, complete_form=None, cancel_form=None, status=200):
    consultation = consultations.staff_detail(actor(), consultation_id)
    doctors = consultations.physicians()
    schedule_form = schedule_form or ScheduleForm(formdata=None, physician=str(consultation.physician_id or ""))
    schedule_form.physician.choices = [("", "—")] + [(str(d.id), d.name) for d in doctors]
    return render_page("consultations/staff_detail.html", consultation=consultation, schedule_form=schedule_form,
                       complete_form=complete_form or CompleteForm(formdata=None),
                       cancel_form=cancel_form or CancelForm(formdata=None), status=status)


@bp.get("/care/consultations/<int:consultation_id>")
@roles_required(*STAFF)
def staff_detail(consultation_id):
    return _detail_page(consultation_id)


def _staff_action(consultation_id, form, call, done_message, form_name):
    try:
        outcome = submit(form, lambda: call(form))
    except Conflict as exc:  # the consultation moved on meanwhile: its page as it is now
        flash(str(exc.message), "error")
        return redirect(url_for("consultations.staff_detail", consultation_id=consultation_id), code=303)
    if outcome.done:
        flash(done_message, "success")
        return redirect(url_for("consultations.staff_detail", consultation_id=consultation_id), code=303)
    return _detail_page(consultation_id, status=422, **{form_name: form})


@bp.post("/care/consultations/<int:consultation_id>/schedule")
@roles_required(*STAFF)
def schedule(consultation_id):
    return _staff_action(consultation_id, ScheduleForm(), lambda f: consultations.schedule(
        actor(), consultation_id, f.physician.data, f.scheduled_at.data),
        _("Consultation scheduled. The client has been emailed."), "schedule_form")


@bp.post("/care/consultations/<int:consultation_id>/complete")
@roles_required(*STAFF)
def complete(consultation_id):
    return _staff_action(consultation_id, CompleteForm(), lambda f: consultations.complete(
        actor(), consultation_id, f.notes.data), _("Consultation completed; the notes are on the client's record."),
        "complete_form")


@bp.post("/care/consultations/<int:consultation_id>/cancel")
@roles_required(*STAFF)
def staff_cancel(consultation_id):
    return _staff_action(consultation_id, CancelForm(), lambda f: consultations.cancel_by_staff(
        actor(), consultation_id, f.reason.data), _("Consultation cancelled."), "cancel_form")


# --- physicians ---------------------------------------------------------------------------------

@bp.get("/exam/consultations")
@roles_required(PHYSICIAN)
def physician_list():
    items = consultations.physician_list(actor(), current_user.id)
    return render_page("consultations/physician_list.html", items=items)
