"""What a client can still book: days with room for a slot and every needed resource, and their slots.

A slot's free places exclude those reserved for group contracts (``Slot.free``); an employee of
contract C (``reserved_for=C``) also sees C's reserved places that are left.
"""

import calendar
import datetime

from peewee import fn

from checkup.core import clock
from checkup.core.plain_models import models_of
from checkup.core.prepared import PreparedSelect
from checkup.models import ContractReservation, ResourceDay, Slot

# a choice needs a few limited resources (a CT, an ultrasound): the prepared read takes up to this many
RESOURCES_PREPARED = 4


def _open_resources_query(resource_ids, first, last):
    """(day, how many of the resources have a free place that day) from ``first`` to ``last``."""
    return (
        ResourceDay.select(ResourceDay.day, fn.COUNT(fn.DISTINCT(ResourceDay.resource)))
        .where(
            ResourceDay.resource.in_(list(resource_ids)),
            ResourceDay.day.between(first, last),
            ResourceDay.booked + ResourceDay.held < ResourceDay.capacity,
        )
        .group_by(ResourceDay.day)
        .tuples()
    )


def _open_resources_prepared(*params):
    """``_open_resources_query`` for RESOURCES_PREPARED resource ids (repeated to fill), then the days."""
    return _open_resources_query(params[:RESOURCES_PREPARED], *params[RESOURCES_PREPARED:])


def _open_slots_query(first, last):
    """The open slots from ``first`` to ``last``, as the columns their free places need."""
    return (
        Slot.select(Slot.id, Slot.day, Slot.start_time, Slot.capacity, Slot.booked, Slot.held, Slot.reserved)
        .where(Slot.day.between(first, last), Slot.closed == False)
        .order_by(Slot.day, Slot.start_time)
        .tuples()
    )


def _day_open_slots_query(day):
    return Slot.select().where(Slot.day == day, Slot.closed == False).order_by(Slot.start_time)


def _day_slots_with_room_query(day, *resource_ids):
    """The day's open slots, each row ending with how many of the RESOURCES_PREPARED ``resource_ids``
    (repeated to fill) have a free place that day: the slots and their room in one statement."""
    room = ResourceDay.select(fn.COUNT(fn.DISTINCT(ResourceDay.resource))).where(
        ResourceDay.resource.in_(list(resource_ids)),
        ResourceDay.day == day,
        ResourceDay.booked + ResourceDay.held < ResourceDay.capacity,
    )
    return Slot.select(Slot, room.alias("room")).where(Slot.day == day, Slot.closed == False).order_by(Slot.start_time)


_SAMPLE_DAYS = (datetime.date(1001, 1, 1), datetime.date(1001, 1, 2))
_SAMPLE_RESOURCES = tuple(-2_000_000_001 - n for n in range(RESOURCES_PREPARED))
# built once, prepared on PostgreSQL (plain columns, read as tuples): every booking page reads them
_OPEN_RESOURCES = PreparedSelect(_open_resources_prepared, "checkup_availability_open_resources")
_OPEN_SLOTS = PreparedSelect(_open_slots_query, "checkup_availability_open_slots", samples=_SAMPLE_DAYS)
_DAY_OPEN_SLOTS = PreparedSelect(_day_open_slots_query, "checkup_availability_day_slots", samples=_SAMPLE_DAYS[:1])
_DAY_SLOTS_WITH_ROOM = PreparedSelect(
    _day_slots_with_room_query,
    "checkup_availability_day_slots_with_room",
    samples=(_SAMPLE_DAYS[0], *_SAMPLE_RESOURCES),
)


def _resource_room(days, resource_ids):
    """{day: True if every resource has a free place that day} for the given days, in one query over the
    span of the days (a row a day)."""
    days = list(days)
    wanted = sorted(set(resource_ids))
    if not wanted:
        return {day: True for day in days}
    if not days:
        return {}
    first, last = min(days), max(days)
    if len(wanted) <= RESOURCES_PREPARED:
        padded = wanted + [wanted[-1]] * (RESOURCES_PREPARED - len(wanted))
        rows = _OPEN_RESOURCES.plain(*padded, first, last)
    else:
        rows = list(_open_resources_query(wanted, first, last))
    complete = {day for day, n in rows if n == len(wanted)}
    return {day: day in complete for day in days}


def _reserved_left_query(contract_id, first, last):
    """(slot id, places still reserved for the contract) for slots from ``first`` to ``last``."""
    return (
        ContractReservation.select(ContractReservation.slot, ContractReservation.remaining)
        .join(Slot)
        .where(
            ContractReservation.contract == contract_id,
            ContractReservation.released_at.is_null(),
            ContractReservation.remaining > 0,
            Slot.day.between(first, last),
        )
        .tuples()
    )


# a group booking page reads it for the month and for the day: built once, prepared on PostgreSQL
_RESERVED_LEFT = PreparedSelect(
    _reserved_left_query, "checkup_availability_reserved_left", samples=(-2_000_000_001, *_SAMPLE_DAYS)
)


def _reserved_left(contract_id, first, last):
    """{slot id: places still reserved for the contract} for slots from ``first`` to ``last``."""
    if contract_id is None:
        return {}
    return dict(_RESERVED_LEFT.plain(contract_id, first, last))


def month_days(year, month, resource_ids=(), reserved_for=None):
    """{day: free places} for every open day of the month from today on (0 = full for this choice).

    ``reserved_for``: a contract whose remaining reserved places count as free for its employees.
    """
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    now = clock.now()
    today = now.date()
    free = {}
    if max(first, today) > last:
        return free  # a month gone by: nothing to read
    # plain columns, not Slot objects: a month of a big center is a few hundred slots
    slots = _OPEN_SLOTS.plain(max(first, today), last)
    extra = _reserved_left(reserved_for, max(first, today), last)
    for slot_id, day, start_time, capacity, booked, held, reserved in slots:
        if day == today and clock.local(day, start_time) <= now:
            continue
        # Slot.free: the places not booked, held for the waitlist or reserved for a group
        places = max(0, capacity - booked - held - reserved)
        free[day] = free.get(day, 0) + places + extra.get(slot_id, 0)
    room = _resource_room(free.keys(), list(resource_ids))
    return {day: (places if room[day] else 0) for day, places in free.items()}


def day_slots(day, resource_ids=(), reserved_for=None):
    """The day's open, future slots, each with its free places (none if a needed resource is full).

    ``reserved_for``: a contract whose remaining reserved places count as free for its employees.
    """
    now = clock.now()
    wanted = sorted(set(resource_ids))
    if wanted and len(wanted) <= RESOURCES_PREPARED:  # the slots and whether every resource has room: one read
        rows = _DAY_SLOTS_WITH_ROOM.plain(day, *wanted, *[wanted[-1]] * (RESOURCES_PREPARED - len(wanted)))
        room = bool(rows) and rows[0][-1] == len(wanted)
        found = models_of(Slot, [row[:-1] for row in rows])
    else:
        found = models_of(Slot, _DAY_OPEN_SLOTS.plain(day))
        room = None
    slots = [s for s in found if clock.local(s.day, s.start_time) > now]
    if room is None:
        room = _resource_room([day], wanted).get(day, False)
    if not room:
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
