"""What staff did with a client's record, as the client reads it (PIPL art. 45): from the audit log,
when, the roles and account number of who did it (never a name) and what it was for."""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import SQL, fn

from checkup.core.pagination import Page
from checkup.core.prepared import PreparedSelect
from checkup.models import AuditEvent, User, UserRole
from checkup.models.accounts import ADMIN, CHIEF, COUNSELOR, HR, PHYSICIAN, SCHEDULER

ACCESS_PAGE_SIZE = 25

# Roles whose actions on a record are "accesses" the client is shown (HR: bookings for employees).
ACCESS_ROLES = (ADMIN, SCHEDULER, PHYSICIAN, CHIEF, COUNSELOR, HR)
ROLE_ORDER = {role: n for n, role in enumerate(ACCESS_ROLES)}

# What an audited action meant, in the client's words; then by area; then a general phrase.
ACTION_PURPOSES = {
    "directory.client_viewed": _l("Opened your client record"),
    "directory.client_created": _l("Created your client record"),
    "directory.client_updated": _l("Updated your client record"),
    "directory.consents_viewed": _l("Looked at your consent choices"),
    "consent.granted": _l("Recorded a consent you gave"),
    "consent.withdrawn": _l("Recorded a consent you withdrew"),
    "booking.booked": _l("Booked a checkup for you"),
    "booking.cancelled": _l("Cancelled your appointment"),
    "booking.cancelled_override": _l("Cancelled your appointment"),
    "booking.rescheduled": _l("Moved your appointment"),
    "booking.rescheduled_override": _l("Moved your appointment"),
    "group_booking.booked": _l("Booked your company checkup"),
    "group_booking.rescheduled": _l("Moved your company checkup"),
    "group_booking.cancelled": _l("Cancelled your company checkup"),
    "exam_day.checked_in": _l("Checked you in on your exam day"),
    "exam_day.no_show": _l("Recorded that you did not come"),
    "exam_day.exam_sheet_printed": _l("Printed your exam sheet"),  # the events of the former exam sheet
    "exam_day.guide_sheet_printed": _l("Printed your guide sheet"),
    "exam_day.specimen_labels_printed": _l("Printed the labels for your samples"),
    "results.entered": _l("Entered an exam result"),
    "results.critical": _l("Recorded a result that needed urgent attention"),
    "results.alert_acknowledged": _l("Acted on an urgent result"),
    "report.draft_saved": _l("Worked on your report"),
    "report.signed": _l("Signed your report"),
    "report.amended": _l("Amended your report"),
    "report.pdf_retried": _l("Had your report PDF made again"),
    "report.downloaded": _l("Opened your report PDF"),
    "followup.viewed": _l("Opened your follow-up"),
    "followup.contact_logged": _l("Recorded a contact with you"),
    "followup.closed": _l("Closed your follow-up"),
    "followup.recheck_booked": _l("Booked a re-check for you"),
    "referral.created": _l("Referred you to a specialist"),
    "referral.letter_downloaded": _l("Printed your referral letter"),
    "consultation.viewed": _l("Opened your consultation request"),
    "consultation.scheduled": _l("Scheduled your consultation"),
    "consultation.completed": _l("Recorded your consultation"),
    "consultation.notes_viewed": _l("Read the notes of your consultations"),
    "account.activated": _l("Reactivated your account"),
    "account.deactivated": _l("Deactivated your account"),
    "data_request.viewed": _l("Opened your data request"),
    "data_request.done": _l("Answered your data request"),
    "data_request.refused": _l("Refused your data request"),
    "client.anonymized": _l("Deleted your personal data"),
    "enrollment.linked": _l("Joined your company checkup to your own record"),
    "access.break_glass": _l("Opened your record without being in charge of your care (reviewed by the administrator)"),
    "referral.viewed": _l("Opened your referral"),
    "results.station_viewed": _l("Looked at your exam results at a station"),
    "results.conflicts_viewed": _l("Compared an instrument's value with your entered exam result"),
    "station_conclusion.viewed": _l("Looked at your exam results at a station"),
}
AREA_PURPOSES = {
    "directory": _l("Worked on your client record"),
    "booking": _l("Worked on your appointment"),
    "group_booking": _l("Worked on your company checkup"),
    "exam_day": _l("Worked on your exam day"),
    "results": _l("Worked on your results"),
    "report": _l("Worked on your report"),
    "followup": _l("Worked on your follow-up"),
    "referral": _l("Updated your referral"),
    "consultation": _l("Worked on your consultation"),
    "consent": _l("Worked on your consent choices"),
    "account": _l("Changed your account"),
    "data_request": _l("Worked on your data request"),
}
GENERAL_PURPOSE = _l("Accessed your record")


def purpose_of(action):
    """The words a client reads for an audited action."""
    if action in ACTION_PURPOSES:
        return ACTION_PURPOSES[action]
    return AREA_PURPOSES.get(action.partition(".")[0], GENERAL_PURPOSE)


@dataclass(frozen=True)
class Access:
    at: datetime.datetime
    user_id: int
    roles: tuple
    purpose: object


def _access_events(client_id):
    own_account = User.select(SQL("1")).where(User.id == AuditEvent.user, User.client == client_id)
    staff = UserRole.select(UserRole.user).where(UserRole.role.in_(ACCESS_ROLES))
    return (
        AuditEvent.select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.user)
        .where(AuditEvent.client_id == client_id, AuditEvent.user.in_(staff), ~fn.EXISTS(own_account))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def _access_count_query(client_id):
    return _access_events(client_id).select(fn.COUNT(SQL("*"))).order_by()


def _access_page_query(client_id, limit, offset):
    return (
        _access_events(client_id).select(AuditEvent.at, AuditEvent.action, AuditEvent.user).limit(limit).offset(offset)
    )


# a client's id and the page's bounds are the parameters; the roles are the query's own constants
_SAMPLE_ID, _SAMPLE_LIMIT, _SAMPLE_OFFSET = -2_000_000_001, 2_000_000_003, 2_000_000_005
_ACCESS_COUNT = PreparedSelect(_access_count_query, "checkup_staff_access_count", samples=(_SAMPLE_ID,))
_ACCESS_PAGE = PreparedSelect(
    _access_page_query, "checkup_staff_access_page", samples=(_SAMPLE_ID, _SAMPLE_LIMIT, _SAMPLE_OFFSET)
)


def _roles_query(*user_ids):
    return UserRole.select(UserRole.user, UserRole.role).where(
        UserRole.user.in_(list(user_ids)), UserRole.role.in_(ACCESS_ROLES)
    )


# the roles of up to 1, 5 or a page's 25 accounts, prepared: fewer ids are padded with the last one
_ROLE_SIZES = (1, 5, ACCESS_PAGE_SIZE)
_ROLES_OF = {
    size: PreparedSelect(
        _roles_query, f"checkup_access_roles_of_{size}", samples=tuple(-2_000_000_001 - n for n in range(size))
    )
    for size in _ROLE_SIZES
}


def _roles_of(user_ids):
    """{account id: its access roles, in ROLE_ORDER} for ``user_ids``, in one query (none when empty)."""
    roles = {}
    if user_ids:
        ids = sorted(user_ids)
        size = next((size for size in _ROLE_SIZES if size >= len(ids)), None)
        if size is None:
            rows = _roles_query(*ids).tuples()
        else:
            rows = _ROLES_OF[size].plain(*ids, *[ids[-1]] * (size - len(ids)))
        for user_id, role in rows:
            roles.setdefault(user_id, []).append(role)
    return {user_id: tuple(sorted(found, key=ROLE_ORDER.get)) for user_id, found in roles.items()}


def _accesses_of(rows):
    """(at, action, user id) rows as Access rows."""
    roles = _roles_of({user_id for _at, _action, user_id in rows})
    return [Access(at, user_id, roles.get(user_id, ()), purpose_of(action)) for at, action, user_id in rows]


def _as_accesses(events):
    """Events as Access rows, the roles of their accounts read in one query."""
    return _accesses_of([(event.at, event.action, event.user_id) for event in events])


def staff_accesses(client_id, page=1):
    """One page (newest first) of what staff and HR did with the client's record, from the audit log:
    when, the roles and account number of who did it (never a name) and what it was for. The client's
    own actions and the system's are left out. Three queries whatever the page holds (the count and the
    page prepared)."""
    total = _ACCESS_COUNT.plain(client_id)[0][0]
    pages = max(1, -(-total // ACCESS_PAGE_SIZE))
    number = min(max(1, page or 1), pages)
    rows = _ACCESS_PAGE.plain(client_id, ACCESS_PAGE_SIZE, (number - 1) * ACCESS_PAGE_SIZE)
    return Page(_accesses_of(rows), number, pages, total, ACCESS_PAGE_SIZE)


def all_staff_accesses(client_id):
    """Every staff access to the record, newest first (for the copy of the client's data)."""
    return _as_accesses(list(_access_events(client_id)))
