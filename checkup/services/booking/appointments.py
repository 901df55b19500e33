"""Listing appointments: a client's own, and the front desk's search."""

from peewee import JOIN, fn

from checkup.core import clock
from checkup.models import Appointment, Client, Package, Slot
from checkup.models.appointments import LIVE_STATUSES


def _with_slot_and_package():
    return Appointment.select(Appointment, Slot, Package).join(Slot).join_from(Appointment, Package, JOIN.LEFT_OUTER)


def for_client(client_id):
    """(upcoming live appointments, everything else) for one client, in one query."""
    today = clock.today()
    rows = list(
        _with_slot_and_package()
        .where(Appointment.client == client_id)
        .order_by(Appointment.day.desc(), Slot.start_time.desc())
    )
    upcoming = [a for a in rows if a.status in LIVE_STATUSES and a.day >= today]
    upcoming.reverse()
    past = [a for a in rows if a not in upcoming]
    return upcoming, past


def search(query, limit=50):
    """Appointments by exam code, client name or phone, newest day first, in one query."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    return list(
        Appointment.select(Appointment, Slot, Package, Client)
        .join(Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Client)
        .where((Appointment.exam_code == query.upper()) | Client.name.contains(query) | Client.phone.contains(query))
        .order_by(Appointment.day.desc())
        .limit(limit)
    )


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
