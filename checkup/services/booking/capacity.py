"""The scheduler's capacity: weekly templates, slot and resource capacities, closing days."""

import calendar
import datetime
from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import fn

from checkup.core import audit, clock, tasks
from checkup.core.arguments import MAX_PAGE, valid_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.pagination import Page, whole_count
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, ContractReservation, Resource, ResourceDay, Slot
from checkup.models.appointments import LIVE_STATUSES, PLACE_STATUSES
from checkup.models.base import db

# A morning-heavy day, as checkups are mostly done fasting.
DEFAULT_SLOTS = [
    (datetime.time(7, 30), datetime.time(8, 30), 30),
    (datetime.time(8, 30), datetime.time(9, 30), 30),
    (datetime.time(9, 30), datetime.time(10, 30), 25),
    (datetime.time(10, 30), datetime.time(11, 30), 20),
    (datetime.time(13, 30), datetime.time(14, 30), 12),
    (datetime.time(14, 30), datetime.time(15, 30), 8),
]
MAX_CAPACITY = 10000
MAX_RANGE_DAYS = 366
MAX_NAMES_LISTED = 30  # a refusal lists at most this many bookings by name
DAY_APPOINTMENTS_PER_PAGE = 50  # the capacity day lists a busy day's thousand appointments a page at a time
# Calendar pages outside these years are refused (keeps date arithmetic far from datetime's limits).
FIRST_YEAR, LAST_YEAR = 2000, 2200


@dataclass
class SlotSpec:
    start: datetime.time
    end: datetime.time
    capacity: int


def spec_problems(specs):
    """[(index, field, message)] for a list of SlotSpec: ends before start, capacity, overlaps."""
    problems = []
    for index, spec in enumerate(specs):
        if spec.start >= spec.end:
            problems.append((index, "end", _l("Slot %(n)s ends before it starts.", n=index + 1)))
        if not 0 <= spec.capacity <= MAX_CAPACITY:
            problems.append(
                (index, "capacity", _l("Slot %(n)s needs a capacity from 0 to %(max)s.", n=index + 1, max=MAX_CAPACITY))
            )
    ordered = sorted(range(len(specs)), key=lambda i: specs[i].start)
    for before, after in zip(ordered, ordered[1:]):
        if specs[after].start < specs[before].end:
            problems.append(
                (
                    after,
                    "start",
                    _l(
                        "Slots %(a)s and %(b)s overlap.",
                        a=specs[before].start.strftime("%H:%M"),
                        b=specs[after].start.strftime("%H:%M"),
                    ),
                )
            )
    return problems


def validate_specs(specs):
    """Raise ValidationError if the slots are inconsistent.

    ``field_errors`` holds "slots" (every message) and "slots-<index>-<field>" for each
    problem, so a form can show it beside the row it concerns.
    """
    problems = spec_problems(specs)
    messages = [message for _, _, message in problems]
    if not specs:
        messages.append(_l("Add at least one slot."))
    if messages:
        field_errors = {"slots": " ".join(str(m) for m in messages)}
        for index, field, message in problems:
            field_errors.setdefault(f"slots-{index}-{field}", message)
        raise ValidationError(messages[0], field_errors)


def closed_days(start, end):
    """The days from ``start`` to ``end`` whose slots are all closed (holidays)."""
    days = {}
    for row in Slot.select(Slot.day, Slot.closed).where(Slot.day.between(start, end)):
        days[row.day] = days.get(row.day, True) and row.closed
    return {day for day, closed in days.items() if closed}


def open_resource_days(days, capacities):
    """Create the missing resource days for ``days`` ({resource id: capacity}); returns how many.

    Runs inside the caller's transaction; existing resource days are left as they are.
    """
    days = sorted(set(days))
    if not days or not capacities:
        return 0
    existing = {
        (row.resource_id, row.day)
        for row in ResourceDay.select(ResourceDay.resource, ResourceDay.day).where(
            ResourceDay.day.between(days[0], days[-1]), ResourceDay.resource.in_(list(capacities))
        )
    }
    rows = [
        {"resource": resource_id, "day": day, "capacity": capacity}
        for day in days
        for resource_id, capacity in sorted(capacities.items())
        if (resource_id, day) not in existing
    ]
    for chunk in range(0, len(rows), 200):
        ResourceDay.insert_many(rows[chunk : chunk + 200]).execute()
    return len(rows)


def default_resource_capacities():
    return {r.id: r.daily_capacity for r in Resource.select().where(Resource.active == True)}


def apply_template(actor, start, end, weekdays, specs, resource_capacities=None):
    """Open slots (and resource days) on every chosen weekday from ``start`` to ``end``.

    Existing slots keep their bookings; their capacity is raised or lowered to the
    template's only when it stays at or above what is booked, held or reserved for
    group contracts (otherwise they are counted as "kept"). Resource days are set
    likewise. Closed days stay closed and untouched. ``resource_capacities`` ({resource id: capacity}) defaults to every
    active resource's daily capacity. Returns counts: created, updated, kept,
    closed_days, resource_days. Raises ValidationError.
    """
    if start < clock.today():
        raise ValidationError(_l("Start today or later."), {"start": _l("Start today or later.")})
    if start > end:
        message = _l("The end date is before the start date.")
        raise ValidationError(message, {"end": message})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationError(
            _l("Apply a template to at most one year at a time."),
            {"end": _l("Apply a template to at most one year at a time.")},
        )
    if not weekdays:
        raise ValidationError(_l("Choose at least one weekday."), {"weekdays": _l("Choose at least one weekday.")})
    validate_specs(specs)
    resources = default_resource_capacities() if resource_capacities is None else dict(resource_capacities)
    for resource_id, capacity in resources.items():
        if not 0 <= capacity <= MAX_CAPACITY:
            message = _l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY)
            raise ValidationError(message, {f"resource_{resource_id}": message})
    counts = {"created": 0, "updated": 0, "kept": 0, "closed_days": 0, "resource_days": 0}
    with db.atomic():
        holidays = closed_days(start, end)
        days = [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
        days = [d for d in days if d.weekday() in weekdays]
        counts["closed_days"] = sum(1 for d in days if d in holidays)
        days = [d for d in days if d not in holidays]
        existing = {(s.day, s.start_time): s for s in Slot.select().where(Slot.day.between(start, end))}
        new_slots = []
        for day in days:
            for spec in specs:
                slot = existing.get((day, spec.start))
                if slot is None:
                    new_slots.append(
                        {"day": day, "start_time": spec.start, "end_time": spec.end, "capacity": spec.capacity}
                    )
                elif (slot.capacity, slot.end_time) != (spec.capacity, spec.end):
                    changed = (
                        Slot.update(capacity=spec.capacity, end_time=spec.end)
                        .where(Slot.id == slot.id, Slot.booked + Slot.held + Slot.reserved <= spec.capacity)
                        .execute()
                    )
                    counts["updated" if changed else "kept"] += 1
        for chunk in range(0, len(new_slots), 200):
            Slot.insert_many(new_slots[chunk : chunk + 200]).execute()
        counts["created"] = len(new_slots)
        if days and resources:
            current = ResourceDay.select().where(ResourceDay.day.in_(days), ResourceDay.resource.in_(list(resources)))
            for row in current:
                if row.capacity != resources[row.resource_id]:
                    (
                        ResourceDay.update(capacity=resources[row.resource_id])
                        .where(
                            ResourceDay.id == row.id,
                            ResourceDay.booked + ResourceDay.held <= resources[row.resource_id],
                        )
                        .execute()
                    )
            counts["resource_days"] = open_resource_days(days, resources)
        audit.record(
            actor,
            "capacity.template_applied",
            None,
            start=str(start),
            end=str(end),
            weekdays=sorted(weekdays),
            slots=len(specs),
            **counts,
        )
        tasks.defer("waitlist.offer_places_between", start.isoformat(), end.isoformat())
    return counts


def live_appointments(day):
    """Live appointments of a day with their clients, for rescheduling lists: the columns those lists show
    (id, exam code, slot; the client's name and phone), not whole rows (a busy day has a thousand)."""
    return list(
        Appointment.select(
            Appointment.id, Appointment.exam_code, Appointment.slot, Client.id, Client.name, Client.phone
        )
        .join(Client)
        .where(Appointment.day == day, Appointment.status.in_(LIVE_STATUSES))
        .order_by(Appointment.id)
    )


class DayAppointment(NamedTuple):
    """A live appointment as the capacity day lists it."""

    id: int
    exam_code: str
    slot_id: int
    client_name: str
    client_phone: str


def _day_appointments_query(day, offset):
    """A page of the day's live appointments from ``offset``, each row with the day's total last. The page is
    cut from the appointments' index alone (status, day, id: their ids and the window count, no row read for
    the 1,300 of a busy day) before the appointments' columns and their clients are joined: joined first, the
    window count read every client of a busy day (1,300 lookups for a page of 50), and read from the table,
    every appointment of it."""
    live = Appointment.alias("live")
    cut = (
        live.select(live.id, whole_count().alias("total"))
        .where(live.day == day, live.status.in_(LIVE_STATUSES))
        .order_by(live.id)
        .limit(DAY_APPOINTMENTS_PER_PAGE)
        .offset(offset)
        .alias("page")
    )
    return (
        Appointment.select(cut.c.id, Appointment.exam_code, Appointment.slot, Client.name, Client.phone, cut.c.total)
        .from_(cut)
        .join(Appointment, on=(Appointment.id == cut.c.id))
        .join(Client, on=(Client.id == Appointment.client))
        .order_by(cut.c.id)
        .tuples()  # text and integers only
    )


# built once, prepared on PostgreSQL (planning the join was 1.3 ms of a busy day's page)
_DAY_APPOINTMENTS = PreparedSelect(
    _day_appointments_query,
    "checkup_capacity_day_appointments",
    samples=(datetime.date(1001, 1, 1), -2_000_000_001),
)


def _day_appointments_page(day, number, per_page):
    return _DAY_APPOINTMENTS.plain(day, (number - 1) * per_page)  # text and integers: the driver's tuples


def day_appointments(day, page=1):
    """One page of ``live_appointments`` as plain rows of what the day page shows (no model object per row),
    with the day's total, in one query (a window count); a page past the end is clamped to the last."""
    per_page = DAY_APPOINTMENTS_PER_PAGE
    number = min(max(1, page or 1), MAX_PAGE)
    rows = _day_appointments_page(day, number, per_page)
    if not rows and number > 1:
        total = Appointment.select().where(Appointment.day == day, Appointment.status.in_(LIVE_STATUSES)).count()
        number = max(1, -(-total // per_page))
        rows = _day_appointments_page(day, number, per_page)
    total = rows[0][-1] if rows else 0
    items = [DayAppointment(*row[:-1]) for row in rows]
    return Page(items, number, max(1, -(-total // per_page)), total, per_page)


def _names(appointments):
    listed = [f"{a.client.name} ({a.exam_code})" for a in appointments[:MAX_NAMES_LISTED]]
    if len(appointments) > MAX_NAMES_LISTED:
        listed.append(str(_l("and %(n)s more", n=len(appointments) - MAX_NAMES_LISTED)))
    return ", ".join(listed) or "—"


def _parse_capacity(capacity):
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
        message = _l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY)
        raise ValidationError(message, {"capacity": message})
    return capacity


def set_slot_capacity(actor, slot_id, capacity):
    """Change one slot's capacity; never below its bookings, holds and places reserved for companies
    (the bookings are listed in the refusal)."""
    slot = Slot.get_or_none(Slot.id == slot_id) if valid_id(slot_id) else None
    if slot is None:
        raise NotFound(_l("No such slot."))
    _parse_capacity(capacity)
    with db.atomic():
        changed = (
            Slot.update(capacity=capacity)
            .where(Slot.id == slot.id, Slot.booked + Slot.held + Slot.reserved <= capacity)
            .execute()
        )
        if not changed:
            slot = Slot.get_by_id(slot.id)
            names = _names([a for a in live_appointments(slot.day) if a.slot_id == slot.id])
            if slot.reserved and slot.booked + slot.held <= capacity:
                message = _l(
                    "%(n)s places of this slot are reserved for company contracts. "
                    "The capacity cannot go below %(min)s.",
                    n=slot.reserved,
                    min=slot.booked + slot.held + slot.reserved,
                )
            else:
                message = _l(
                    "%(n)s places are already booked in this slot: %(names)s. Move them first.",
                    n=slot.booked + slot.held,
                    names=names,
                )
            raise ValidationError(message, {"capacity": message})
        audit.record(actor, "capacity.slot_changed", slot, before=slot.capacity, after=capacity)
        if capacity > slot.capacity:
            tasks.defer("waitlist.offer_places", slot.day.isoformat())
    return Slot.get_by_id(slot.id)


def resource_appointments(resource_id, day):
    """Live appointments of a day that use a limited resource, with their clients."""
    return list(
        Appointment.select(Appointment, Client)
        .join(Client)
        .where(
            Appointment.day == day,
            Appointment.status.in_(LIVE_STATUSES),
            Appointment.id.in_(
                AppointmentItem.select(AppointmentItem.appointment).where(AppointmentItem.resource == resource_id)
            ),
        )
        .order_by(Appointment.id)
    )


def set_resource_capacity(actor, resource_day_id, capacity):
    """Change one resource day's capacity; never below its bookings (those are listed in the refusal)."""
    row = ResourceDay.get_or_none(ResourceDay.id == resource_day_id) if valid_id(resource_day_id) else None
    if row is None:
        raise NotFound(_l("No such resource day."))
    _parse_capacity(capacity)
    with db.atomic():
        changed = (
            ResourceDay.update(capacity=capacity)
            .where(ResourceDay.id == row.id, ResourceDay.booked + ResourceDay.held <= capacity)
            .execute()
        )
        if not changed:
            row = ResourceDay.get_by_id(row.id)
            names = _names(resource_appointments(row.resource_id, row.day))
            message = _l(
                "%(n)s places are already booked for this resource that day: %(names)s. Move them first.",
                n=row.booked + row.held,
                names=names,
            )
            raise ValidationError(message, {"capacity": message})
        audit.record(actor, "capacity.resource_changed", row, before=row.capacity, after=capacity)
        if capacity > row.capacity:
            tasks.defer("waitlist.offer_places", row.day.isoformat())
    return ResourceDay.get_by_id(row.id)


def close_day(actor, day, note=""):
    """Close a day for new bookings; returns its live appointments, which need rescheduling."""
    with db.atomic():
        closed = Slot.update(closed=True).where(Slot.day == day).execute()
        if not closed:
            raise ValidationError(_l("There are no slots on %(day)s.", day=day))
        audit.record(actor, "capacity.day_closed", None, day=str(day), note=note[:200])
    return live_appointments(day)


def reopen_day(actor, day):
    with db.atomic():
        reopened = Slot.update(closed=False).where(Slot.day == day).execute()
        if not reopened:
            raise ValidationError(_l("There are no slots on %(day)s.", day=day))
        audit.record(actor, "capacity.day_reopened", None, day=str(day))
        tasks.defer("waitlist.offer_places", day.isoformat())


class CalendarSlot(NamedTuple):
    """A slot as the month calendar counts it."""

    capacity: int
    booked: int
    held: int
    reserved: int
    closed: bool


class ResourceName(NamedTuple):
    """What a calendar shows of a limited resource (``localized`` reads the names)."""

    code: str
    name_en: str
    name_zh: str


class CalendarResource(NamedTuple):
    """A resource day as the month calendar shows it."""

    booked: int
    held: int
    capacity: int
    resource: ResourceName


@dataclass
class CalendarDay:
    day: datetime.date
    slots: list  # CalendarSlot
    resources: list  # CalendarResource

    @property
    def capacity(self):
        return sum(s.capacity for s in self.slots)

    @property
    def booked(self):
        """Places taken: booked, held for the waitlist or reserved for group contracts."""
        return sum(s.booked + s.held + s.reserved for s in self.slots)

    @property
    def closed(self):
        return bool(self.slots) and all(s.closed for s in self.slots)

    @property
    def fill(self):
        return self.booked / self.capacity if self.capacity else 0.0


def _month_slots_query(first, last):
    return (
        Slot.select(Slot.day, Slot.capacity, Slot.booked, Slot.held, Slot.reserved, Slot.closed)
        .where(Slot.day.between(first, last))
        .order_by(Slot.day, Slot.start_time)
    )


def _month_resources_query(first, last):
    return (
        ResourceDay.select(
            ResourceDay.day,
            ResourceDay.booked,
            ResourceDay.held,
            ResourceDay.capacity,
            Resource.code,
            Resource.name_en,
            Resource.name_zh,
        )
        .join(Resource)
        .where(ResourceDay.day.between(first, last))
        .order_by(ResourceDay.day, Resource.code)
    )


# built once, prepared on PostgreSQL: the capacity calendar reads both on every visit
_MONTH_SLOTS = PreparedSelect(_month_slots_query, "checkup_capacity_month_slots")
_MONTH_RESOURCES = PreparedSelect(_month_resources_query, "checkup_capacity_month_resources")


def month_calendar(year, month):
    """Every day of the month with its slots and resource days, in two queries (read as plain rows: a month
    has some two hundred)."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    days = {
        first + datetime.timedelta(days=i): CalendarDay(first + datetime.timedelta(days=i), [], [])
        for i in range((last - first).days + 1)
    }
    for day, *counts in _MONTH_SLOTS.plain(first, last):
        days[day].slots.append(CalendarSlot(*counts))
    names = {}
    for day, booked, held, capacity, *resource in _MONTH_RESOURCES.plain(first, last):
        name = names.get(resource[0]) or names.setdefault(resource[0], ResourceName(*resource))
        days[day].resources.append(CalendarResource(booked, held, capacity, name))
    return list(days.values())


@dataclass
class CapacityDay:
    """One day as the scheduler edits it: slots, resource days, one page of its live appointments."""

    day: datetime.date
    slots: list
    resources: list
    appointments_page: Page

    @property
    def appointments(self):
        return self.appointments_page.items

    @property
    def closed(self):
        return bool(self.slots) and all(s.closed for s in self.slots)


class DaySlot(NamedTuple):
    """A slot as the capacity day page and the day sheet show it (read as a plain row of SLOT_COLUMNS: no
    model object)."""

    id: int
    day: datetime.date
    start_time: datetime.time
    end_time: datetime.time
    capacity: int
    booked: int
    held: int
    reserved: int
    closed: bool


# a DaySlot's columns, in its order
SLOT_COLUMNS = (
    Slot.id,
    Slot.day,
    Slot.start_time,
    Slot.end_time,
    Slot.capacity,
    Slot.booked,
    Slot.held,
    Slot.reserved,
    Slot.closed,
)


class DayResource(NamedTuple):
    """A resource day as the capacity day page shows it, with its resource's code and names."""

    id: int
    capacity: int
    booked: int
    held: int
    resource: ResourceName


def _day_slots_query(day):
    return Slot.select(*SLOT_COLUMNS).where(Slot.day == day).order_by(Slot.start_time)


def _day_resources_query(day):
    return (
        ResourceDay.select(
            ResourceDay.id,
            ResourceDay.capacity,
            ResourceDay.booked,
            ResourceDay.held,
            Resource.code,
            Resource.name_en,
            Resource.name_zh,
        )
        .join(Resource)
        .where(ResourceDay.day == day)
        .order_by(Resource.code)
    )


# built once, prepared on PostgreSQL: the day page reads both on every visit (as plain rows: model objects
# of a dozen slots and resource days with their resources cost more than the reading)
_DAY_SLOTS = PreparedSelect(_day_slots_query, "checkup_capacity_day_slots")
_DAY_RESOURCES = PreparedSelect(_day_resources_query, "checkup_capacity_day_resources")


def capacity_day(day, page=1):
    """The day's slots (DaySlot), resource days with their resources (DayResource) and a page of its live
    appointments, in three queries."""
    slots = [DaySlot(*row) for row in _DAY_SLOTS.plain(day)]
    resources = [
        DayResource(row_id, capacity, booked, held, ResourceName(*names))
        for row_id, capacity, booked, held, *names in _DAY_RESOURCES.plain(day)
    ]
    appointments = day_appointments(day, page) if slots else Page([], 1, 1, 0, DAY_APPOINTMENTS_PER_PAGE)
    return CapacityDay(day, slots, resources, appointments)


def get_slot(slot_id):
    slot = Slot.get_or_none(Slot.id == slot_id) if valid_id(slot_id) else None
    if slot is None:
        raise NotFound(_l("No such slot."))
    return slot


def get_resource_day(resource_day_id):
    row = (
        (ResourceDay.select(ResourceDay, Resource).join(Resource).where(ResourceDay.id == resource_day_id).first())
        if valid_id(resource_day_id)
        else None
    )
    if row is None:
        raise NotFound(_l("No such resource day."))
    return row


def recount_booked(days=None):
    """Set every slot's and resource day's ``booked`` to the appointments holding a place there, and every
    slot's ``reserved`` to the places its group reservations still hold (not released).

    For data made outside the booking service (the demo's history, a migration of old records). A
    capacity below the recounted places is raised to them.
    """
    slots = Slot.select()
    resource_days = ResourceDay.select()
    if days is not None:
        slots, resource_days = slots.where(Slot.day.in_(days)), resource_days.where(ResourceDay.day.in_(days))
    per_slot = dict(
        Appointment.select(Appointment.slot, fn.COUNT(Appointment.id))
        .where(Appointment.status.in_(PLACE_STATUSES))
        .group_by(Appointment.slot)
        .tuples()
    )
    per_resource = dict(
        (
            ((r, d), n)
            for r, d, n in AppointmentItem.select(
                AppointmentItem.resource, Appointment.day, fn.COUNT(fn.DISTINCT(Appointment.id))
            )
            .join(Appointment)
            .where(Appointment.status.in_(PLACE_STATUSES), AppointmentItem.resource.is_null(False))
            .group_by(AppointmentItem.resource, Appointment.day)
            .tuples()
        )
    )
    per_reservation = dict(
        ContractReservation.select(ContractReservation.slot, fn.SUM(ContractReservation.remaining))
        .where(ContractReservation.released_at.is_null())
        .group_by(ContractReservation.slot)
        .tuples()
    )
    with db.atomic():
        for slot in slots:
            wanted = per_slot.get(slot.id, 0)
            reserved = int(per_reservation.get(slot.id) or 0)
            if (slot.booked, slot.reserved) != (wanted, reserved):
                Slot.update(
                    booked=wanted, reserved=reserved, capacity=max(slot.capacity, wanted + slot.held + reserved)
                ).where(Slot.id == slot.id).execute()
        for row in resource_days:
            wanted = per_resource.get((row.resource_id, row.day), 0)
            if row.booked != wanted:
                ResourceDay.update(booked=wanted, capacity=max(row.capacity, wanted + row.held)).where(
                    ResourceDay.id == row.id
                ).execute()
