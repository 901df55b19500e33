"""Report PDFs for the people allowed to read them: the client (their own) and staff. Never HR."""
from flask import Blueprint, abort, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import NotFound
from checkup.models.accounts import ADMIN, CLIENT, COUNSELOR, PHYSICIAN
from checkup.services.admin import document_check
from checkup.services.exam import report_pdf, reports
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("reports", __name__)


def _send(report):
    path = report_pdf.file_for(report)
    if not document_check.report_file_ready(report):  # lost or changed on disk: being made again
        body = render_template("errors/error.html", title=_("Your report is being prepared"),
                               message=_("The PDF of this report is being made again. Please try again in a "
                                         "few minutes."))
        return body, 503, {"Retry-After": "60"}
    reports.record_download(actor(), report)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, max_age=0,
                         download_name=f"checkup-report-{report.appointment.exam_code}-v{report.version}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/me/reports")
@roles_required(CLIENT)
def my_reports():
    items = reports.client_reports(current_user.client_id)
    reports.record_view(actor(), "report.list_viewed", None, client=current_user.client_id, count=len(items))
    return render_page("reports/my_reports.html", reports=items)


@bp.get("/me/reports/<int:report_id>.pdf")
@roles_required(CLIENT)
def download(report_id):
    try:
        report = reports.report_for_client(report_id, current_user.client_id)
    except NotFound:
        abort(404)  # another client's report answers exactly like a missing one
    return _send(report)


@bp.get("/exam/review/reports/<int:report_id>.pdf")
@roles_required(PHYSICIAN, COUNSELOR, ADMIN)
def staff_download(report_id):
    try:
        report = reports.report_for_staff(actor(), report_id)
    except NotFound:
        abort(404)
    return _send(report)
