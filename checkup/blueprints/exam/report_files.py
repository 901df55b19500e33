"""Signed reports' PDFs as downloads: the one way a report file leaves the center (``send_report``, shared with
the client's /me/reports), and the staff's copy at /exam/review/reports/<id>.pdf. Physicians, chief physicians,
client care and admins read reports (each through a care relationship: ``reports.report_for_staff``), so the
staff's download has its own blueprint, wider than the review's. Never HR."""

from flask import Blueprint, abort, render_template, send_file
from flask_babel import gettext as _

from checkup.core.errors import NotFound
from checkup.models.accounts import ADMIN, CHIEF, COUNSELOR, PHYSICIAN
from checkup.services.admin import document_check
from checkup.services.exam import report_pdf, reports
from checkup.web.guards import actor, roles_required

bp = Blueprint("report_files", __name__, url_prefix="/exam/review/reports")


def send_report(report):
    """The report's PDF as an attachment (recorded as downloaded); 503 while a lost file is made again."""
    path = report_pdf.file_for(report)
    if not document_check.report_file_ready(report):  # lost or changed on disk: being made again
        body = render_template(
            "errors/error.html",
            title=_("Your report is being prepared"),
            message=_("The PDF of this report is being made again. Please try again in a few minutes."),
        )
        return body, 503, {"Retry-After": "60"}
    reports.record_download(actor(), report)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        max_age=0,
        download_name=f"checkup-report-{report.appointment.exam_code}-v{report.version}.pdf",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:report_id>.pdf", endpoint="download")
@roles_required(PHYSICIAN, CHIEF, COUNSELOR, ADMIN)
def staff_download(report_id):
    try:
        report = reports.report_for_staff(actor(), report_id)
    except NotFound:
        abort(404)
    return send_report(report)
