"""What staff did with a client's record, as the client reads it (PIPL art. 45): from the audit log,
when, the roles and account number of who did it (never a name) and what it was for."""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import SQL, fn

from checkup.core.pagination import paginate
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


def _as_accesses(events):
    """Events as Access rows, the roles of their accounts read in one query."""
    roles = {}
    user_ids = {event.user_id for event in events}
    if user_ids:
        for row in UserRole.select(UserRole.user, UserRole.role).where(
            UserRole.user.in_(user_ids), UserRole.role.in_(ACCESS_ROLES)
        ):
            roles.setdefault(row.user_id, []).append(row.role)
    return [
        Access(
            event.at,
            event.user_id,
            tuple(sorted(roles.get(event.user_id, ()), key=ROLE_ORDER.get)),
            purpose_of(event.action),
        )
        for event in events
    ]


def staff_accesses(client_id, page=1):
    """One page (newest first) of what staff and HR did with the client's record, from the audit log:
    when, the roles and account number of who did it (never a name) and what it was for. The client's
    own actions and the system's are left out. Three queries whatever the page holds."""
    result = paginate(_access_events(client_id), page, ACCESS_PAGE_SIZE)
    result.items = _as_accesses(result.items)
    return result


def all_staff_accesses(client_id):
    """Every staff access to the record, newest first (for the copy of the client's data)."""
    return _as_accesses(list(_access_events(client_id)))
