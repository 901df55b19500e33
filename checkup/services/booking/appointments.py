"""Appointments: a client's own, the front desk's search, and the calendar update a change owes."""

from dataclasses import dataclass

from peewee import JOIN, fn

from checkup.core import clock, tasks
from checkup.core.arguments import valid_id
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Client, Package, Slot
from checkup.models.appointments import LIVE_STATUSES
from checkup.services.accounts import client_search
from checkup.services.booking import exam_codes

SEARCH_LIMIT = 50
# the email each change owes (services/mail/booking_mail.py), with the event again: same UID, SEQUENCE + 1
CALENDAR_CHANGE_MAILS = {"rescheduled": "mail.appointment_rescheduled", "cancelled": "mail.appointment_cancelled"}


def _with_slot_and_package():
    return Appointment.select(Appointment, Slot, Package).join(Slot).join_from(Appointment, Package, JOIN.LEFT_OUTER)


def _client_appointments_query(client_id):
    return (
        _with_slot_and_package()
        .where(Appointment.client == client_id)
        .order_by(Appointment.day.desc(), Slot.start_time.desc())
    )


# the client's appointments page reads it on every visit: built once, prepared on PostgreSQL
_CLIENT_APPOINTMENTS = PreparedSelect(_client_appointments_query, "checkup_client_appointments")


def for_client(client_id):
    """(upcoming live appointments, everything else) for one client, in one query."""
    today = clock.today()
    rows = _CLIENT_APPOINTMENTS.rows(client_id) if valid_id(client_id) else []
    upcoming = [a for a in rows if a.status in LIVE_STATUSES and a.day >= today]
    upcoming.reverse()
    upcoming_ids = {a.id for a in upcoming}
    past = [a for a in rows if a.id not in upcoming_ids]
    return upcoming, past


@dataclass
class AppointmentMatches:
    rows: list  # appointments with slot, package and client loaded, newest day first
    more: bool  # more matched than are shown


def looks_like_exam_code(text):
    return exam_codes.looks_like_exam_code(text)


def owe_calendar_update(actor, appointment_id, change):
    """Inside the transaction that moved (``change`` "rescheduled") or cancelled ("cancelled") the
    appointment: its calendar event's SEQUENCE goes one up and the client's email with the updated or
    cancelling .ics is owed (a task row that commits or rolls back with the change). Returns the sequence."""
    kind = CALENDAR_CHANGE_MAILS[change]
    Appointment.update(ics_sequence=Appointment.ics_sequence + 1).where(Appointment.id == appointment_id).execute()
    sequence = Appointment.select(Appointment.ics_sequence).where(Appointment.id == appointment_id).scalar()
    tasks.defer(kind, appointment_id, sequence, caused_by=getattr(actor, "user_id", None))
    return sequence


def search(query, limit=SEARCH_LIMIT):
    """Appointments by exam code, client name or phone, newest day first: at most ``limit`` of them and
    whether there are more (one row more is read, never counted).

    An exam code, an email address or a phone number typed whole is looked up by its index alone; if it
    finds nothing, or for anything else, the client's name or phone is searched as text (see
    accounts.client_search; on PostgreSQL the matching clients are collected first, at most
    CANDIDATE_CAP of them, and their appointments sorted). One query, two when an exact key missed.
    """
    term = (query or "").strip()[:100]
    if not term:
        return AppointmentMatches([], False)
    exact = Appointment.exam_code == term.upper() if looks_like_exam_code(term.upper()) else None
    exact = client_search.exact_condition(term) if exact is None else exact
    if exact is not None:
        rows, more = _matches(exact, limit)
        if rows:
            return AppointmentMatches(rows, more)
    match = _client_text_condition(term)
    if client_search.is_postgres():
        candidates = client_search.candidates(match)
        # too many candidates: the one-time filter stops the query before it joins their appointments
        few = Appointment.client.in_(candidates.ids()) & (candidates.found <= client_search.CANDIDATE_CAP)
        rows, more = _matches(few, limit, candidates)
        if rows or not client_search.too_many(candidates.count()):
            return AppointmentMatches(rows, more)
    return AppointmentMatches(*_matches(match, limit))


def _client_text_condition(term):
    """The client's name (its start, for a short term) or phone; not email or employee number (the desk
    finds a visit by who and how to call them)."""
    if len(term) < client_search.SHORT_TERM:
        return client_search.text_condition(term)
    return Client.name.contains(term) | Client.phone.contains(term)


def _matches(condition, limit, candidates=None):
    """(up to ``limit`` appointments matching, whether more do); ``candidates``: the CTE the condition reads.
    The page's ids are chosen first, reading only appointments (and clients), then its rows are joined."""
    page = (
        Appointment.select(Appointment.id)
        .join_from(Appointment, Client)
        .where(condition)
        .order_by(Appointment.day.desc(), Appointment.id.desc())
        .limit(limit + 1)
    )
    query = (
        Appointment.select(Appointment, Slot, Package, Client)
        .join(Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Client)
        .where(Appointment.id.in_(page))
        .order_by(Appointment.day.desc(), Appointment.id.desc())
    )
    rows = list(query if candidates is None else query.with_cte(candidates.cte))
    return rows[:limit], len(rows) > limit


def day_counts(days):
    """{day: {status: count}} for the given days, in one query."""
    counts = {day: {} for day in days}
    rows = (
        Appointment.select(Appointment.day, Appointment.status, fn.COUNT(Appointment.id).alias("n"))
        .where(Appointment.day.in_(list(days)))
        .group_by(Appointment.day, Appointment.status)
    )
    for row in rows:
        counts[row.day][row.status] = row.n
    return counts
