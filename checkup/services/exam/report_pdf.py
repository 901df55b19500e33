"""The report PDF job, its sweeper and the report emails. Jobs take ids; the Report row is the truth.

``render_report_pdf`` moves ``pdf_state`` pending -> rendering -> ready | failed. The file is
``<REPORTS_DIR>/<appointment>/<version>.pdf``, written to a temp file in the same folder and
renamed into place, and its sha256 is stored. Rendering is deterministic, so running the job twice
(or two workers at once) leaves one file with the same checksum. It runs as the "report.render_pdf"
task: an exception marks the report ``failed`` with the reason (shown to staff) and the task is tried
again on schedule, so a full or read-only disk heals by itself once fixed.

The report speaks the client's language only (``document_data``): catalog names in it, flags as that
language writes them (↑ 偏高 / ↑ High), the standard result wording translated (未见明显异常 / No
abnormality found.), findings composed from the snapshot rather than the staff's bilingual finding text,
and free text (text results, observations, summary, advice) shown as written, with a discreet
"(original in English)" when it exists only in the other language; of a bilingual text only the lines
in the report's language are kept. The center's name, address and phone come from the configuration
in that language.

One email per version: "ready" for the first, "amended" for an amendment, owed when the version is
published (its PDF is there to download), never both.
"""

import datetime
import logging
import time
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.config import center_identity
from checkup.core import clock, tasks
from checkup.core.labels import choice_label
from checkup.core.stored_files import sha256_of, write_atomically
from checkup.models import Appointment, Client, ExamItem, Finding, Package, Report, User
from checkup.models.base import db, utcnow
from checkup.models.results import DRAFT, PDF_FAILED, PDF_PENDING, PDF_READY, PDF_RENDERING
from checkup.reports.client_report import ClientReportRenderer
from checkup.reports.fonts import register_fonts, text_language
from checkup.services.accounts import accounts
from checkup.services.catalog.packages import age_on
from checkup.services.exam import derived_items
from checkup.services.exam.reports import publish, queue_pdf, snapshot_rows
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


# Flags as the report's language writes them, an arrow and a word (↑ 偏高, ↑ High), never a code.
REPORT_FLAGS = {
    "H": ("↑", _l("High")),
    "L": ("↓", _l("Low")),
    "A": ("", _l("Abnormal")),
    "HH": ("↑", _l("Critical")),
    "LL": ("↓", _l("Critical")),
}
# The standard wording of text and choice results in both languages: a result written in these words
# reads in the report's language, whichever language it was entered in.
STANDARD_WORDING = (
    ("No abnormality found", "未见明显异常"),
    ("No abnormality", "未见异常"),
    ("Normal", "正常"),
    ("Negative", "阴性"),
    ("Positive", "阳性"),
    ("Weakly positive", "弱阳性"),
    ("Trace", "弱阳性"),
    ("Not seen", "未见"),
    ("Colour weakness", "色弱"),
    ("Colour blindness", "色盲"),
    ("HPV16/18 positive", "HPV16/18型阳性"),
    ("Other high-risk type positive", "其他高危型阳性"),
)
_WORDING: dict[str, dict[str, str]] = {}
for _en, _zh in STANDARD_WORDING:
    _WORDING.setdefault(_en.casefold(), {"en": _en, "zh": _zh})
    _WORDING.setdefault(_zh, {"en": _en, "zh": _zh})
# after free text that exists only in the other language: the language it is written in
ORIGINAL_IN = {"en": _l("(original in English)"), "zh": _l("(original in Chinese)")}


def _flag_label(flag):
    arrow, word = REPORT_FLAGS.get(flag, ("", ""))
    return f"{arrow} {word}".strip()


def _parenthesized(text, language):
    return f"（{text}）" if language == "zh" else f"({text})"


def _localized(row, field, chinese):
    return (row.get(f"{field}_zh") if chinese and row.get(f"{field}_zh") else row.get(f"{field}_en")) or ""


def standard_wording(text, language):
    """``text`` in ``language`` when it is standard result wording ("Negative", "未见明显异常"), else None."""
    key = str(text or "").strip().rstrip(".。").strip()
    found = _WORDING.get(key.casefold()) or _WORDING.get(key)
    if found is None:
        return None
    return found[language] + ("." if language == "en" and str(text).strip().endswith(".") else "")


def in_language(text, language, written_in=""):
    """Free text for a report in ``language``: standard wording translated; of a bilingual text only its
    lines in ``language`` (and those in no language: numbers, dashes); text that exists only in the other
    language as written, followed by a discreet "(original in …)". ``written_in`` is the language the
    text was recorded in, if known; otherwise it is read from the script."""
    text = str(text or "").strip()
    if not text:
        return ""
    standard = standard_wording(text, language)
    if standard is not None:
        return standard
    lines = [line for line in text.splitlines()]
    spoken = [text_language(line) for line in lines]
    if not written_in and language in spoken and any(s and s != language for s in spoken):
        return "\n".join(line for line, s in zip(lines, spoken, strict=True) if s in ("", language)).strip()
    original = written_in or text_language(text)
    if original and original != language:
        return f"{text} {ORIGINAL_IN[original]}"  # the mark is in the report's language
    return text


def _reference(row):
    if row.get("ref_low") and row.get("ref_high"):
        return f"{row['ref_low']}–{row['ref_high']}"
    if row.get("ref_high"):
        return f"≤ {row['ref_high']}"
    if row.get("ref_low"):
        return f"≥ {row['ref_low']}"
    return ""


def _shown_value(row, language):
    """A result's value as the report shows it: numbers as they are, words in the report's language."""
    value = row.get("value", "")
    if row.get("value_num"):
        return value
    return in_language(value, language, row.get("language", ""))


def _finding_text(row, language):
    """An abnormal result as a finding line, composed in the report's language from the snapshot row."""
    chinese = language == "zh"
    name = _localized(row, "name", chinese) or row["code"]
    value, unit = _shown_value(row, language), row.get("unit", "")
    value = f"{value}{'' if unit.startswith('%') else ' '}{unit}".strip() if unit else value
    text = f"{name}{'：' if chinese else ': '}{value}"
    flag = _flag_label(row.get("flag", ""))
    if flag:
        text = f"{text} {flag}"
    reference = _reference(row)
    if reference:
        text += (" " if not chinese else "") + _parenthesized(f"{_('Reference range')} {reference}", language)
    return text


def _level_label(level):
    return {
        "A": _("Level A: contact within 24 hours"),
        "B": _("Level B: see a doctor soon"),
        "C": _("Level C: recheck at your next visit"),
    }.get(level, level or "—")


def _locale_of(client_id):
    account = User.get_or_none(User.client == client_id)
    return accounts.language_of(account), account


def _findings(findings, rows, language):
    """The findings in the report's language: a result's from its snapshot row, an observation as written."""
    by_code = {row["code"]: row for row in rows}
    shown = []
    for finding in findings:
        row = by_code.get(finding.item_code) if finding.item_code else None
        text = _finding_text(row, language) if row is not None else in_language(finding.text, language)
        shown.append({"text": text, "level": finding.level, "level_label": _level_label(finding.level)})
    return shown


def _skip_reason(reason, language, names):
    """A skipped row's reason in the report's language: a derived item's reason key ("derived:tg") worded now,
    in the report's locale, its inputs named as the snapshot names them (``names``); anything else (typed
    text, a listed code) as ``in_language`` words it."""
    if derived_items.is_reason_key(reason):
        return derived_items.reason_text(reason, names)
    return in_language(reason, language)


def document_data(report, appointment, client, package, signer, findings, chinese=False):
    """Plain data for ``ClientReportRenderer.build`` from the report's frozen snapshot, worded in one
    language (Chinese with ``chinese``, else English). ``findings`` need ``item_code`` (see ``_load``)."""
    language = "zh" if chinese else "en"
    rows = snapshot_rows(report)
    names = {row["code"]: _localized(row, "name", chinese) or row["code"] for row in rows}
    departments, by_code = [], {}
    for row in sorted(rows, key=lambda r: (r.get("department_order", 0), r.get("department", ""), r["code"])):
        code = row.get("department", "")
        if code not in by_code:
            by_code[code] = {"name": _localized(row, "department", chinese) or code, "rows": []}
            departments.append(by_code[code])
        name = _localized(row, "name", chinese) or row["code"]
        if row.get("computed"):  # a derived item (BMI, eGFR, …): the client reads it was computed, not measured
            name = f"{name}{'' if chinese else ' '}{_parenthesized(_('computed'), language)}"
        by_code[code]["rows"].append(
            {
                "name": name,
                "computed": bool(row.get("computed")),
                "value": _shown_value(row, language),
                "unit": row.get("unit", ""),
                "reference": _reference(row),
                "flag": row.get("flag", ""),
                "flag_label": _flag_label(row.get("flag", "")),
                "skipped": row.get("skipped", False),
                "skip_reason": _skip_reason(row.get("skip_reason", ""), language, names),
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
    amendment = None
    if report.version > 1:  # the client hears when and, if the physician wrote it for them, why
        amendment = {
            "date": signed_at.date().isoformat() if signed_at else "",
            "note": in_language(report.amendment_note, language),
        }
    return {
        "language": language,
        "center": center_identity(current_app.config, language),
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
        "findings": _findings(findings, rows, language),
        "summary": in_language(report.summary, language),
        "advice": in_language(report.advice, language),
        "trends": trends[:MAX_TRENDS],
        "signature": {
            "physician": signer.name if signer else "",
            "signed_at": signed_at.strftime("%Y-%m-%d %H:%M") if signed_at else "",
        },
        "verification_code": report.verification_code or "",
        "version": str(report.version),
        "amendment": amendment,
    }


def _load(report_id):
    report = Report.get_or_none(Report.id == report_id)
    if report is None:
        return None
    appointment = Appointment.get_by_id(report.appointment_id)
    client = Client.get_by_id(appointment.client_id)
    package = Package.get_or_none(Package.id == appointment.package_id) if appointment.package_id else None
    signer = User.get_or_none(User.id == report.signed_by_id) if report.signed_by_id else None
    findings = list(
        Finding.select(Finding, ExamItem.code.alias("item_code"))
        .join(ExamItem, JOIN.LEFT_OUTER)
        .where(Finding.report == report.id)
        .order_by(Finding.level, Finding.id)
        .objects()
    )
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
    """Publish the version and owe its one email: "ready" for the first version, "amended" for a later one
    (an amendment must not also say "ready"). Owed once per version, whoever publishes it."""
    with db.atomic():
        if publish(report_id):
            version = Report.select(Report.version).where(Report.id == report_id).scalar()
            kind = "mail.report_amended" if (version or 1) > 1 else "mail.report_ready"
            tasks.defer(kind, report_id, dedupe_key=f"report-mail:{report_id}")


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
            center=center_identity(current_app.config, locale)["name"],
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
    """Task: tell the client their report was amended (the only email of an amended version; no reason,
    no results: the report itself says what changed, in words written for the client)."""
    return _send_to_client(
        report_id, "report_amended", "email/report_amended.txt", lambda: _("Your checkup report was amended")
    )
