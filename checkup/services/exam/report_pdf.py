"""The report PDF job, its sweeper and the report emails. Jobs take ids; the Report row is the truth.

``render_report_pdf`` moves ``pdf_state`` pending -> rendering -> ready | failed. The file is
``<REPORTS_DIR>/<appointment>/<version>.pdf``, written to a temp file in the same folder and
renamed into place, and its sha256 is stored. Rendering is deterministic, so running the job twice
(or two workers at once) leaves one file with the same checksum. It runs as the "report.render_pdf"
task: an exception marks the report ``failed`` with the reason (shown to staff) and the task is tried
again on schedule, so a full or read-only disk heals by itself once fixed.
"""

import datetime
import logging
import time
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from checkup.core import clock, tasks
from checkup.core.labels import choice_label
from checkup.core.stored_files import sha256_of, write_atomically
from checkup.models import Appointment, Client, Finding, Package, Report, User
from checkup.models.base import db, utcnow
from checkup.models.results import DRAFT, PDF_FAILED, PDF_PENDING, PDF_READY, PDF_RENDERING
from checkup.reports.client_report import ClientReportRenderer
from checkup.reports.fonts import register_fonts
from checkup.services.accounts import accounts
from checkup.services.catalog.packages import age_on
from checkup.services.exam.reports import publish, queue_pdf, snapshot_rows
from checkup.services.exam.results import FLAG_LABELS
from checkup.services.mail import messages

log = logging.getLogger(__name__)
MAX_TRENDS = 24


def reports_dir():
    return Path(current_app.config["REPORTS_DIR"])


def relative_path(report):
    return f"{report.appointment_id}/{report.version}.pdf"


def file_for(report):
    """The absolute path of a report's PDF (whether or not it exists yet)."""
    return reports_dir() / (report.pdf_path or relative_path(report))


# --- the document's data ---------------------------------------------------------------------------


def _flag_label(flag):
    return str(FLAG_LABELS.get(flag, flag)) if flag and flag != "N" else ""


def _localized(row, field, chinese):
    return (row.get(f"{field}_zh") if chinese and row.get(f"{field}_zh") else row.get(f"{field}_en")) or ""


def _level_label(level):
    return {
        "A": _("Level A: contact within 24 hours"),
        "B": _("Level B: see a doctor soon"),
        "C": _("Level C: recheck at your next visit"),
    }.get(level, level or "—")


def _locale_of(client_id):
    account = User.get_or_none(User.client == client_id)
    return accounts.language_of(account), account


def document_data(report, appointment, client, package, signer, findings, chinese=False):
    """Plain data for ``ClientReportRenderer.build`` from the report's frozen snapshot."""
    rows = snapshot_rows(report)
    departments, by_code = [], {}
    for row in sorted(rows, key=lambda r: (r.get("department_order", 0), r.get("department", ""), r["code"])):
        code = row.get("department", "")
        if code not in by_code:
            by_code[code] = {"name": _localized(row, "department", chinese) or code, "rows": []}
            departments.append(by_code[code])
        reference = ""
        if row.get("ref_low") and row.get("ref_high"):
            reference = f"{row['ref_low']}–{row['ref_high']}"
        elif row.get("ref_high"):
            reference = f"≤ {row['ref_high']}"
        elif row.get("ref_low"):
            reference = f"≥ {row['ref_low']}"
        by_code[code]["rows"].append(
            {
                "name": _localized(row, "name", chinese) or row["code"],
                "value": row.get("value", ""),
                "unit": row.get("unit", ""),
                "reference": reference,
                "flag": row.get("flag", ""),
                "flag_label": _flag_label(row.get("flag", "")),
                "skipped": row.get("skipped", False),
                "skip_reason": row.get("skip_reason", ""),
            }
        )
    trends = [
        {
            "name": _localized(row, "name", chinese) or row["code"],
            "unit": row.get("unit", ""),
            "previous": row.get("previous", ""),
            "previous_day": row.get("previous_day", ""),
            "current": row.get("value", ""),
            "arrow": row.get("trend", ""),
        }
        for row in rows
        if row.get("previous") and row.get("value_num") and not row.get("skipped")
    ]
    signed_at = clock.from_utc(report.signed_at)
    return {
        "center": {"name": current_app.config["CENTER_NAME"], "phone": current_app.config.get("CENTER_PHONE", "")},
        "client": {
            "name": client.name,
            "sex": str(choice_label("sex", client.sex)),
            "age": str(age_on(client.birth_date, appointment.day)),
        },
        "exam": {
            "package": (
                package.name_zh if chinese and package and package.name_zh else package.name_en if package else ""
            ),
            "date": appointment.day.isoformat(),
            "code": appointment.exam_code,
        },
        "departments": departments,
        "findings": [{"text": f.text, "level": f.level, "level_label": _level_label(f.level)} for f in findings],
        "summary": report.summary,
        "advice": report.advice,
        "trends": trends[:MAX_TRENDS],
        "signature": {
            "physician": signer.name if signer else "",
            "signed_at": signed_at.strftime("%Y-%m-%d %H:%M") if signed_at else "",
        },
        "verification_code": report.verification_code or "",
        "version": str(report.version),
        "amendment_reason": report.amendment_reason,
    }


def _load(report_id):
    report = Report.get_or_none(Report.id == report_id)
    if report is None:
        return None
    appointment = Appointment.get_by_id(report.appointment_id)
    client = Client.get_by_id(appointment.client_id)
    package = Package.get_or_none(Package.id == appointment.package_id) if appointment.package_id else None
    signer = User.get_or_none(User.id == report.signed_by_id) if report.signed_by_id else None
    findings = list(Finding.select().where(Finding.report == report.id).order_by(Finding.level, Finding.id))
    return report, appointment, client, package, signer, findings


def render_bytes(report_id):
    """The PDF of a signed report version, in the client's language. Raises LookupError if missing."""
    loaded = _load(report_id)
    if loaded is None:
        raise LookupError(f"report {report_id} does not exist")
    report, appointment, client, package, signer, findings = loaded
    locale, _account = _locale_of(client.id)
    with force_locale(locale):
        data = document_data(report, appointment, client, package, signer, findings, chinese=locale == "zh")
        return ClientReportRenderer().build(data)


def warm_up():
    """Load once per process what every render needs: the renderer, the embedded CJK font and the
    translation catalogs. ``flask worker`` calls it before rq forks a work horse per job, so the
    horses inherit them instead of each parsing the 4 MB font again (~0.1-0.25 s, more than a
    render takes)."""
    register_fonts()
    for locale in current_app.config.get("LANGUAGES") or ("en",):
        with force_locale(locale):
            _("Checkup report")
    return ClientReportRenderer


@tasks.handler("report.render_pdf")
def render_report_pdf(report_id):
    """Job: make the PDF of report ``report_id``; returns its path (None for a missing or draft report).

    Idempotent: a ready report whose file still matches its checksum is left alone. Counts each
    attempt in ``pdf_attempts``; on error records "failed" with the message and re-raises so the task
    is retried on schedule. When ready, a signed report becomes published and the client is emailed.
    """
    report = Report.get_or_none(Report.id == report_id)
    if report is None or report.status == DRAFT:
        return None
    target = reports_dir() / relative_path(report)
    if (
        report.pdf_state == PDF_READY
        and report.pdf_checksum
        and target.exists()
        and sha256_of(target) == report.pdf_checksum
    ):
        _publish_and_notify(report.id)
        return str(target)
    Report.update(
        pdf_state=PDF_RENDERING, pdf_attempts=Report.pdf_attempts + 1, pdf_updated_at=utcnow(), pdf_error=""
    ).where(Report.id == report.id).execute()
    try:
        delay = float(current_app.config.get("REPORT_RENDER_DELAY_SECONDS") or 0)
        if delay > 0:  # test-only hook: time to kill the worker mid-render
            time.sleep(delay)
        checksum = write_atomically(target, render_bytes(report.id))
    except Exception as exc:
        Report.update(
            pdf_state=PDF_FAILED, pdf_error=f"{type(exc).__name__}: {exc}"[:500], pdf_updated_at=utcnow()
        ).where(Report.id == report.id).execute()
        raise
    Report.update(
        pdf_state=PDF_READY,
        pdf_path=relative_path(report),
        pdf_checksum=checksum,
        pdf_error="",
        pdf_updated_at=utcnow(),
    ).where(Report.id == report.id).execute()
    _publish_and_notify(report.id)
    return str(target)


def _publish_and_notify(report_id):
    with db.atomic():
        if publish(report_id):
            tasks.defer("mail.report_ready", report_id)


def requeue_stuck_reports(older_than_minutes=10):
    """Owe again the PDF of every signed report that has sat in pending/rendering too long with no
    render task left to run (``flask requeue-reports``: e.g. after restoring an old database). The task
    table retries a failed render by itself. Returns the report ids queued."""
    cutoff = utcnow() - datetime.timedelta(minutes=older_than_minutes)
    stuck = [
        r.id
        for r in Report.select(Report.id)
        .where(
            Report.status != DRAFT,
            Report.pdf_state.in_((PDF_PENDING, PDF_RENDERING)),
            Report.pdf_updated_at.is_null() | (Report.pdf_updated_at <= cutoff),
        )
        .order_by(Report.id)
    ]
    for report_id in stuck:
        (
            Report.update(pdf_state=PDF_PENDING, pdf_updated_at=utcnow())
            .where(Report.id == report_id, Report.pdf_state.in_((PDF_PENDING, PDF_RENDERING)))
            .execute()
        )
        queue_pdf(report_id)
    if stuck:
        log.info("re-queued report PDFs: %s", stuck)
    return stuck


# --- emails --------------------------------------------------------------------------------------


def _send_to_client(report_id, kind, template, subject):
    report = Report.get_or_none(Report.id == report_id)
    if report is None:
        return None
    appointment = Appointment.get_by_id(report.appointment_id)
    client = Client.get_by_id(appointment.client_id)
    locale, account = _locale_of(client.id)
    email = account.email if account else client.email
    if not email:
        return None
    with force_locale(locale):
        text = render_template(
            template,
            client=client,
            appointment=appointment,
            report=report,
            center=current_app.config["CENTER_NAME"],
            link=current_app.config["BASE_URL"].rstrip("/") + "/me/reports",
        )
        return messages.send_owed(
            kind, email, subject(), text, client_id=client.id, user_id=account.id if account else None
        )


@tasks.handler("mail.report_ready")
def send_report_ready(report_id):
    """Task: tell the client their report can be downloaded."""
    return _send_to_client(
        report_id, "report_ready", "email/report_ready.txt", lambda: _("Your checkup report is ready")
    )


@tasks.handler("mail.report_amended")
def send_amendment_notice(report_id):
    """Task: tell the client their report was amended (with the reason)."""
    return _send_to_client(
        report_id, "report_amended", "email/report_amended.txt", lambda: _("Your checkup report was amended")
    )
