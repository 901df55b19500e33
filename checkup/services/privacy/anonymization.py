"""Deleting a client's personal data (PIPL art. 47) and keeping records no longer than the law asks.

``anonymize_client`` blanks what identifies the person (name, phone, email, address, national ID,
occupation, notes, employee number and department, tags; the birth date keeps its year for the age on
the kept reports), deactivates their account and frees its email, ends its sessions, withdraws every
consent, takes them off waitlists, forgets their addresses in the message log and deletes the copies
of their data. What the law requires stays, linked to the anonymized record: appointments, results and
reports within ``RECORD_RETENTION_YEARS`` (older ones are purged with it). Everything is one
transaction and audited.

The daily task "retention.run" anonymizes client accounts without an exam, a booking or a sign-in for
``INACTIVE_ACCOUNT_YEARS``, and purges the results, findings and report files (PDF and frozen
snapshot) of checkups older than ``RECORD_RETENTION_YEARS``. The report row stays as the trace that
there was one.
"""

import datetime
import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import SQL, fn

from checkup.core import audit, clock, tasks
from checkup.core.errors import Conflict, NotFound
from checkup.models import (
    Appointment,
    Client,
    Consultation,
    Enrollment,
    Finding,
    Message,
    PasswordResetToken,
    Report,
    Result,
    User,
    UserRole,
    WaitlistEntry,
)
from checkup.models.accounts import CLIENT
from checkup.models.appointments import LIVE_STATUSES
from checkup.models.base import db, utcnow
from checkup.models.care import CONSENT_PURPOSES
from checkup.models.results import PDF_NONE
from checkup.services.accounts import consents, sessions
from checkup.services.booking import waitlist
from checkup.services.exam import report_pdf
from checkup.services.privacy import data_export  # the copies of the data go with it

log = logging.getLogger(__name__)

DELETED_NAME = "Deleted client #{id}"  # stored data, not interface text: the same in every language
DELETED_EMAIL_DOMAIN = "deleted.invalid"  # RFC 2606: never a real mailbox
UNUSABLE_PASSWORD = "!"  # no argon2 hash: never verifies
CONSENT_SOURCE = "data_deletion"
BLANKED_FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "occupation",
    "notes",
    "employee_no",
    "department",
    "tags",
    "national_id",
    "birth_date (year kept)",
)
RETENTION_BATCH = 200


def retention_years():
    return max(1, int(current_app.config.get("RECORD_RETENTION_YEARS") or 30))


def inactive_years():
    return max(1, int(current_app.config.get("INACTIVE_ACCOUNT_YEARS") or 3))


def years_before(day, years):
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def retention_cutoff(today=None):
    """Checkups before this day are past the retention period."""
    return years_before(today or clock.today(), retention_years())


# --- one client ----------------------------------------------------------------------------------


def anonymize_client(actor, client_id, reason):
    """Delete the client's personal data and keep what the law requires (see the module). ``reason``:
    "request" (their deletion request) or "inactive" (the retention task). Idempotent: an anonymized
    client is returned as it is. Raises NotFound for an unknown client, Conflict while a checkup is
    booked (cancelling it frees the place for others, so staff do it first)."""
    with db.atomic():
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise NotFound(_l("No such client."))
        if client.anonymized_at is not None:
            return client
        live = (
            Appointment.select(Appointment.day)
            .where(Appointment.client == client.id, Appointment.status.in_(LIVE_STATUSES))
            .order_by(Appointment.day)
            .first()
        )
        if live is not None:
            raise Conflict(
                _l(
                    "The client has a checkup booked on %(day)s. Cancel it first (the place goes to "
                    "someone else), then delete the data.",
                    day=live.day.isoformat(),
                )
            )
        for entry in WaitlistEntry.select(WaitlistEntry.id).where(
            WaitlistEntry.client == client.id, WaitlistEntry.status.in_((waitlist.WAITING, waitlist.OFFERED))
        ):
            waitlist.leave(actor, entry.id, client.id)
        withdrawn = consents.record_changes(actor, client.id, {p: False for p in CONSENT_PURPOSES}, CONSENT_SOURCE)
        name = DELETED_NAME.format(id=client.id)
        Client.update(
            name=name,
            phone="",
            email="",
            address="",
            occupation="",
            notes="",
            employee_no="",
            department="",
            tags="",
            national_id_hash=None,
            national_id_cipher=None,
            roster_id_hash=None,
            birth_date=datetime.date(client.birth_date.year, 1, 1),
            anonymized_at=utcnow(),
        ).where(Client.id == client.id).execute()
        account_ids = [u.id for u in User.select(User.id).where(User.client == client.id)]
        for account_id in account_ids:
            User.update(
                email=f"deleted-{account_id}@{DELETED_EMAIL_DOMAIN}",
                name=name,
                phone="",
                password_hash=UNUSABLE_PASSWORD,
                is_active=False,
            ).where(User.id == account_id).execute()
            sessions.end_all_sessions(account_id)
            PasswordResetToken.delete().where(PasswordResetToken.user == account_id).execute()
        for enrollment in Enrollment.select(Enrollment.id).where(Enrollment.client == client.id):
            # the roster keeps the row (the company's billing), not who it was
            Enrollment.update(
                employee_no=f"deleted-{enrollment.id}", department="", invite_token_hash=None, invite_expires_at=None
            ).where(Enrollment.id == enrollment.id).execute()
        Message.update(email="", body="").where(Message.client == client.id).execute()
        Consultation.update(preferred_times="").where(Consultation.client == client.id).execute()
        exports = data_export.discard_for_client(client.id)
        purged = purge_old_records(actor, client_id=client.id)
        audit.record(
            actor,
            "client.anonymized",
            client,
            reason=reason,
            fields=list(BLANKED_FIELDS),
            accounts=account_ids,
            consents_withdrawn=withdrawn,
            exports_deleted=exports,
            reports_purged=purged,
        )
    return Client.get_by_id(client.id)


# --- retention -------------------------------------------------------------------------------------


def purge_old_records(actor, client_id=None, today=None):
    """Delete the results, findings and report files (PDF, frozen snapshot, summary and advice) of
    checkups before the retention cutoff (of one client, or everyone's); each purged checkup is audited.
    Idempotent. Returns how many reports were purged."""
    cutoff = retention_cutoff(today)
    old = Appointment.select(Appointment.id).where(Appointment.day < cutoff)
    if client_id is not None:
        old = old.where(Appointment.client == client_id)
    purged = 0
    while True:
        batch = list(
            Report.select()
            .where(
                Report.appointment.in_(old),
                (Report.pdf_state != PDF_NONE)
                | (Report.pdf_path != "")
                | (Report.results_snapshot != "")
                | (Report.summary != "")
                | (Report.advice != ""),
            )
            .order_by(Report.id)
            .limit(RETENTION_BATCH)
        )
        if not batch:
            break
        for report in batch:
            with db.atomic():
                _purge_report(actor, report)
            purged += 1
    with db.atomic():
        Result.delete().where(Result.appointment.in_(old)).execute()
    return purged


def _purge_report(actor, report):
    path = report_pdf.file_for(report) if report.pdf_path else None
    Finding.delete().where(Finding.report == report.id).execute()
    Report.update(
        pdf_state=PDF_NONE,
        pdf_path="",
        pdf_checksum="",
        pdf_error="",
        results_snapshot="",
        summary="",
        advice="",
        pdf_updated_at=utcnow(),
    ).where(Report.id == report.id).execute()
    audit.record(
        actor,
        "retention.report_purged",
        report,
        appointment=report.appointment_id,
        version=report.version,
        years=retention_years(),
    )
    if path is not None:  # after the rows: a failed commit leaves a file the row no longer names, never the reverse
        db.after_commit(lambda: _unlink(path))


def _unlink(path):
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def inactive_client_ids(today=None):
    """Client accounts with no exam, booking or sign-in for INACTIVE_ACCOUNT_YEARS, not yet anonymized,
    with nothing booked or waited for (an account that also works here, as staff or HR, is left alone)."""
    since = years_before(today or clock.today(), inactive_years())
    since_moment = datetime.datetime.combine(since, datetime.time())
    # anti-joins (NOT EXISTS), never NOT IN: correlated on the client or account, each one index probe
    recent_checkups = Appointment.select(SQL("1")).where(
        Appointment.client == Client.id, (Appointment.day >= since) | Appointment.status.in_(LIVE_STATUSES)
    )
    waiting = WaitlistEntry.select(SQL("1")).where(
        WaitlistEntry.client == Client.id, WaitlistEntry.status.in_((waitlist.WAITING, waitlist.OFFERED))
    )
    client_accounts = UserRole.select(UserRole.user).where(UserRole.role == CLIENT)
    working_accounts = UserRole.select(SQL("1")).where(  # staff or HR as well
        UserRole.user == User.id, UserRole.role != CLIENT
    )
    query = (
        User.select(User.client)
        .join(Client, on=(User.client == Client.id))
        .where(
            User.id.in_(client_accounts),
            ~fn.EXISTS(working_accounts),
            Client.anonymized_at.is_null(),
            User.created_at < since_moment,
            Client.created_at < since_moment,
            fn.COALESCE(User.last_login_at, User.created_at) < since_moment,
            ~fn.EXISTS(recent_checkups),
            ~fn.EXISTS(waiting),
        )
        .order_by(User.client)
    )
    return [row.client_id for row in query]


@tasks.handler("retention.run", lease_minutes=60)
def run_retention():
    """Periodic task (daily): anonymize inactive client accounts, then purge records past the retention
    period. One client at a time, so a failure leaves the others done (and the task is retried).
    Returns (accounts anonymized, reports purged)."""
    anonymized = 0
    for client_id in inactive_client_ids():
        try:
            anonymize_client(audit.SYSTEM, client_id, "inactive")
        except Conflict:  # booked meanwhile: active again
            continue
        anonymized += 1
    purged = purge_old_records(audit.SYSTEM)
    if anonymized or purged:
        log.info("retention: %s inactive accounts anonymized, %s old reports purged", anonymized, purged)
    return anonymized, purged
