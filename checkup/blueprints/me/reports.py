"""The client's own report PDFs (staff read theirs at /exam/review/reports: exam/report_files.py). Never HR."""

from flask import Blueprint, abort
from flask_login import current_user

from checkup.blueprints.exam.report_files import send_report
from checkup.core.errors import NotFound
from checkup.models.accounts import CLIENT
from checkup.services.exam import reports
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("reports", __name__)


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
    return send_report(report)
