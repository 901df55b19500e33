"""Guidance (导检): the station to suggest next to a checked-in client, for the floor's guidance screen and
the client's own phone.

Among the stations the client still needs (not the one they are in), those allowed now are the ones no
other remaining station must come before (the catalog's order rules), and — while a station with a fasting
item remains — only the stations before breakfast (``station_order.order_stations`` draws that line). Of
those, the least loaded (clients waiting there and in it, ``station_queue``) is suggested; a tie goes to
the one that comes first in the suggested order.
"""

import datetime
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from checkup.core import change_marks, clock
from checkup.core.arguments import valid_id
from checkup.core.errors import NotFound
from checkup.core.pagination import Page, paginate, whole_count
from checkup.core.prepared import PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ExamItem,
    Result,
    Slot,
    StationOrderRule,
    StationVisit,
)
from checkup.models.appointments import BOOKED, CHECKED_IN, COMPLETED
from checkup.services.catalog import station_order
from checkup.services.exam import specimens, station_queue, station_scan

GUIDE_PAGE_ROWS = 30  # station_queue.FEW_CLIENTS: the page's floor reads are prepared for this many
KEPT_PAGES = 40  # pages of the guidance screen shared until the floor changes (1,200 clients); later ones are read


def next_stop(stops, loads, rules):
    """(the suggested next Stop or None, ``stops`` in the suggested order). ``stops``: the stations still
    to do (station_order.Stop); ``loads``: {station id: clients waiting + in progress}; ``rules``: (before,
    after) station id pairs. Pure."""
    ordered = station_order.order_stations(stops, rules)
    if not ordered:
        return None, ordered
    last_fasting = max((n for n, stop in enumerate(ordered) if stop.fasting), default=None)
    before_breakfast = {s.station_id for s in ordered[: last_fasting + 1]} if last_fasting is not None else None
    present = {s.station_id for s in ordered}
    must_wait = {after for before, after in rules if before in present and before != after}
    allowed = [
        (loads.get(stop.station_id, 0), n, stop)
        for n, stop in enumerate(ordered)
        if stop.station_id not in must_wait and (before_breakfast is None or stop.station_id in before_breakfast)
    ]
    if not allowed:  # the rules make a cycle: follow the suggested order
        return ordered[0], ordered
    return min(allowed, key=lambda entry: entry[:2])[2], ordered


@dataclass
class Guide:
    """Where a client stands on the floor and where to go next."""

    appointment_id: int
    current: object = None  # the Department they are in now, or None
    next: object = None  # the suggested Department, or None (nothing left, or only the current one)
    next_load: int = 0  # clients waiting at the suggested station and in it
    still_to_do: list = field(default_factory=list)  # Departments in the suggested order (current excluded)
    done: int = 0
    total: int = 0
    fasting_left: bool = False  # a station with a fasting item is still to do: no breakfast yet

    @property
    def finished(self):
        return self.total > 0 and self.current is None and not self.still_to_do


def _guide(appointment_id, state, stations, rules):
    pairs = state.pairs.get(appointment_id, {})
    current_id = state.current_station(appointment_id)
    guide = Guide(appointment_id, current=stations.get(current_id), total=len(pairs))
    guide.done = sum(1 for p in pairs.values() if p.done)
    stops = [
        station_order.Stop(
            p.station_id, stations[p.station_id].sort_order, stations[p.station_id].code, fasting=p.fasting
        )
        for p in pairs.values()
        if not p.done and p.station_id != current_id and p.station_id in stations
    ]
    loads = {sid: load.load for sid, load in state.loads.items()}
    suggested, ordered = next_stop(stops, loads, rules)
    guide.still_to_do = [stations[s.station_id] for s in ordered]
    guide.fasting_left = any(s.fasting for s in ordered)
    if suggested is not None:
        guide.next = stations[suggested.station_id]
        guide.next_load = loads.get(suggested.station_id, 0)
    return guide


@dataclass
class GuideRow:
    appointment: Appointment  # with client and slot
    guide: Guide


@dataclass
class FloorGuidance:
    page: object  # core.pagination.Page of GuideRow
    loads: list  # StationLoad of every station, in floor order


def _checked_in_query(day, limit, offset):
    return (
        Appointment.select(
            Appointment.id, Appointment.exam_code, Client.id, Client.name, Slot.id, Slot.start_time, whole_count()
        )
        .join_from(Appointment, Client)
        .join_from(Appointment, Slot)
        .where(Appointment.day == day, Appointment.status == CHECKED_IN)
        .order_by(Slot.start_time, Client.name, Appointment.id)
        .limit(limit)
        .offset(offset)
    )


# the guidance screen polls its page every 10 s: its SQL is built once per process (values nothing equals
# stand for the day, the limit and the offset)
_CHECKED_IN_PAGE = PreparedSelect(
    _checked_in_query, "checkup_floor_checked_in_page", (datetime.date(1901, 2, 3), -2_000_000_101, -2_000_000_102)
)


def _checked_in_page(day, page_number):
    """One page of the day's checked-in appointments, by slot time then name: only what the screen shows
    (exam code, client name, slot start), counted in the same query (as ``counted_page`` reads it, the select
    prepared)."""
    number = max(1, page_number or 1)
    rows = _CHECKED_IN_PAGE.plain(day, GUIDE_PAGE_ROWS, (number - 1) * GUIDE_PAGE_ROWS)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        page = Page([row[:-1] for row in rows], number, max(1, -(-total // GUIDE_PAGE_ROWS)), total, GUIDE_PAGE_ROWS)
    else:  # past the end: counted and clamped as counted_page does
        page = paginate(_checked_in_query(day, None, None).tuples(), number, GUIDE_PAGE_ROWS)
        page.items = [row[:-1] for row in page.items]
    page.items = [
        Appointment(id=aid, exam_code=code, client=Client(id=cid, name=name), slot=Slot(id=sid, start_time=start))
        for aid, code, cid, name, sid, start in page.items
    ]
    return page


def floor_guidance(page_number=1, day=None):
    """One page of the day's checked-in clients (by slot time, then name) with where each is and the
    station suggested next, and every station's load. Five queries whatever the number of clients."""
    day = day or clock.today()
    page = _checked_in_page(day, page_number)
    state = station_queue.floor_state(day, [a.id for a in page.items])
    stations = {load.station.id: load.station for load in state.loads.values()}
    rules = station_order.rule_pairs()
    page.items = [GuideRow(a, _guide(a.id, state, stations, rules)) for a in page.items]
    return FloorGuidance(page, list(state.loads.values()))


def kept_floor_guidance(page_number=1, day=None):
    """``floor_guidance`` as the guidance screens see it (they poll every 10 s, and the desk and the stations
    open it): shared until anything on the floor changes (core/change_marks) or for 2 s at most. A page past
    KEPT_PAGES is read on every call."""
    day = day or clock.today()
    if page_number > KEPT_PAGES:
        return floor_guidance(page_number, day)
    return change_marks.kept_until_change(
        f"floor.guidance.{day.isoformat()}.{page_number}", lambda: floor_guidance(page_number, day)
    )


# --- the client's own card -------------------------------------------------------------------------

NOT_TODAY, NOT_CHECKED_IN, ON_THE_FLOOR, COMPLETE = "not_today", "not_checked_in", "on_the_floor", "complete"


@dataclass
class ClientCard:
    appointment: Appointment
    state: str  # NOT_TODAY | NOT_CHECKED_IN | ON_THE_FLOOR | COMPLETE
    guide: Guide | None = None
    as_of: datetime.datetime | None = None


def todays_appointment_id(client_id):
    """The id of the client's appointment today (booked, checked in or done), or None (one query)."""
    row = (
        Appointment.select(Appointment.id)
        .where(
            Appointment.client == client_id,
            Appointment.day == clock.today(),
            Appointment.status.in_((BOOKED, CHECKED_IN, COMPLETED)),
        )
        .order_by(Appointment.id.desc())
        .first()
    )
    return row.id if row else None


def client_card(client_id, appointment_id):
    """The "where next" card of the client's own appointment: NotFound for anyone else's (the same answer as
    a missing one). On the exam day, once checked in: where they are, the station suggested next and how
    many are there, what is left. Five queries."""
    appointment = (
        Appointment.select(Appointment, Slot)
        .join(Slot)
        .where(Appointment.id == appointment_id, Appointment.client == client_id)
        .first()
    )
    if appointment is None:
        raise NotFound(_l("We could not find that appointment."))
    if appointment.status == COMPLETED:
        return ClientCard(appointment, COMPLETE)
    if appointment.day != clock.today():
        return ClientCard(appointment, NOT_TODAY)
    if appointment.status != CHECKED_IN:
        return ClientCard(appointment, NOT_CHECKED_IN)
    state = station_queue.floor_state(appointment.day, [appointment.id])
    stations = {load.station.id: load.station for load in state.loads.values()}
    guide = _guide(appointment.id, state, stations, station_order.rule_pairs())
    return ClientCard(appointment, COMPLETE if guide.finished else ON_THE_FLOOR, guide, clock.now())


# --- a client's place on the floor, as the desk and the stations see it ----------------------------


def find_on_the_floor(text):
    """The appointment a scanned label or typed exam code names, if it is checked in today. Raises NotFound
    or ValidationError (the scan box shows their message)."""
    appointment, _container = specimens.find_by_scan(text)
    station_scan.require_on_the_floor(appointment)
    return appointment


@dataclass(frozen=True)
class PlacedAppointment:
    """What a client's place shows of their appointment."""

    id: int
    exam_code: str
    day: datetime.date
    status: str
    client_id: int
    client_name: str


@dataclass
class StationState:
    station: object  # Department
    pair: object  # station_queue.Pair
    busy_elsewhere: bool

    @property
    def state(self):
        if self.pair.done:
            return "done"
        if self.pair.in_progress:
            return "in_progress"
        return "elsewhere" if self.busy_elsewhere else "waiting"


@dataclass
class FloorPlace:
    appointment: PlacedAppointment
    guide: Guide
    stations: list  # StationState in the suggested order: done ones first, then the current, then the rest


def _place_query(appointment_id):
    """The appointment with its client's name and, while it is checked in or completed, one row per station of
    its items (as station_queue's pairs: items there, settled, the last result's time, fasting) with its visit
    there; an appointment off the floor gives one row with no station."""
    key = station_queue.station_key()
    return (
        Appointment.select(
            Appointment.id,
            Appointment.exam_code,
            Appointment.day,
            Appointment.status,
            Client.id,
            Client.name,
            key.alias("station_id"),
            fn.COUNT(AppointmentItem.id),
            fn.COUNT(Result.id),
            fn.MAX(Result.entered_at),
            station_queue.fasting_flag(),
            StationVisit.started_at,
            StationVisit.finished_at,
        )
        .join_from(Appointment, Client, on=(Appointment.client == Client.id))
        .join_from(
            Appointment,
            AppointmentItem,
            JOIN.LEFT_OUTER,
            on=((AppointmentItem.appointment == Appointment.id) & Appointment.status.in_(station_queue.FLOOR_STATUSES)),
        )
        .join_from(
            AppointmentItem,
            ExamItem,
            JOIN.LEFT_OUTER,
            on=((AppointmentItem.item == ExamItem.id) & station_queue.not_computed()),
        )
        .join_from(
            AppointmentItem,
            Result,
            JOIN.LEFT_OUTER,
            on=(
                (Result.appointment == AppointmentItem.appointment)
                & (Result.item == AppointmentItem.item)
                & station_queue.result_done()
            ),
        )
        .join_from(
            Appointment,
            StationVisit,
            JOIN.LEFT_OUTER,
            on=(
                (StationVisit.appointment == Appointment.id)
                & (StationVisit.station == key)
                & (StationVisit.day == Appointment.day)
            ),
        )
        .where(Appointment.id == appointment_id)
        .group_by(Appointment.id, Client.id, key, StationVisit.id)
    )


def _place_and_rules_query(appointment_id):
    """``_place_query``'s rows, then the catalog's order rules that order the client's stations (a handful) in
    the same statement: (no appointment, …, before station id, after station id, …) — one round trip."""
    none = SQL("NULL")
    rules = StationOrderRule.select(
        none,
        none,
        none,
        none,
        none,
        none,
        StationOrderRule.before,
        StationOrderRule.after,
        none,
        none,
        none,
        none,
        none,
    )
    return _place_query(appointment_id).union_all(rules)


# the desk's and the stations' screens poll a client's place every 10 s: its SQL is built once per process
_PLACE = PreparedSelect(_place_and_rules_query, "checkup_floor_place", (station_queue.SAMPLE_STATION,))


def _placed(appointment_id):
    """(PlacedAppointment, {station id: station_queue.Pair} of its stations, visits applied, the order rules as
    station_order.rule_pairs gives them) or None, in one query: the appointment, its items, their results and
    its visits by the appointment's indexes, and the rules."""
    rows = _PLACE.plain(appointment_id) if valid_id(appointment_id) else []
    rules = [(row[6], row[7]) for row in rows if row[0] is None]
    rows = [row for row in rows if row[0] is not None]
    if not rows:
        return None
    appointment = PlacedAppointment(*rows[0][:6])
    completed = appointment.status == COMPLETED
    pairs = {}
    for *_appointment, station_id, total, resulted, last_at, fasting, started, finished in rows:
        if station_id is None:  # off the floor, or its computed items (they follow from others)
            continue
        pair = pairs[station_id] = station_queue.Pair(
            appointment.id, station_id, total, resulted, last_at, bool(fasting), completed
        )
        pair.started_at, pair.finished_at = started, finished
    return appointment, pairs, rules


def floor_place(appointment_id):
    """A client's place on the floor (one query: the appointment with its stations and the order rules; the
    stations' loads may be a few seconds old, station_queue.station_loads): where they are, the station
    suggested next, the state of each of their stations. Raises NotFound."""
    found = _placed(appointment_id)
    if found is None:
        raise NotFound(_l("We could not find that appointment."))
    appointment, pairs, rules = found
    state = station_queue.FloorState(
        appointment.day, station_queue.station_loads(appointment.day), {appointment.id: pairs} if pairs else {}
    )
    departments = {load.station.id: load.station for load in state.loads.values()}
    guide = _guide(appointment.id, state, departments, rules)
    busy = guide.current is not None
    order = [p for p in pairs.values() if p.done]
    order.sort(key=lambda p: (p.done_at or datetime.datetime.max, p.station_id))
    if guide.current is not None:
        order.append(pairs[guide.current.id])
    order += [pairs[d.id] for d in guide.still_to_do]
    stations = [StationState(departments[p.station_id], p, busy) for p in order if p.station_id in departments]
    return FloorPlace(appointment, guide, stations)
