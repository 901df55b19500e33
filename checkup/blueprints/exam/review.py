"""The chief physician's review (主检): the queue of checkups ready to sign with the chief physicians' workload, the
review page (summary and advice pre-filled from the advice library), sign-off, PDF progress, amendments."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.exam.review_rows import (
    ready_rows,
    report_text_fields,
    results_table,
    signed_rows,
    stations_rows,
    suggestions_rows,
)
from checkup.core.arguments import parse_page
from checkup.core.errors import Conflict, PermissionDenied, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.review import AmendForm, ReportTextForm, SignForm, observations_text
from checkup.models.accounts import CHIEF
from checkup.services.exam import chief_review, report_review, reports, review_queue
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment

bp = Blueprint("review", __name__, url_prefix="/exam/review")
restrict_blueprint(bp, CHIEF)


@bp.get("", endpoint="index")
def index():
    page = parse_page(request.args.get("page"))
    if wants_fragment():
        ready = review_queue.kept_review_queue(page, chinese=is_chinese())
        return render_page("review/index.html", "review/_ready.html", ready=ready, ready_rows=ready_rows(ready.items))
    # the queue, the signed reports and today's counts kept together until the clinical data changes (one mark)
    home = review_queue.kept_review_home(page, chinese=is_chinese())
    signed = home.signed
    return render_page(
        "review/index.html",
        ready=home.ready,
        ready_rows=ready_rows(home.ready.items),
        workload=review_queue.chief_workload(signed=home.signed_today),
        signed=signed,
        signed_rows=signed_rows(signed),
        window_days=review_queue.REVIEW_WINDOW_DAYS,
    )


def _form_for(data, form_class=ReportTextForm):
    text = report_review.form_text(data, is_chinese())
    return form_class(
        data={"summary": text.summary, "advice": text.advice, "observations": observations_text(text.observations)}
    )


def _form_fields(data):
    """What ``_form_for(data)``'s fields print on the page (review_rows.report_text_fields), without the form."""
    text = report_review.form_text(data, is_chinese())
    return report_text_fields(text.summary, text.advice, observations_text(text.observations))


def _review_page(data, form, status=200, error=None, form_fields=None):
    state = data.page_state()
    return render_page(
        "review/appointment.html",
        data=data,
        state=state,
        appointment=data.appointment,
        stations_rows=stations_rows(state.stations, data.appointment.id, state.signed),
        results_table=results_table(data.rows),
        suggestions_rows=suggestions_rows(data.suggestions) if data.suggestions and not state.signed else "",
        form=form,
        form_fields=form_fields,
        report=data.current,
        error=error,
        may_sign_own=chief_review.may_sign_own_stations(),
        status=status,
    )


@bp.get("/<int:appointment_id>")
def appointment(appointment_id):
    data = report_review.review_for(actor(), appointment_id, page=True)
    reports.record_view(actor(), "results.viewed", data.appointment, screen="review")
    # the form's fields printed without a form (nothing to validate on GET); a signed report shows none
    return _review_page(data, None, form_fields=None if data.signed else _form_fields(data))


@bp.post("/<int:appointment_id>/draft")
def save_draft(appointment_id):
    form = ReportTextForm()
    if form.validate_on_submit():
        try:
            chief_review.save_draft(actor(), appointment_id, form.summary.data, form.advice.data)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(_("Draft saved."), "success")
        return redirect(url_for("review.appointment", appointment_id=appointment_id), code=303)
    return _review_page(report_review.review_for(actor(), appointment_id), form, status=422)


@bp.post("/<int:appointment_id>/sign")
def sign(appointment_id):
    form = SignForm()
    outcome = submit(
        form,
        lambda: chief_review.sign(
            actor(), appointment_id, form.summary.data, form.advice.data, observations=form.observation_list()
        ),
        refusals=(ValidationError, Conflict, PermissionDenied),
    )
    if outcome.done:
        flash(_("Report signed. The PDF is being prepared."), "success")
        return redirect(url_for("review.appointment", appointment_id=appointment_id), code=303)
    # field errors answer 422; a refusal of the report as a whole (already signed, …) 409
    return _review_page(
        report_review.review_for(actor(), appointment_id),
        form,
        status=422 if form.errors else 409,
        error=outcome.form_error,
    )


@bp.get("/reports/<int:report_id>/status")
def pdf_status(report_id):
    report = reports.pdf_status(report_id)
    return render_page("review/pdf_status.html", "review/_pdf_status.html", report=report)


@bp.post("/reports/<int:report_id>/retry")
def retry_pdf(report_id):
    report = reports.retry_pdf(actor(), report_id)
    return render_page("review/pdf_status.html", "review/_pdf_status.html", report=reports.pdf_status(report.id))


def _amend_changes(data):
    """The results whose value or abnormal mark the physician changed on the amend form."""
    changes = []
    for row in data.rows:
        result = row.result
        if result is None or not row.done or row.computed:  # a computed item follows its inputs
            continue
        key = f"value-{result.id}"
        if key not in request.form:
            continue
        value = request.form.get(key, "").strip()[:500]
        abnormal = bool(request.form.get(f"abnormal-{result.id}"))
        if value != row.value or (row.item.result_type != "numeric" and abnormal != (result.flag == "A")):
            changes.append({"result_id": result.id, "value": value, "abnormal": abnormal})
    return changes


@bp.route("/reports/<int:report_id>/amend", methods=["GET", "POST"])
def amend(report_id):
    report = reports.pdf_status(report_id)
    data = report_review.review_for(actor(), report.appointment_id)
    if request.method == "GET":
        reports.record_view(actor(), "results.viewed", data.appointment, screen="amend", report=report.id)
        form = _form_for(data, AmendForm)
        return render_page(
            "review/amend.html",
            data=data,
            report=report,
            form=form,
            error=None,
            values={},
            status=200 if report.status in report_review.CURRENT_SIGNED else 409,
        )
    form = AmendForm()
    values = {key: request.form.get(key, "") for key in request.form if key.startswith("value-")}
    outcome = submit(
        form,
        lambda: chief_review.amend(
            actor(),
            report_id,
            form.reason.data,
            form.summary.data,
            form.advice.data,
            changes=_amend_changes(data),
            observations=form.observation_list(),
            client_note=form.client_note.data,
        ),
        refusals=(ValidationError, Conflict),
    )
    if outcome.done:
        flash(
            _("Amendment signed as version %(version)s. The client will be told.", version=outcome.result.version),
            "success",
        )
        return redirect(url_for("review.appointment", appointment_id=report.appointment_id), code=303)
    return render_page(
        "review/amend.html", data=data, report=report, form=form, error=outcome.form_error, values=values, status=422
    )
