"""Who may see a client's clinical data (results, findings, advice, reports): staff with a care
relationship to the client, or anyone who "breaks the glass".

Relationships (DESIGN.md, privacy rules):
- a physician: the client is checked in or examined today (the stations), the client's report is in
  their review queue or was signed by them, or a consultation with the client is scheduled with them;
- a chief physician (a CHIEF account, with or without the physician role): the same rules — the review
  queue holds every checkup waiting to be signed, so the reports they review and sign are theirs to read;
- a counselor: a follow-up of the client they may work on (theirs, the unassigned pool, or their
  department's as its head), a referral they made, or a consultation they handle or that waits for
  someone to take it;
- the front desk and the admin have none: the desk sees demographics and appointments, the admin
  administers; neither sees clinical content by default.

Anyone else (the admin included) may open a client's clinical record only by breaking the glass: a
reason is required, the access lasts ``BREAK_GLASS_MINUTES`` and every such access is listed for the
admin's review (with a count on the admin's home page). Every grant and every review is audited.
"""

import datetime
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from checkup.core import audit, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound, PermissionDenied, ValidationError
from checkup.core.pagination import Page, paginate, whole_count
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    BreakGlassAccess,
    Client,
    Consultation,
    FollowUp,
    Referral,
    Report,
    StaffDepartment,
    User,
)
from checkup.models.accounts import CHIEF, COUNSELOR, PHYSICIAN
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db, utcnow

REASON_MAX = 500
REVIEW_PAGE_SIZE = 25


class NoCareRelationship(PermissionDenied):
    """The record exists but the acting staff member has no care relationship with its client: the
    answer is the break-the-glass form, not the record."""

    def __init__(self, client_id):
        super().__init__(_l("You have no care relationship with this client."))
        self.client_id = client_id


def minutes():
    return int(current_app.config.get("BREAK_GLASS_MINUTES") or 30)


# --- relationships -----------------------------------------------------------------------------------


# the relationship checks: each an existence probe (``SELECT 1 … LIMIT 1``) whose SQL is built once per
# process and prepared on PostgreSQL; the samples are values no row holds
_USER, _CLIENT, _DAY, _MOMENT = -2_000_000_002, -2_000_000_001, datetime.date(1900, 1, 2), datetime.datetime(1900, 1, 2)


def _examined_today_query(client_id, today):
    return (
        Appointment.select(SQL("1"))
        .where(
            Appointment.client == client_id, Appointment.day == today, Appointment.status.in_((CHECKED_IN, COMPLETED))
        )
        .limit(1)
    )


def _signed_query(user_id, client_id):
    return (
        Report.select(SQL("1"))
        .join(Appointment)
        .where(Appointment.client == client_id, Report.signed_by == user_id)
        .limit(1)
    )


def _unsigned_query(client_id):
    return (
        Appointment.select(SQL("1"))
        .join(Report, JOIN.LEFT_OUTER, on=(Report.appointment == Appointment.id))
        .where(
            Appointment.client == client_id,
            Appointment.status.in_((CHECKED_IN, COMPLETED)),
            Report.id.is_null() | (Report.status == "draft"),
        )
        .limit(1)
    )


def _physician_consultation_query(user_id, client_id):
    return (
        Consultation.select(SQL("1"))
        .where(Consultation.client == client_id, Consultation.physician == user_id)
        .limit(1)
    )


def _counselor_follow_up_query(user_id, client_id):
    heads = StaffDepartment.select(StaffDepartment.department).where(
        StaffDepartment.user == user_id, StaffDepartment.is_head == True
    )
    return (
        FollowUp.select(SQL("1"))
        .where(
            FollowUp.client == client_id,
            (FollowUp.assignee == user_id)
            | (FollowUp.assignee.is_null() & (FollowUp.status == "open"))
            | FollowUp.department.in_(heads),
        )
        .limit(1)
    )


def _counselor_referral_query(user_id, client_id):
    return Referral.select(SQL("1")).where(Referral.client == client_id, Referral.created_by == user_id).limit(1)


def _counselor_consultation_query(user_id, client_id):
    return (
        Consultation.select(SQL("1"))
        .where(
            Consultation.client == client_id,
            (Consultation.handled_by == user_id) | (Consultation.status == "requested"),
        )
        .limit(1)
    )


def _active_grant_query(user_id, client_id, now):
    return (
        BreakGlassAccess.select()
        .where(
            BreakGlassAccess.user == user_id, BreakGlassAccess.client == client_id, BreakGlassAccess.expires_at > now
        )
        .order_by(BreakGlassAccess.expires_at.desc())
        .limit(1)
    )


_EXAMINED_TODAY = PreparedSelect(_examined_today_query, "checkup_access_examined_today", samples=(_CLIENT, _DAY))
_SIGNED = PreparedSelect(_signed_query, "checkup_access_signed_report", samples=(_USER, _CLIENT))
_UNSIGNED = PreparedSelect(_unsigned_query, "checkup_access_review_queue", samples=(_CLIENT,))
_PHYSICIAN_CONSULTATION = PreparedSelect(
    _physician_consultation_query, "checkup_access_physician_consultation", samples=(_USER, _CLIENT)
)
_COUNSELOR_FOLLOW_UP = PreparedSelect(
    _counselor_follow_up_query, "checkup_access_counselor_follow_up", samples=(_USER, _CLIENT)
)
_COUNSELOR_REFERRAL = PreparedSelect(
    _counselor_referral_query, "checkup_access_counselor_referral", samples=(_USER, _CLIENT)
)
_COUNSELOR_CONSULTATION = PreparedSelect(
    _counselor_consultation_query, "checkup_access_counselor_consultation", samples=(_USER, _CLIENT)
)
_ACTIVE_GRANT = PreparedSelect(_active_grant_query, "checkup_access_active_grant", samples=(_USER, _CLIENT, _MOMENT))


def _physician_related(user_id, client_id):
    today = clock.today()
    if _EXAMINED_TODAY.plain(client_id, today):
        return "exam_day"
    if _SIGNED.plain(user_id, client_id):
        return "signed_report"
    if _UNSIGNED.plain(client_id):
        return "review_queue"
    if _PHYSICIAN_CONSULTATION.plain(user_id, client_id):
        return "consultation"
    return None


def _counselor_related(user_id, client_id):
    if _COUNSELOR_FOLLOW_UP.plain(user_id, client_id):
        return "follow_up"
    if _COUNSELOR_REFERRAL.plain(user_id, client_id):
        return "referral"
    if _COUNSELOR_CONSULTATION.plain(user_id, client_id):
        return "consultation"
    return None


def active_grant(user_id, client_id, now=None):
    """The break-the-glass access of ``user_id`` to ``client_id`` still running, or None."""
    return next(iter(_ACTIVE_GRANT.rows(user_id, client_id, now or utcnow())), None)


def relationship(user, client_id):
    """Why ``user`` may see ``client_id``'s clinical data ("exam_day", "follow_up", "break_glass", …), or None."""
    if user is None or client_id is None:
        return None
    if user.has_role(PHYSICIAN) or user.has_role(CHIEF):
        found = _physician_related(user.id, client_id)
        if found:
            return found
    if user.has_role(COUNSELOR):
        found = _counselor_related(user.id, client_id)
        if found:
            return found
    if active_grant(user.id, client_id) is not None:
        return "break_glass"
    return None


def related_condition(user, client_field):
    """A WHERE condition true for the rows whose ``client_field`` is a client ``user`` has a relationship with
    (the rules of ``relationship``, break the glass included), so a list keeps only those rows in the one
    query that reads it. False (no row) for an anonymous user."""
    if user is None:
        return client_field.is_null() & client_field.is_null(False)
    user_id, now, today = user.id, utcnow(), clock.today()
    live = (CHECKED_IN, COMPLETED)
    condition = client_field.in_(
        BreakGlassAccess.select(BreakGlassAccess.client).where(
            BreakGlassAccess.user == user_id, BreakGlassAccess.expires_at > now
        )
    )
    if user.has_role(PHYSICIAN) or user.has_role(CHIEF):
        examined_today = Appointment.select(Appointment.client).where(
            Appointment.day == today, Appointment.status.in_(live)
        )
        signed = Report.select(Appointment.client).join(Appointment).where(Report.signed_by == user_id)
        unsigned = (
            Appointment.select(Appointment.client)
            .join(Report, JOIN.LEFT_OUTER, on=(Report.appointment == Appointment.id))
            .where(Appointment.status.in_(live), Report.id.is_null() | (Report.status == "draft"))
        )
        consulted = Consultation.select(Consultation.client).where(Consultation.physician == user_id)
        condition = (
            condition
            | client_field.in_(examined_today)
            | client_field.in_(signed)
            | client_field.in_(unsigned)
            | client_field.in_(consulted)
        )
    if user.has_role(COUNSELOR):
        heads = StaffDepartment.select(StaffDepartment.department).where(
            StaffDepartment.user == user_id, StaffDepartment.is_head == True
        )
        follow_ups = FollowUp.select(FollowUp.client).where(
            (FollowUp.assignee == user_id)
            | (FollowUp.assignee.is_null() & (FollowUp.status == "open"))
            | FollowUp.department.in_(heads)
        )
        referred = Referral.select(Referral.client).where(Referral.created_by == user_id)
        consultations = Consultation.select(Consultation.client).where(
            (Consultation.handled_by == user_id) | (Consultation.status == "requested")
        )
        condition = (
            condition | client_field.in_(follow_ups) | client_field.in_(referred) | client_field.in_(consultations)
        )
    return condition


def require(actor, client_id):
    """Return the relationship of the acting user to ``client_id``; raise NoCareRelationship without one."""
    found = relationship(actor.user, client_id)
    if found is None:
        raise NoCareRelationship(client_id)
    return found


def require_glass_broken(actor, client_id):
    """For a record the acting user does not work on themselves (another counselor's follow-up): only a
    running break-the-glass access opens it. Raises NoCareRelationship otherwise."""
    if actor.user is None or active_grant(actor.user_id, client_id) is None:
        raise NoCareRelationship(client_id)


# --- breaking the glass ------------------------------------------------------------------------------


def break_glass(actor, client_id, reason):
    """Open ``client_id``'s clinical record to the acting staff member for ``minutes()`` minutes.

    Raises NotFound (no such client) or ValidationError (no reason). The access is audited
    ("access.break_glass") and waits for the admin's review."""
    reason = (reason or "").strip()
    if not reason:
        message = _l("Say why you need to open this record.")
        raise ValidationError(message, {"reason": message})
    if len(reason) > REASON_MAX:
        message = _l("Keep the reason under %(n)d characters.", n=REASON_MAX)
        raise ValidationError(message, {"reason": message})
    if not valid_id(client_id) or not Client.select().where(Client.id == client_id).exists():
        raise NotFound(_l("We could not find that client."))
    now = utcnow()
    with db.atomic():
        grant = BreakGlassAccess.create(
            user=actor.user_id,
            client=client_id,
            reason=reason,
            ip=actor.ip or "",
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=minutes()),
        )
        audit.record(actor, "access.break_glass", grant, client=client_id, minutes=minutes(), reason=reason)
    return grant


def _to_review_count_query():
    return BreakGlassAccess.select(fn.COUNT(SQL("*"))).where(BreakGlassAccess.reviewed_at.is_null())


_TO_REVIEW_COUNT = PreparedSelect(_to_review_count_query, "checkup_access_to_review_count")


def to_review_count():
    """How many break-the-glass accesses the admin has not reviewed yet (the admin home's badge)."""
    return _TO_REVIEW_COUNT.plain()[0][0]


class ReviewRow(NamedTuple):
    """One access as the review page shows it."""

    id: int
    created_at: datetime.datetime
    expires_at: datetime.datetime
    reason: str
    reviewed_at: datetime.datetime | None
    review_note: str
    staff_name: str
    staff_email: str
    client_id: int
    client_name: str
    reviewer_name: str | None  # None: no reviewer (never for a reviewed access, unless the account was deleted)


def _review_query(reviewed, limit, offset):
    staff, reviewer = User.alias("staff"), User.alias("reviewer")
    query = (
        BreakGlassAccess.select(
            BreakGlassAccess.id,
            BreakGlassAccess.created_at,
            BreakGlassAccess.expires_at,
            BreakGlassAccess.reason,
            BreakGlassAccess.reviewed_at,
            BreakGlassAccess.review_note,
            staff.name,
            staff.email,
            Client.id,
            Client.name,
            reviewer.name,
            whole_count(),
        )
        .join(staff, on=(BreakGlassAccess.user == staff.id))
        .join_from(BreakGlassAccess, Client)
        .join_from(BreakGlassAccess, reviewer, JOIN.LEFT_OUTER, on=(BreakGlassAccess.reviewed_by == reviewer.id))
    )
    if reviewed:
        query = query.where(BreakGlassAccess.reviewed_at.is_null(False)).order_by(
            BreakGlassAccess.reviewed_at.desc(), BreakGlassAccess.id.desc()
        )
    else:
        query = query.where(BreakGlassAccess.reviewed_at.is_null()).order_by(
            BreakGlassAccess.created_at, BreakGlassAccess.id
        )
    return query.limit(limit).offset(offset)


def _open_review_query(limit, offset):
    return _review_query(False, limit, offset)


def _reviewed_review_query(limit, offset):
    return _review_query(True, limit, offset)


# the admin's review list is read on every visit of the page: its SQL is built once per process (values
# nothing equals stand for the limit and the offset)
_PAGE_SAMPLES = (-2_000_000_201, -2_000_000_202)
_OPEN_REVIEW_PAGE = PreparedSelect(_open_review_query, "checkup_break_glass_open_page", _PAGE_SAMPLES)
_REVIEWED_REVIEW_PAGE = PreparedSelect(_reviewed_review_query, "checkup_break_glass_reviewed_page", _PAGE_SAMPLES)


def review_list(state="open", page=1):
    """A page of accesses (open: not reviewed yet, oldest first; reviewed: newest first) with the staff
    member, the client and the reviewer (``ReviewRow``), counted in the same query (as ``counted_page``
    reads it, the select prepared)."""
    reviewed = state == "reviewed"
    number = max(1, page or 1)
    prepared = _REVIEWED_REVIEW_PAGE if reviewed else _OPEN_REVIEW_PAGE
    rows = prepared.plain(REVIEW_PAGE_SIZE, (number - 1) * REVIEW_PAGE_SIZE)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        result = Page(
            [row[:-1] for row in rows], number, max(1, -(-total // REVIEW_PAGE_SIZE)), total, REVIEW_PAGE_SIZE
        )
    else:  # past the end: counted and clamped as counted_page does
        result = paginate(_review_query(reviewed, None, None).tuples(), number, REVIEW_PAGE_SIZE)
        result.items = [row[:-1] for row in result.items]
    result.items = [ReviewRow(*row) for row in result.items]
    return result


def mark_reviewed(actor, access_id, note):
    """The admin has looked at an access (with an optional note); audited. NotFound if it is not open."""
    note = (note or "").strip()[:500]
    with db.atomic():
        changed = (
            BreakGlassAccess.update(reviewed_by=actor.user_id, reviewed_at=utcnow(), review_note=note)
            .where(BreakGlassAccess.id == access_id, BreakGlassAccess.reviewed_at.is_null())
            .execute()
        )
        if not changed:
            raise NotFound(_l("There is no access waiting for review with this number."))
        audit.record(actor, "access.break_glass_reviewed", BreakGlassAccess.get_by_id(access_id), note=note)
