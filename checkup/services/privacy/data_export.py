"""A copy of everything held about a client (PIPL art. 45): a ZIP made by the worker, downloadable by the
client for EXPORT_DAYS, then deleted.

Asking owes the task "data_export.build" in the same transaction as the request and its ``DataExport``
row. The task claims the row (pending -> building; ``updated_at`` is the claim token), writes
``record.json`` (the client row, account, consents, appointments with their items, results, reports
and findings, follow-ups, referrals, consultations, surveys, messages, company enrollments, data
requests and the staff accesses to the record) and every report PDF into a temporary file beside the
target, renames it into place (``<EXPORTS_DIR>/<client>/<export>.zip``) and marks the row ready with
its sha256 and expiry, and the request done. An error marks it failed and is raised, so the task is
tried again on schedule. The download is the client's own only and is audited; a periodic task deletes
files past their expiry.
"""

import datetime
import json
import re
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import audit, clock, national_id, stored_files, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    Consent,
    Consultation,
    ContactAttempt,
    ContractCategory,
    DataExport,
    DataRequest,
    Enrollment,
    ExamItem,
    Finding,
    FollowUp,
    GroupContract,
    Message,
    Organization,
    Package,
    Referral,
    Report,
    Result,
    Slot,
    Survey,
    User,
    UserRole,
    WaitlistEntry,
)
from checkup.models.base import db, utcnow
from checkup.models.data_requests import BUILDING, DONE, EXPIRED, EXPORT, FAILED, OPEN, PENDING, READY
from checkup.models.results import DRAFT, PDF_READY
from checkup.services.access import access_log
from checkup.services.admin import document_check  # it re-renders through report_pdf, as this module reads it
from checkup.services.exam import report_pdf
from checkup.services.privacy import deadlines

BUSY_STATES = (PENDING, BUILDING)
EXPORT_DAYS = 7  # a ready copy can be downloaded this long, then it is deleted
STALE_MINUTES = 30  # a claim this old belongs to a worker that died
WAIT_FOR_PDF_ATTEMPTS = 3  # a report PDF being made again is waited for this many attempts, then left out
FORMAT_VERSION = 1
STATE_LABELS = {
    PENDING: _l("Queued…"),
    BUILDING: _l("Being prepared…"),
    READY: _l("Ready"),
    FAILED: _l("Not ready yet: we will try again"),
    EXPIRED: _l("Deleted"),
}
_FILE_NAME = re.compile(r"^(\d+\.zip|\.\d+\.zip\..+\.tmp)$")


def exports_dir():
    return Path(current_app.config["EXPORTS_DIR"])


def file_for(export):
    return exports_dir() / export.path if export.path else None


def download_name(export):
    made = clock.from_utc(export.ready_at or export.created_at)
    return f"my-checkup-data-{made:%Y%m%d}.zip"


# --- asking and reading ----------------------------------------------------------------------------


def _latest_query(client_id):
    return DataExport.select().where(DataExport.client == client_id).order_by(DataExport.id.desc()).limit(1)


# the privacy page reads it on every visit: built once, prepared on PostgreSQL
_LATEST = PreparedSelect(_latest_query, "checkup_data_export_latest", samples=(-2_000_000_001,))


def latest(client_id):
    """The client's latest export, or None."""
    found = _LATEST.rows(client_id) if valid_id(client_id) else []
    return found[0] if found else None


def export_for_client(export_id, client_id):
    """The client's own export; NotFound for another's or a missing one (the same answer)."""
    export = (
        DataExport.get_or_none(DataExport.id == export_id, DataExport.client == client_id)
        if valid_id(export_id) and client_id
        else None
    )
    if export is None:
        raise NotFound(_l("We could not find that copy of your data."))
    return export


def request_export(actor, client_id):
    """Owe a copy of the client's data: the export request (due like any other), its row and the task,
    in one transaction. An export still being made is returned instead of a second one; a failed one is
    tried again now. Raises NotFound for a client whose data was deleted."""
    client = Client.get_or_none(Client.id == client_id) if valid_id(client_id) else None
    if client is None or client.anonymized_at is not None:
        raise NotFound(_l("No client record is linked to this account."))
    with db.atomic():
        current = latest(client.id)
        if current is not None and current.state in BUSY_STATES:
            return current
        if current is not None and current.state == FAILED:
            (
                DataExport.update(state=PENDING, error="", updated_at=utcnow())
                .where(DataExport.id == current.id, DataExport.state == FAILED)
                .execute()
            )
            tasks.defer("data_export.build", current.id, caused_by=actor.user_id)
            return DataExport.get_by_id(current.id)
        request = DataRequest.create(
            client=client.id, kind=EXPORT, requested_by=actor.user_id, due_on=deadlines.due_date(clock.today())
        )
        export = DataExport.create(request=request.id, client=client.id, state=PENDING, updated_at=utcnow())
        audit.record(actor, "data_request.export_requested", request, client=client.id)
        tasks.defer("data_export.build", export.id, caused_by=actor.user_id)
    return DataExport.get_by_id(export.id)


def is_available(export, now=None):
    return export.state == READY and export.expires_at is not None and export.expires_at > (now or utcnow())


def _file_ok(export):
    return stored_files.is_intact(file_for(export), export.checksum)


def download(actor, export_id, client_id):
    """(path, download name) of the client's own ready export, before its expiry and intact; audited.
    NotFound for anything else."""
    export = export_for_client(export_id, client_id)
    if not is_available(export) or not _file_ok(export):
        raise NotFound(_l("This copy of your data is no longer available. You can ask for a new one."))
    audit.record(actor, "data_request.export_downloaded", export, client=client_id, size=export.size_bytes)
    return file_for(export), download_name(export)


# --- what the copy holds ---------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds") + "Z"  # stored in UTC
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _row(model_row, *names):
    return {name: getattr(model_row, name) for name in names}


def record_data(client_id):
    """Everything held about the client, as plain data (the ``record.json`` of the ZIP), and the report
    rows whose PDFs go with it. A fixed number of queries, whatever the history."""
    client = Client.get_by_id(client_id)
    account = User.get_or_none(User.client == client_id)
    appointments = list(
        Appointment.select(Appointment, Slot, Package)
        .join(Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .where(Appointment.client == client_id)
        .order_by(Appointment.day, Appointment.id)
    )
    appointment_ids = [a.id for a in appointments] or [0]
    items, results, reports, findings = {}, {}, {}, {}
    for row in (
        AppointmentItem.select(AppointmentItem, ExamItem)
        .join(ExamItem)
        .where(AppointmentItem.appointment.in_(appointment_ids))
        .order_by(AppointmentItem.id)
    ):
        items.setdefault(row.appointment_id, []).append(
            {
                "code": row.item.code,
                "name_en": row.item.name_en,
                "name_zh": row.item.name_zh,
                "price": row.price,
                "payer": row.payer,
                "add_on": row.is_addon,
            }
        )
    for row in (
        Result.select(Result, ExamItem)
        .join(ExamItem)
        .where(Result.appointment.in_(appointment_ids))
        .order_by(Result.id)
    ):
        results.setdefault(row.appointment_id, []).append(
            {
                "code": row.item.code,
                "name_en": row.item.name_en,
                "name_zh": row.item.name_zh,
                "value": row.value_text,
                "unit": row.unit,
                "flag": row.flag,
                "reference_low": row.ref_low,
                "reference_high": row.ref_high,
                "skipped": row.skipped,
                "skip_reason": row.skip_reason,
                "entered_at": row.entered_at,
            }
        )
    signed = list(
        Report.select()
        .where(Report.appointment.in_(appointment_ids), Report.status != DRAFT)
        .order_by(Report.appointment, Report.version)
    )
    for row in Finding.select().where(Finding.report.in_([r.id for r in signed] or [0])).order_by(Finding.id):
        findings.setdefault(row.report_id, []).append({"text": row.text, "follow_up_level": row.level})
    for report in signed:
        reports.setdefault(report.appointment_id, []).append(report)
    by_id = {a.id: a for a in appointments}

    def report_entry(report):
        appointment = by_id[report.appointment_id]
        return {
            "version": report.version,
            "status": report.status,
            "signed_at": report.signed_at,
            "summary": report.summary,
            "advice": report.advice,
            "amendment_reason": report.amendment_reason,
            "verification_code": report.verification_code,
            "findings": findings.get(report.id, []),
            "pdf_file": pdf_name(report, appointment) if report.pdf_state == PDF_READY else None,
        }

    follow_ups = list(FollowUp.select().where(FollowUp.client == client_id).order_by(FollowUp.id))
    attempts = {}
    for row in (
        ContactAttempt.select()
        .where(ContactAttempt.follow_up.in_([f.id for f in follow_ups] or [0]))
        .order_by(ContactAttempt.at)
    ):
        attempts.setdefault(row.follow_up_id, []).append(_row(row, "at", "channel", "outcome", "notes"))
    enrollments = (
        Enrollment.select(Enrollment, GroupContract, Organization, ContractCategory)
        .join(GroupContract)
        .join(Organization)
        .join_from(Enrollment, ContractCategory)
        .where(Enrollment.client == client_id)
        .order_by(Enrollment.id)
    )
    data = {
        "about": {
            "format_version": FORMAT_VERSION,
            "made_at": utcnow(),
            "center": current_app.config["CENTER_NAME"],
            "times": "UTC",
            "national_id": "shown masked; the center keeps it encrypted",
        },
        "client": {
            **_row(
                client,
                "id",
                "name",
                "sex",
                "birth_date",
                "phone",
                "email",
                "address",
                "occupation",
                "notes",
                "employee_no",
                "department",
                "value_tier",
                "created_at",
            ),
            "tags": client.tag_list,
            "organization_id": client.organization_id,
            "national_id_masked": national_id.masked_from_cipher(client.national_id_cipher),
        },
        "account": None
        if account is None
        else {
            **_row(account, "id", "email", "name", "phone", "locale", "is_active", "created_at", "last_login_at"),
            "roles": sorted(r.role for r in UserRole.select(UserRole.role).where(UserRole.user == account.id)),
        },
        "consents": [
            _row(c, "purpose", "granted", "at", "source")
            for c in Consent.select().where(Consent.client == client_id).order_by(Consent.id)
        ],
        "appointments": [
            {
                **_row(
                    a,
                    "exam_code",
                    "day",
                    "status",
                    "source",
                    "total_price",
                    "company_amount",
                    "self_amount",
                    "created_at",
                    "cancelled_at",
                    "cancel_reason",
                ),
                "time": f"{a.slot.start_time:%H:%M}–{a.slot.end_time:%H:%M}",
                "package": None
                if a.package is None
                else {"code": a.package.code, "name_en": a.package.name_en, "name_zh": a.package.name_zh},
                "items": items.get(a.id, []),
                "results": results.get(a.id, []),
                "reports": [report_entry(r) for r in reports.get(a.id, [])],
            }
            for a in appointments
        ],
        "follow_ups": [
            {
                **_row(
                    f,
                    "level",
                    "kind",
                    "status",
                    "summary",
                    "due_at",
                    "created_at",
                    "closed_at",
                    "outcome_code",
                    "outcome",
                ),
                "contacts": attempts.get(f.id, []),
            }
            for f in follow_ups
        ],
        "referrals": [
            _row(
                r,
                "target_kind",
                "hospital",
                "hospital_department",
                "reason",
                "status",
                "outcome",
                "proposed_at",
                "scheduled_for",
                "completed_at",
                "declined_at",
            )
            for r in Referral.select().where(Referral.client == client_id).order_by(Referral.id)
        ],
        "consultations": [
            _row(c, "mode", "preferred_times", "question", "status", "scheduled_at", "notes", "created_at")
            for c in Consultation.select().where(Consultation.client == client_id).order_by(Consultation.id)
        ],
        "surveys": [
            _row(
                s,
                "sent_at",
                "answered_at",
                "overall",
                "booking",
                "front_desk",
                "stations",
                "report_clarity",
                "staff_attitude",
                "comment",
            )
            for s in Survey.select().where(Survey.client == client_id).order_by(Survey.id)
        ],
        "messages": [
            _row(m, "kind", "subject", "email", "status", "created_at", "sent_at")
            for m in Message.select(
                Message.kind, Message.subject, Message.email, Message.status, Message.created_at, Message.sent_at
            )
            .where(Message.client == client_id)
            .order_by(Message.id)
        ],
        "company_checkups": [
            {
                "organization": e.contract.organization.name,
                "contract": e.contract.name,
                "year": e.contract.year,
                "category": e.category.label,
                "employee_no": e.employee_no,
                "department": e.department,
                "invited_at": e.invited_at,
            }
            for e in enrollments
        ],
        "waitlist": [
            _row(w, "day", "status", "created_at")
            for w in WaitlistEntry.select().where(WaitlistEntry.client == client_id).order_by(WaitlistEntry.id)
        ],
        "data_requests": [
            _row(r, "kind", "status", "field", "details", "created_at", "due_on", "handled_at", "note")
            for r in DataRequest.select().where(DataRequest.client == client_id).order_by(DataRequest.id)
        ],
        "record_accesses": [
            {"at": a.at, "by": {"roles": list(a.roles), "account_id": a.user_id}, "purpose": str(a.purpose)}
            for a in access_log.all_staff_accesses(client_id)
        ],
    }
    pdfs = [(report, by_id[report.appointment_id]) for report in signed if report.pdf_state == PDF_READY]
    return data, pdfs


def pdf_name(report, appointment):
    return f"reports/{appointment.day.isoformat()}-{appointment.exam_code}-v{report.version}.pdf"


# --- the task ------------------------------------------------------------------------------------


def _claim(export_id):
    """pending/failed (or a building row left by a dead worker) -> building; the claim token, or None."""
    now = utcnow()
    stale = now - datetime.timedelta(minutes=STALE_MINUTES)
    claimable = DataExport.state.in_((PENDING, FAILED)) | (
        (DataExport.state == BUILDING) & (DataExport.updated_at.is_null() | (DataExport.updated_at <= stale))
    )
    claimed = (
        DataExport.update(state=BUILDING, progress=0, error="", updated_at=now)
        .where(DataExport.id == export_id, claimable)
        .execute()
    )
    return now if claimed else None


def _missing_pdfs(pdfs):
    """The ids of the report PDFs not on disk as recorded (document_check owes their render again)."""
    return {report.id for report, _appointment in pdfs if not document_check.report_file_ready(report)}


@tasks.handler("data_export.build", lease_minutes=STALE_MINUTES)
def build(export_id):
    """Task: make the ZIP of export ``export_id``; returns its path, or None (missing, already made, or
    another worker holds it). A report PDF being made again is waited for (RetryLater) for a few
    attempts, then left out. Raises what writing raised (the row says "failed")."""
    export = DataExport.get_or_none(DataExport.id == export_id)
    if export is None or export.state in (READY, EXPIRED):
        return None
    client = Client.get_or_none(Client.id == export.client_id)
    if client is None or client.anonymized_at is not None:
        DataExport.update(state=EXPIRED, updated_at=utcnow()).where(DataExport.id == export.id).execute()
        return None
    token = _claim(export.id)
    if token is None:
        return None
    mine = (DataExport.id == export.id) & (DataExport.state == BUILDING) & (DataExport.updated_at == token)
    try:
        data, pdfs = record_data(export.client_id)
        missing = _missing_pdfs(pdfs)
        task = tasks.current()
        if missing and task is not None and task.attempts < WAIT_FOR_PDF_ATTEMPTS:
            raise tasks.RetryLater(f"report PDFs being made again: {sorted(missing)}")
        present = [(r, a) for r, a in pdfs if r.id not in missing]
        _leave_out(data, {pdf_name(r, a) for r, a in pdfs if r.id in missing})
        DataExport.update(progress=10).where(mine).execute()
        relative = f"{export.client_id}/{export.id}.zip"
        checksum, size = _write_zip(
            exports_dir() / relative,
            data,
            present,
            lambda done: DataExport.update(progress=10 + 90 * done // max(len(present), 1)).where(mine).execute(),
        )
    except Exception as exc:
        DataExport.update(state=FAILED, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=utcnow()).where(
            mine
        ).execute()
        raise
    now = utcnow()
    with db.atomic():
        done = (
            DataExport.update(
                state=READY,
                progress=100,
                path=relative,
                checksum=checksum,
                size_bytes=size,
                ready_at=now,
                expires_at=now + datetime.timedelta(days=EXPORT_DAYS),
                updated_at=now,
            )
            .where(mine)
            .execute()
        )
        if done:
            (
                DataRequest.update(status=DONE, handled_at=now)
                .where(DataRequest.id == export.request_id, DataRequest.status == OPEN)
                .execute()
            )
            audit.record(
                audit.SYSTEM,
                "data_request.export_ready",
                export,
                client=export.client_id,
                reports=len(present),
                size=size,
            )
    if not done:  # the row moved meanwhile (the client's data was deleted): no copy may stay behind
        _delete_file(DataExport(path=relative))
        return None
    return str(exports_dir() / relative)


def _leave_out(data, names):
    """The record no longer names PDFs that are not in the ZIP."""
    for appointment in data["appointments"]:
        for entry in appointment["reports"]:
            if entry["pdf_file"] in names:
                entry["pdf_file"] = None


def _write_zip(target, data, pdfs, progress):
    """Write the ZIP atomically (a reader sees no file or the whole one); returns (sha256, size)."""

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("record.json", json.dumps(data, ensure_ascii=False, indent=2, default=_plain))
            for done, (report, appointment) in enumerate(pdfs, start=1):
                # PDFs are compressed already
                archive.write(
                    report_pdf.file_for(report), pdf_name(report, appointment), compress_type=zipfile.ZIP_STORED
                )
                progress(done)

    stored_files.write_file_atomically(target, write)
    return stored_files.sha256_of(target), target.stat().st_size


# --- deleting ------------------------------------------------------------------------------------


def _delete_file(export):
    path = file_for(export)
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def discard_for_client(client_id):
    """Delete every copy made for the client (their data is being deleted). Returns how many."""
    discarded = 0
    for export in DataExport.select().where(DataExport.client == client_id, DataExport.state != EXPIRED):
        _delete_file(export)
        discarded += (
            DataExport.update(state=EXPIRED, path="", checksum="", updated_at=utcnow())
            .where(DataExport.id == export.id)
            .execute()
        )
    return discarded


@tasks.handler("data_export.purge_expired")
def purge_expired(now=None):
    """Periodic task: delete the files of copies past their expiry, and any file in the exports folder
    older than that (left by a worker killed mid-write). Returns how many copies expired."""
    now = now or utcnow()
    expired = 0
    for export in DataExport.select().where(DataExport.state == READY, DataExport.expires_at <= now):
        _delete_file(export)
        changed = (
            DataExport.update(state=EXPIRED, path="", checksum="", updated_at=now)
            .where(DataExport.id == export.id, DataExport.state == READY)
            .execute()
        )
        if changed:
            expired += 1
            audit.record(audit.SYSTEM, "data_request.export_deleted", export, client=export.client_id)
    _sweep_leftovers(now)
    return expired


def _sweep_leftovers(now):
    """Only our own names (``<client>/<export>.zip`` and their temporary files) are ever touched."""
    folder = exports_dir()
    if not folder.is_dir():
        return
    ahead = (now - utcnow()).total_seconds()  # a test passes a later ``now``
    oldest = time.time() + ahead - (EXPORT_DAYS + 1) * 24 * 3600
    for client_folder in folder.iterdir():
        if not (client_folder.is_dir() and client_folder.name.isdigit()):
            continue
        for path in client_folder.iterdir():
            try:
                if _FILE_NAME.match(path.name) and path.is_file() and path.stat().st_mtime < oldest:
                    path.unlink()
            except FileNotFoundError:
                pass
