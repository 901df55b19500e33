"""What a client can still book: days with room for a slot and every needed resource, and their slots.

A slot's free places exclude those reserved for group contracts (``Slot.free``); an employee of
contract C (``reserved_for=C``) also sees C's reserved places that are left.
"""

import calendar
import datetime

from peewee import fn

from checkup.core import clock
from checkup.models import ContractReservation, ResourceDay, Slot


def _resource_room(days, resource_ids):
    """{day: True if every resource has a free place that day} for the given days."""
    if not resource_ids:
        return {day: True for day in days}
    rows = (
        ResourceDay.select(ResourceDay.day, fn.COUNT(ResourceDay.id).alias("n"))
        .where(
            ResourceDay.resource.in_(resource_ids),
            ResourceDay.day.in_(list(days)),
            ResourceDay.booked + ResourceDay.held < ResourceDay.capacity,
        )
        .group_by(ResourceDay.day)
    )
    complete = {row.day for row in rows if row.n == len(resource_ids)}
    return {day: day in complete for day in days}


def _reserved_left(contract_id, first, last):
    """{slot id: places still reserved for the contract} for slots from ``first`` to ``last``."""
    if contract_id is None:
        return {}
    rows = (
        ContractReservation.select(ContractReservation.slot, ContractReservation.remaining)
        .join(Slot)
        .where(
            ContractReservation.contract == contract_id,
            ContractReservation.released_at.is_null(),
            ContractReservation.remaining > 0,
            Slot.day.between(first, last),
        )
    )
    return {row.slot_id: row.remaining for row in rows}


def month_days(year, month, resource_ids=(), reserved_for=None):
    """{day: free places} for every open day of the month from today on (0 = full for this choice).

    ``reserved_for``: a contract whose remaining reserved places count as free for its employees.
    """
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    now = clock.now()
    today = now.date()
    free = {}
    slots = (
        Slot.select()
        .where(Slot.day.between(max(first, today), last), Slot.closed == False)
        .order_by(Slot.day, Slot.start_time)
    )
    extra = _reserved_left(reserved_for, max(first, today), last)
    for slot in slots:
        if slot.day == today and clock.local(slot.day, slot.start_time) <= now:
            continue
        free[slot.day] = free.get(slot.day, 0) + slot.free + extra.get(slot.id, 0)
    room = _resource_room(free.keys(), list(resource_ids))
    return {day: (places if room[day] else 0) for day, places in free.items()}


def day_slots(day, resource_ids=(), reserved_for=None):
    """The day's open, future slots, each with its free places (none if a needed resource is full).

    ``reserved_for``: a contract whose remaining reserved places count as free for its employees.
    """
    now = clock.now()
    slots = [
        s
        for s in Slot.select().where(Slot.day == day, Slot.closed == False).order_by(Slot.start_time)
        if clock.local(s.day, s.start_time) > now
    ]
    if not _resource_room([day], list(resource_ids)).get(day, False):
        return [(slot, 0) for slot in slots]
    extra = _reserved_left(reserved_for, day, day) if slots else {}
    return [(slot, slot.free + extra.get(slot.id, 0)) for slot in slots]


def parse_month(value, default):
    """'YYYY-MM' → (year, month); anything malformed gives ``default``'s month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        datetime.date(year, month, 1)
        return year, month
    except (ValueError, TypeError):
        return default.year, default.month


def parse_day(value):
    try:
        return datetime.date.fromisoformat(value or "")
    except (ValueError, TypeError):
        return None


def month_grid(year, month):
    """Weeks (Monday first) of the month; days outside it are None."""
    return [
        [day if day.month == month else None for day in week]
        for week in calendar.Calendar().monthdatescalendar(year, month)
    ]


def shift_month(year, month, delta):
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1
