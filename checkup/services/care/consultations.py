"""Expert consultations: a client asks about one of their published reports, client care schedules it
with a physician, and the notes stay on the client's record.

``requested → scheduled → completed``, or ``cancelled`` (by the client while requested/scheduled, or by
staff). Every change, and every view of the notes, is audited. Another client's consultation or report
is NotFound, exactly like a missing one.
"""

import datetime
import logging

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import audit, clock, tasks
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, Client, Consultation, Package, Report, User, UserRole
from checkup.models.accounts import PHYSICIAN
from checkup.models.base import db
from checkup.models.care import CANCELLED, COMPLETED, REQUESTED, SCHEDULED
from checkup.services.access import care_access
from checkup.services.accounts import accounts
from checkup.services.exam import reports
from checkup.services.mail import messages

log = logging.getLogger(__name__)
STATUSES = (REQUESTED, SCHEDULED, COMPLETED, CANCELLED)
OPEN_STATUSES = (REQUESTED, SCHEDULED)
MODES = ("phone", "in_person")
STATUS_LABELS = {
    REQUESTED: _l("Requested"),
    SCHEDULED: _l("Scheduled"),
    COMPLETED: _l("Completed"),
    CANCELLED: _l("Cancelled"),
}
MODE_LABELS = {"phone": _l("By phone"), "in_person": _l("In person at the center")}
MAX_QUESTION, MAX_PREFERRED, MAX_NOTES, MAX_REASON = 2000, 300, 5000, 300
MAX_DAYS_AHEAD = 365
LIST_LIMIT = 200

Physician = User.alias("physician")


def status_label(code):
    return STATUS_LABELS.get(code, code)


def mode_label(code):
    return MODE_LABELS.get(code, code)


def _line(value):
    return " ".join(str(value or "").split())


def _query():
    """Consultations with their client, report, appointment, package and physician: one query per list."""
    return (
        Consultation.select(Consultation, Client, Report, Appointment, Package, Physician)
        .join(Client)
        .switch(Consultation)
        .join(Report, JOIN.LEFT_OUTER)
        .join(Appointment, JOIN.LEFT_OUTER)
        .join(Package, JOIN.LEFT_OUTER)
        .switch(Consultation)
        .join(Physician, JOIN.LEFT_OUTER, on=(Consultation.physician == Physician.id))
    )


def _one_query(consultation_id):
    return _query().where(Consultation.id == consultation_id)


# one consultation with its joins, built once per process and prepared on PostgreSQL
_ONE = PreparedSelect(_one_query, "checkup_consultation_one")


def _get(consultation_id, client_id=None):
    if not isinstance(consultation_id, int) or not 0 < consultation_id < 2**31:
        raise NotFound(_l("We could not find that consultation."))
    consultation = next(iter(_ONE.rows(consultation_id)), None)
    if consultation is not None and client_id is not None and consultation.client_id != client_id:
        consultation = None
    if consultation is None:
        raise NotFound(_l("We could not find that consultation."))
    return consultation


# --- the client --------------------------------------------------------------------------------


def requestable_reports(client_id):
    """The client's current published reports: what a consultation can be about."""
    return reports.client_reports(client_id)


def _client_list_query(client_id):
    return (
        _query()
        .where(Consultation.client == client_id)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(LIST_LIMIT)
    )


_CLIENT_LIST = PreparedSelect(_client_list_query, "checkup_consultation_client_list", samples=(-2_000_000_001,))


def client_list(client_id):
    """The client's own consultations, newest first."""
    return _CLIENT_LIST.rows(client_id)


def request_consultation(actor, client_id, report_id, mode, preferred_times, question):
    """A client asks for a consultation about one of THEIR published reports; returns it.

    Raises NotFound (a report that is not theirs, or not published: like a missing one),
    ValidationError (mode, preferred times, question) or Conflict (already one open for the report).
    """
    if report_id in (None, ""):
        message = _l("Choose the report you would like to discuss.")
        raise ValidationError(message, {"report": message})
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        report_id = 0
    if not 0 < report_id < 2**31:
        raise NotFound(_l("We could not find that report."))
    report = reports.report_for_client(report_id, client_id)
    preferred_times, question = _line(preferred_times), str(question or "").strip()
    errors = {}
    if mode not in MODES:
        errors["mode"] = _l("Choose by phone or in person.")
    if not preferred_times:
        errors["preferred_times"] = _l("Tell us when suits you.")
    elif len(preferred_times) > MAX_PREFERRED:
        errors["preferred_times"] = _l("Use at most %(max)d characters.", max=MAX_PREFERRED)
    if not question:
        errors["question"] = _l("Write your question for the physician.")
    elif len(question) > MAX_QUESTION:
        errors["question"] = _l("Use at most %(max)d characters.", max=MAX_QUESTION)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        open_one = Consultation.select().where(
            Consultation.client == client_id, Consultation.report == report.id, Consultation.status.in_(OPEN_STATUSES)
        )
        if open_one.exists():
            raise Conflict(_l("You already have an open consultation about this report."))
        consultation = Consultation.create(
            client=client_id, report=report.id, mode=mode, preferred_times=preferred_times, question=question
        )
        audit.record(actor, "consultation.requested", consultation, client=client_id, report=report.id, mode=mode)
    return consultation


def cancel_by_client(actor, client_id, consultation_id):
    """The client withdraws their own request (requested or scheduled). Raises NotFound or Conflict."""
    consultation = _get(consultation_id, client_id=client_id)
    return _cancel(actor, consultation, "consultation.cancelled_by_client", "")


# --- client care --------------------------------------------------------------------------------


def _new_staff_list(shown):
    """The staff list's select for ``shown`` (one of STATUSES, "all" or "open"): its status and order are
    part of its SQL, so each is one prepared select."""

    def build():
        query = _query()
        if shown in STATUSES:
            query = query.where(Consultation.status == shown)
        elif shown != "all":
            query = query.where(Consultation.status.in_(OPEN_STATUSES))
        if shown in (COMPLETED, CANCELLED, "all"):
            order = (Consultation.updated_at.desc(), Consultation.id.desc())
        else:
            order = (Consultation.scheduled_at.asc(nulls="first"), Consultation.created_at, Consultation.id)
        return query.order_by(*order).limit(LIST_LIMIT)

    return PreparedSelect(build, f"checkup_consultation_staff_{shown}", samples=())


# {status shown: its select}: built once per process and status, prepared on PostgreSQL
_staff_list = PerShape(_new_staff_list)


def staff_list(status=None):
    """Counselors' list: one status (allow-listed) or all open ones; requested oldest first, then by time."""
    shown = status if status in STATUSES or status == "all" else "open"
    return _staff_list(shown).rows()


def staff_detail(actor, consultation_id):
    """One consultation for client care; the view of its question and notes is audited. Counselors see the
    ones waiting to be taken and their own (or those of clients they care for); anyone else breaks the glass."""
    consultation = _get(consultation_id)
    care_access.require(actor, consultation.client_id)
    audit.record(actor, "consultation.viewed", consultation, client=consultation.client_id)
    return consultation


def _physician_names_query():
    return (
        User.select(User.id, User.name)
        .join(UserRole)
        .where(UserRole.role == PHYSICIAN, User.is_active == True)
        .order_by(User.name, User.id)
    )


_PHYSICIAN_NAMES = PreparedSelect(_physician_names_query, "checkup_consultation_physician_names", samples=())


def physician_names():
    """The active accounts holding the physician role, by name, as plain (id, name) rows: what a form's
    choices show of them."""
    return _PHYSICIAN_NAMES.plain()


def _physician(physician_id):
    try:
        physician_id = int(physician_id)
    except (TypeError, ValueError):
        return None
    if not 0 < physician_id < 2**31:
        return None
    return (
        User.select()
        .join(UserRole)
        .where(User.id == physician_id, UserRole.role == PHYSICIAN, User.is_active == True)
        .first()
    )


def parse_local(value):
    """A ``YYYY-MM-DDTHH:MM`` (datetime-local) value as an aware center-time datetime, or None."""
    text = str(value or "").strip()
    if not 16 <= len(text) <= 19:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None
    return clock.local(moment.date(), moment.time().replace(second=0, microsecond=0))


def _to_utc(moment):
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def schedule(actor, consultation_id, physician_id, when):
    """Schedule (or move) a requested/scheduled consultation with a physician at ``when`` (center time,
    in the future, within a year); the client is emailed. Raises NotFound, ValidationError or Conflict."""
    consultation = _get(consultation_id)
    errors = {}
    physician = _physician(physician_id)
    if physician is None:
        errors["physician"] = _l("Choose a physician from the list.")
    moment = parse_local(when)
    now = clock.now()
    if moment is None:
        errors["scheduled_at"] = _l("Enter a date and time.")
    elif moment <= now:
        errors["scheduled_at"] = _l("Choose a time in the future.")
    elif moment > now + datetime.timedelta(days=MAX_DAYS_AHEAD):
        errors["scheduled_at"] = _l("Choose a time within the next year.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        changed = (
            Consultation.update(
                status=SCHEDULED,
                physician=physician.id,
                scheduled_at=_to_utc(moment),
                handled_by=actor.user_id,
                updated_at=_to_utc(now),
            )
            .where(Consultation.id == consultation.id, Consultation.status.in_(OPEN_STATUSES))
            .execute()
        )
        if changed != 1:
            raise Conflict(
                _l(
                    "This consultation can no longer be changed (status: %(status)s).",
                    status=status_label(consultation.status),
                )
            )
        audit.record(
            actor,
            "consultation.scheduled",
            consultation,
            client=consultation.client_id,
            physician=physician.id,
            at=moment.isoformat(),
            moved=consultation.status == SCHEDULED,
        )
        tasks.defer("mail.consultation_scheduled", consultation.id, caused_by=actor.user_id)
    return _get(consultation.id)


def complete(actor, consultation_id, notes):
    """Record the consultation held, with notes kept on the client's record. Raises ValidationError/Conflict."""
    consultation = _get(consultation_id)
    notes = str(notes or "").strip()
    if not notes:
        message = _l("Write what was discussed and advised.")
        raise ValidationError(message, {"notes": message})
    if len(notes) > MAX_NOTES:
        message = _l("Use at most %(max)d characters.", max=MAX_NOTES)
        raise ValidationError(message, {"notes": message})
    with db.atomic():
        changed = (
            Consultation.update(
                status=COMPLETED, notes=notes, handled_by=actor.user_id, updated_at=_to_utc(clock.now())
            )
            .where(Consultation.id == consultation.id, Consultation.status == SCHEDULED)
            .execute()
        )
        if changed != 1:
            raise Conflict(_l("Only a scheduled consultation can be completed."))
        audit.record(
            actor, "consultation.completed", consultation, client=consultation.client_id, notes_length=len(notes)
        )
    return _get(consultation.id)


def cancel_by_staff(actor, consultation_id, reason):
    reason = _line(reason)
    if not reason:
        message = _l("Give a reason for cancelling.")
        raise ValidationError(message, {"reason": message})
    if len(reason) > MAX_REASON:
        message = _l("Use at most %(max)d characters.", max=MAX_REASON)
        raise ValidationError(message, {"reason": message})
    return _cancel(actor, _get(consultation_id), "consultation.cancelled", reason)


def _cancel(actor, consultation, action, reason):
    note = _("Cancelled: %(reason)s", reason=reason) if reason else ""
    values = dict(status=CANCELLED, updated_at=_to_utc(clock.now()))
    if note:
        values["notes"] = (consultation.notes + "\n" + note).strip()
    with db.atomic():
        changed = (
            Consultation.update(**values)
            .where(Consultation.id == consultation.id, Consultation.status.in_(OPEN_STATUSES))
            .execute()
        )
        if changed != 1:
            raise Conflict(
                _l(
                    "This consultation can no longer be changed (status: %(status)s).",
                    status=status_label(consultation.status),
                )
            )
        audit.record(actor, action, consultation, client=consultation.client_id, reason=reason, was=consultation.status)
    return _get(consultation.id)


def for_client_record(actor, client_id):
    """The client's consultations for their record, for staff caring for the client (None for others);
    audited when any notes are shown."""
    if care_access.relationship(actor.user, client_id) is None:
        return None
    items = client_list(client_id)
    if any(c.notes for c in items):
        audit.record(
            actor, "consultation.notes_viewed", None, client=client_id, consultations=[c.id for c in items if c.notes]
        )
    return items


# --- physicians ---------------------------------------------------------------------------------


def _physician_list_query(physician_id):
    return (
        _query()
        .where(Consultation.physician == physician_id, Consultation.status == SCHEDULED)
        .order_by(Consultation.scheduled_at, Consultation.id)
        .limit(LIST_LIMIT)
    )


_PHYSICIAN_LIST = PreparedSelect(
    _physician_list_query, "checkup_consultation_physician_list", samples=(-2_000_000_001,)
)


def physician_list(actor, physician_id):
    """A physician's scheduled consultations, soonest first (read-only); the view of the questions is audited."""
    items = _PHYSICIAN_LIST.rows(physician_id)
    if items:
        audit.record(actor, "consultation.list_viewed", None, consultations=[c.id for c in items])
    return items


# --- email ----------------------------------------------------------------------------------------


@tasks.handler("mail.consultation_scheduled")
def send_scheduled_notice(consultation_id):
    """Task: tell the client when (and how) their consultation takes place, in their account's language.
    Sends nothing for a consultation no longer scheduled or a client without an email."""
    consultation = Consultation.get_or_none(Consultation.id == consultation_id)
    if consultation is None or consultation.status != SCHEDULED or consultation.scheduled_at is None:
        return None
    client = Client.get_by_id(consultation.client_id)
    account = User.get_or_none(User.client == client.id)
    email = (account.email if account else "") or client.email
    if not email:
        return None
    physician = User.get_or_none(User.id == consultation.physician_id) if consultation.physician_id else None
    locale = accounts.language_of(account)
    when = clock.from_utc(consultation.scheduled_at).strftime("%Y-%m-%d %H:%M")
    with force_locale(locale):
        text = render_template(
            "email/consultation_scheduled.txt",
            client=client,
            when=when,
            mode=str(mode_label(consultation.mode)),
            physician=physician.name if physician else "",
            center=current_app.config["CENTER_NAME"],
            phone=current_app.config.get("CENTER_PHONE", ""),
            link=current_app.config["BASE_URL"].rstrip("/") + "/me/consultations",
        )
        return messages.send_owed(
            "consultation",
            email,
            _("Your consultation is scheduled"),
            text,
            client_id=client.id,
            user_id=account.id if account else None,
        )
