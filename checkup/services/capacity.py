"""The scheduler's capacity: weekly templates, slot and resource capacities, closing days."""
import calendar
import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from checkup import jobs
from checkup.extensions import db
from checkup.models import Appointment, Client, Resource, ResourceDay, Slot
from checkup.models.appointments import LIVE_STATUSES
from checkup.services import audit
from checkup.services.errors import NotFound, ValidationError

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


@dataclass
class SlotSpec:
    start: datetime.time
    end: datetime.time
    capacity: int


def validate_specs(specs):
    errors = []
    for number, spec in enumerate(specs, 1):
        if spec.start >= spec.end:
            errors.append(_l("Slot %(n)s ends before it starts.", n=number))
        if not 0 <= spec.capacity <= MAX_CAPACITY:
            errors.append(_l("Slot %(n)s needs a capacity from 0 to %(max)s.", n=number, max=MAX_CAPACITY))
    ordered = sorted(specs, key=lambda s: s.start)
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            errors.append(_l("Slots %(a)s and %(b)s overlap.", a=before.start.strftime("%H:%M"),
                             b=after.start.strftime("%H:%M")))
    if not specs:
        errors.append(_l("Add at least one slot."))
    if errors:
        raise ValidationError(errors[0], {"slots": " ".join(str(e) for e in errors)})


def apply_template(actor, start, end, weekdays, specs, resource_capacities=None):
    """Open slots (and resource days) on every chosen weekday from ``start`` to ``end``.

    Existing slots keep their bookings; their capacity is raised or lowered to the
    template's only when it stays at or above what is booked. Returns counts.
    """
    if start > end:
        raise ValidationError(_l("The end date is before the start date."), {"end": _l("The end date is before the start date.")})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationError(_l("Apply a template to at most one year at a time."),
                              {"end": _l("Apply a template to at most one year at a time.")})
    if not weekdays:
        raise ValidationError(_l("Choose at least one weekday."), {"weekdays": _l("Choose at least one weekday.")})
    validate_specs(specs)
    resources = resource_capacities or {r.id: r.daily_capacity
                                        for r in Resource.select().where(Resource.active == True)}  # noqa: E712
    created = kept = 0
    with db.atomic():
        day = start
        while day <= end:
            if day.weekday() in weekdays:
                for spec in specs:
                    slot = Slot.get_or_none(Slot.day == day, Slot.start_time == spec.start)
                    if slot is None:
                        Slot.create(day=day, start_time=spec.start, end_time=spec.end, capacity=spec.capacity)
                        created += 1
                    else:
                        (Slot.update(capacity=spec.capacity, end_time=spec.end)
                         .where(Slot.id == slot.id, Slot.booked + Slot.held <= spec.capacity).execute())
                        kept += 1
                for resource_id, capacity in resources.items():
                    row = ResourceDay.get_or_none(ResourceDay.resource == resource_id, ResourceDay.day == day)
                    if row is None:
                        ResourceDay.create(resource=resource_id, day=day, capacity=capacity)
            day += datetime.timedelta(days=1)
        audit.record(actor, "capacity.template_applied", None, start=str(start), end=str(end),
                     weekdays=sorted(weekdays), slots=len(specs))
    jobs.enqueue("checkup.services.waitlist.offer_free_places_between", start.isoformat(), end.isoformat())
    return {"created": created, "updated": kept}


def live_appointments(day):
    """Live appointments of a day with their clients, for rescheduling lists."""
    return list(Appointment.select(Appointment, Client).join(Client)
                .where(Appointment.day == day, Appointment.status.in_(LIVE_STATUSES))
                .order_by(Appointment.id))


def set_slot_capacity(actor, slot_id, capacity):
    """Change one slot's capacity; never below its bookings (those are listed in the refusal)."""
    slot = Slot.get_or_none(Slot.id == slot_id)
    if slot is None:
        raise NotFound(_l("No such slot."))
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ValidationError(_l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY),
                              {"capacity": _l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY)})
    with db.atomic():
        changed = (Slot.update(capacity=capacity)
                   .where(Slot.id == slot.id, Slot.booked + Slot.held <= capacity).execute())
        if not changed:
            names = ", ".join(f"{a.client.name} ({a.exam_code})" for a in live_appointments(slot.day)
                              if a.slot_id == slot.id)
            message = _l("%(n)s places are already booked in this slot: %(names)s. Move them first.",
                         n=slot.booked + slot.held, names=names or "—")
            raise ValidationError(message, {"capacity": message})
        audit.record(actor, "capacity.slot_changed", slot, before=slot.capacity, after=capacity)
    if capacity > slot.capacity:
        jobs.enqueue("checkup.services.waitlist.offer_free_places", slot.day.isoformat())
    return Slot.get_by_id(slot.id)


def set_resource_capacity(actor, resource_day_id, capacity):
    row = ResourceDay.get_or_none(ResourceDay.id == resource_day_id)
    if row is None:
        raise NotFound(_l("No such resource day."))
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ValidationError(_l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY),
                              {"capacity": _l("Enter a capacity from 0 to %(max)s.", max=MAX_CAPACITY)})
    with db.atomic():
        changed = (ResourceDay.update(capacity=capacity)
                   .where(ResourceDay.id == row.id, ResourceDay.booked + ResourceDay.held <= capacity).execute())
        if not changed:
            message = _l("%(n)s places are already booked for this resource that day. Move them first.",
                         n=row.booked + row.held)
            raise ValidationError(message, {"capacity": message})
        audit.record(actor, "capacity.resource_changed", row, before=row.capacity, after=capacity)
    if capacity > row.capacity:
        jobs.enqueue("checkup.services.waitlist.offer_free_places", row.day.isoformat())
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
        Slot.update(closed=False).where(Slot.day == day).execute()
        audit.record(actor, "capacity.day_reopened", None, day=str(day))
    jobs.enqueue("checkup.services.waitlist.offer_free_places", day.isoformat())


@dataclass
class CalendarDay:
    day: datetime.date
    slots: list
    resources: list

    @property
    def capacity(self):
        return sum(s.capacity for s in self.slots)

    @property
    def booked(self):
        return sum(s.booked + s.held for s in self.slots)

    @property
    def closed(self):
        return bool(self.slots) and all(s.closed for s in self.slots)

    @property
    def fill(self):
        return self.booked / self.capacity if self.capacity else 0.0


def month_calendar(year, month):
    """Every day of the month with its slots and resource days, in two queries."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    days = {first + datetime.timedelta(days=i): CalendarDay(first + datetime.timedelta(days=i), [], [])
            for i in range((last - first).days + 1)}
    for slot in Slot.select().where(Slot.day.between(first, last)).order_by(Slot.day, Slot.start_time):
        days[slot.day].slots.append(slot)
    for row in (ResourceDay.select(ResourceDay, Resource).join(Resource)
                .where(ResourceDay.day.between(first, last)).order_by(ResourceDay.day, Resource.code)):
        days[row.day].resources.append(row)
    return list(days.values())
