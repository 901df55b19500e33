"""Client care's consultations: the list, one consultation's page, scheduling it with a physician, completing
or cancelling it. The client asks at /me/consultations (me/consultations.py); the status and mode labels
every consultation page uses, and the section on a client's record, are provided here."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from checkup.core.errors import Conflict
from checkup.forms.consultations import CancelForm, CompleteForm, ScheduleForm
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.care import consultations
from checkup.web.form_controls import form_field
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, roles_required
from checkup.web.kept_markup import TokenOnlyForm

bp = Blueprint("care_consultations", __name__, url_prefix="/care/consultations")
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


@bp.get("", endpoint="list")
@roles_required(*STAFF)
def consultation_list():
    shown = request.args.get("status", "open")
    shown = shown if shown in STATUS_FILTERS else "open"
    return render_page(
        "consultations/staff_list.html",
        "consultations/_staff_rows.html",
        shown=shown,
        filters=STATUS_FILTERS,
        items=consultations.staff_list(shown),
    )


_BETWEEN = "\n      "  # what the page printed between two fields of a form
# (language, the physicians offered, the one chosen): the fields of a GET's fresh forms as the page printed
# them (staff names and labels only: the same for every consultation with that physician), kept per process
_kept_fields: dict = {}
KEPT_FIELDS = 64


def _printed_fields(schedule_form, complete_form, cancel_form):
    """The three forms' fields as templates/consultations/staff_detail.html printed them (each form's
    fields between its CSRF token and its button)."""
    return (
        Markup(form_field(schedule_form.physician) + _BETWEEN + form_field(schedule_form.scheduled_at)),
        form_field(complete_form.notes),
        form_field(cancel_form.reason),
    )


def _physician_choices(doctors):
    return [("", "—")] + [(str(id_), name) for id_, name in doctors]


def _detail_page(consultation_id, schedule_form=None, complete_form=None, cancel_form=None, status=200):
    consultation = consultations.staff_detail(actor(), consultation_id)
    shows_forms = consultation.status in consultations.OPEN_STATUSES  # the page prints the forms of an open one
    fresh = schedule_form is None and complete_form is None and cancel_form is None
    if fresh and not shows_forms:  # nothing of the forms is printed: none is built
        token_form = None
        return _render_detail(consultation, (token_form,) * 3, ("", "", ""), status)
    doctors = consultations.physician_names()
    choices = _physician_choices(doctors)
    chosen = str(consultation.physician_id or "")
    key = (str(get_locale()), tuple(choices), chosen) if fresh else None
    fields = _kept_fields.get(key) if fresh else None
    if fields is not None:  # nothing left to print but the CSRF tokens: no form built
        return _render_detail(consultation, (TokenOnlyForm(),) * 3, fields, status)
    schedule_form = schedule_form or ScheduleForm(formdata=None, physician=chosen)
    schedule_form.physician.choices = choices
    complete_form = complete_form or CompleteForm(formdata=None)
    cancel_form = cancel_form or CancelForm(formdata=None)
    fields = _printed_fields(schedule_form, complete_form, cancel_form)
    if fresh:
        if len(_kept_fields) >= KEPT_FIELDS:
            _kept_fields.clear()
        _kept_fields[key] = fields
    return _render_detail(consultation, (schedule_form, complete_form, cancel_form), fields, status)


def _render_detail(consultation, forms, fields, status):
    schedule_form, complete_form, cancel_form = forms
    return render_page(
        "consultations/staff_detail.html",
        consultation=consultation,
        schedule_form=schedule_form,
        complete_form=complete_form,
        cancel_form=cancel_form,
        schedule_fields=fields[0],
        complete_fields=fields[1],
        cancel_fields=fields[2],
        status=status,
    )


@bp.get("/<int:consultation_id>")
@roles_required(*STAFF)
def detail(consultation_id):
    return _detail_page(consultation_id)


def _staff_action(consultation_id, form, call, done_message, form_name):
    try:
        outcome = submit(form, lambda: call(form))
    except Conflict as exc:  # the consultation moved on meanwhile: its page as it is now
        flash(str(exc.message), "error")
        return redirect(url_for("care_consultations.detail", consultation_id=consultation_id), code=303)
    if outcome.done:
        flash(done_message, "success")
        return redirect(url_for("care_consultations.detail", consultation_id=consultation_id), code=303)
    return _detail_page(consultation_id, status=422, **{form_name: form})


@bp.post("/<int:consultation_id>/schedule")
@roles_required(*STAFF)
def schedule(consultation_id):
    return _staff_action(
        consultation_id,
        ScheduleForm(),
        lambda f: consultations.schedule(actor(), consultation_id, f.physician.data, f.scheduled_at.data),
        _("Consultation scheduled. The client has been emailed."),
        "schedule_form",
    )


@bp.post("/<int:consultation_id>/complete")
@roles_required(*STAFF)
def complete(consultation_id):
    return _staff_action(
        consultation_id,
        CompleteForm(),
        lambda f: consultations.complete(actor(), consultation_id, f.notes.data),
        _("Consultation completed; the notes are on the client's record."),
        "complete_form",
    )


@bp.post("/<int:consultation_id>/cancel")
@roles_required(*STAFF)
def cancel(consultation_id):
    return _staff_action(
        consultation_id,
        CancelForm(),
        lambda f: consultations.cancel_by_staff(actor(), consultation_id, f.reason.data),
        _("Consultation cancelled."),
        "cancel_form",
    )
