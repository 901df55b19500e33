"""The exam floor's queues: scanning a client in at a station, and who waits for each station, who is in it,
who is done there and how long a client takes.

A client *needs* a station on their exam day when an item of theirs is done there (the item's ``station``,
else its department; computed items are left out, they follow from others). For one appointment at one
station:

- **done**: every item there is resulted or skipped, or the visit there finished (the station said done, or
  the client was scanned in at another station: a client is in one room at a time). A completed checkup
  (report signed) is done everywhere;
- **in progress**: a visit started (the station scanned the client in) and not done;
- **waiting**: neither, and the client is not in progress at another station.

Done-by-results is read from the results, never stored, so a result saved anywhere (station form, instrument
import) moves the client on at once. Every board and overview issues a fixed number of queries whatever the
number of clients.
"""

import datetime
import hashlib
import threading
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, IntegrityError, fn

from checkup.core import audit, clock
from checkup.core.errors import NotFound, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.labels import choice_label
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, Department, ExamItem, Result, Slot, StationVisit
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db, utcnow
from checkup.services.catalog import containers
from checkup.services.catalog.packages import age_on
from checkup.services.exam import derived_items, specimens

FLOOR_STATUSES = (CHECKED_IN, COMPLETED)
FLOOR_LOADS_MAX_AGE_SECONDS = 5.0  # app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] overrides it (see station_loads)
FLOOR_BOARD_MAX_AGE_SECONDS = 2.0  # app.config["FLOOR_BOARD_MAX_AGE_SECONDS"]: see kept_station_board
WAITING_SHOWN = 40  # rows of a board's waiting list (the count is always whole)
DONE_SHOWN = 15  # the latest clients done at a station
RESULTS_FORM, VISIT_FORM = "results", "visit"


def station_key():
    """Where an item is done: its own station, else its department."""
    return fn.COALESCE(ExamItem.station, ExamItem.department)


def _result_done():
    """A result that settles its item: a value, or a recorded skip (as the review queue counts it)."""
    return (Result.skipped == True) | Result.value_num.is_null(False) | (Result.value_text != "")  # noqa: E712


def _not_computed():
    return ExamItem.code.not_in(sorted(derived_items.FORMULAS))


def _fasting():
    """1 when an item of the group is done fasting, else 0. The numbers are written in the SQL: as
    parameters of a prepared statement PostgreSQL would take them for text ('0' is true in Python)."""
    return fn.MAX(Case(None, [(ExamItem.fasting == True, SQL("1"))], SQL("0")))  # noqa: E712


def _pair_query(day, *columns):
    """(appointment, station) rows of the day's checked-in and completed appointments: items there, items
    settled, the last result's time and whether one is done fasting. ``columns``: more to select."""
    key = station_key()
    fasting = _fasting()
    return (
        AppointmentItem.select(
            Appointment.id,
            key.alias("station_id"),
            Appointment.status,
            fn.COUNT(AppointmentItem.id).alias("total"),
            fn.COUNT(Result.id).alias("resulted"),
            fn.MAX(Result.entered_at).alias("last_result_at"),
            fasting.alias("fasting"),
            *columns,
        )
        .join(Appointment, on=(AppointmentItem.appointment == Appointment.id))
        .join_from(AppointmentItem, ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .join_from(
            AppointmentItem,
            Result,
            JOIN.LEFT_OUTER,
            on=(
                (Result.appointment == AppointmentItem.appointment)
                & (Result.item == AppointmentItem.item)
                & _result_done()
            ),
        )
        .where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES), _not_computed())
    )


@dataclass
class Pair:
    """One appointment at one station (see module doc)."""

    appointment_id: int
    station_id: int
    total: int
    resulted: int
    last_result_at: datetime.datetime | None
    fasting: bool
    completed: bool
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None

    @property
    def pending(self):
        return max(0, self.total - self.resulted)

    @property
    def done(self):
        return self.completed or self.resulted >= self.total or self.finished_at is not None

    @property
    def in_progress(self):
        return self.started_at is not None and not self.done

    @property
    def done_at(self):
        """When the client was done here: the visit's end, else the last result (None if not done)."""
        if not self.done:
            return None
        return self.finished_at or self.last_result_at

    @property
    def minutes(self):
        """Minutes the visit took, when it was scanned in and is done (None otherwise)."""
        end = self.done_at
        if self.started_at is None or end is None or end < self.started_at:
            return None
        return (end - self.started_at).total_seconds() / 60


def _pair(row):
    appointment_id, station_id, status, total, resulted, last_at, fasting = row[:7]
    return Pair(appointment_id, station_id, total, resulted, last_at, bool(fasting), status == COMPLETED)


def station_item_ids(station_id):
    """Ids of the items done at ``station_id`` (its own station, else its department; computed ones left out),
    read from the catalog first so the day's queries look items up by id, which the indexes serve."""
    return [
        item_id
        for (item_id,) in ExamItem.select(ExamItem.id)
        .where(
            (ExamItem.station == station_id) | (ExamItem.station.is_null() & (ExamItem.department == station_id)),
            _not_computed(),
        )
        .tuples()
    ]


def _open_elsewhere_query(day, station_id):
    item = AppointmentItem.alias()
    to_do = (
        item.select(SQL("1"))
        .join(ExamItem, on=(item.item == ExamItem.id))
        .join_from(
            item,
            Result,
            JOIN.LEFT_OUTER,
            on=((Result.appointment == item.appointment) & (Result.item == item.item) & _result_done()),
        )
        .where(
            item.appointment == StationVisit.appointment,
            station_key() == StationVisit.station,
            Result.id.is_null(),
            _not_computed(),
        )
    )
    return StationVisit.select(StationVisit.appointment).where(
        StationVisit.day == day,
        StationVisit.finished_at.is_null(),
        StationVisit.station != station_id,
        fn.EXISTS(to_do),
    )


# values nothing in the floor's queries equals, to find where the day and the station stand among the
# parameters (the others are the queries' own constants)
_SAMPLE_DAY, _SAMPLE_STATION = datetime.date(1901, 2, 3), -2_000_000_001
# the boards' queries run on every board read (a station's screens poll every 5 s): built once per process
_OPEN_ELSEWHERE = PreparedSelect(_open_elsewhere_query, "checkup_floor_open_elsewhere", (_SAMPLE_DAY, _SAMPLE_STATION))


def _open_elsewhere(day, station_id):
    """Ids of the day's appointments with an open visit at a station other than ``station_id`` and an item
    there still to do (one query, from the day's open visits: a few per client in the building; each
    visit's items are read by its appointment, so no plan walks the day's appointments or their items).

    Completed appointments are not told apart here: the board, the only caller, reads them as done
    everywhere before it asks whether a client is busy elsewhere."""
    return {appointment_id for (appointment_id,) in _OPEN_ELSEWHERE.plain(day, station_id)}


# --- a station's board ------------------------------------------------------------------------------


@dataclass
class BoardRow:
    appointment_id: int
    exam_code: str
    name: str
    sex: str
    age: int
    slot_start: datetime.time
    pair: Pair

    @property
    def pending(self):
        return self.pair.pending


@dataclass
class Board:
    station: Department
    day: datetime.date
    waiting: list = field(default_factory=list)  # BoardRow, the first WAITING_SHOWN
    waiting_count: int = 0
    in_progress: list = field(default_factory=list)
    done: list = field(default_factory=list)  # the latest DONE_SHOWN, newest first
    done_count: int = 0
    average_minutes: float | None = None
    as_of: datetime.datetime = field(default_factory=utcnow)

    @property
    def waiting_more(self):
        return self.waiting_count - len(self.waiting)

    def minutes_since(self, moment):
        """Whole minutes from ``moment`` (stored UTC) to when the board was read."""
        return max(0, int((self.as_of - moment).total_seconds() // 60)) if moment else 0


def _average(minutes):
    minutes = [m for m in minutes if m is not None]
    return round(sum(minutes) / len(minutes), 1) if minutes else None


def _board_query(day, station_id, item_ids):
    visit = StationVisit.alias()
    day_ids = Appointment.select(Appointment.id).where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES))
    fasting = _fasting()
    items = (
        AppointmentItem.select(
            AppointmentItem.appointment.alias("appointment_id"),
            fn.COUNT(AppointmentItem.id).alias("total"),
            fasting.alias("fasting"),
        )
        .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment.in_(day_ids), AppointmentItem.item.in_(item_ids))
        .group_by(AppointmentItem.appointment)
        .alias("items_here")
    )
    settled = (
        Result.select(
            Result.appointment.alias("appointment_id"),
            fn.COUNT(Result.id).alias("resulted"),
            fn.MAX(Result.entered_at).alias("last_at"),
        )
        .where(Result.appointment.in_(day_ids), Result.item.in_(item_ids), _result_done())
        .group_by(Result.appointment)
        .alias("settled_here")
    )
    return (
        Appointment.select(
            Appointment.id,
            Appointment.status,
            items.c.total,
            fn.COALESCE(settled.c.resulted, SQL("0")),
            settled.c.last_at.converter(Result.entered_at.python_value),  # SQLite answers text
            items.c.fasting,
            visit.started_at,
            visit.finished_at,
            Slot.start_time,
            Appointment.updated_at,
        )
        .join(items, on=(items.c.appointment_id == Appointment.id))
        .join_from(Appointment, settled, JOIN.LEFT_OUTER, on=(settled.c.appointment_id == Appointment.id))
        .join_from(Appointment, Slot, on=(Appointment.slot == Slot.id))
        .join_from(
            Appointment,
            visit,
            JOIN.LEFT_OUTER,
            on=((visit.appointment == Appointment.id) & (visit.station == station_id)),
        )
        .where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES))
    )


# {(station id, its item ids): the board's select}: built once per process and station (and catalog change)
_board_selects: dict = {}
_board_selects_lock = threading.Lock()


def _board_select(station_id, item_ids):
    key = (station_id, tuple(sorted(item_ids)))
    prepared = _board_selects.get(key)
    if prepared is None:
        with _board_selects_lock:
            prepared = _board_selects.get(key)
            if prepared is None:
                digest = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
                prepared = PreparedSelect(
                    lambda day: _board_query(day, station_id, key[1]),
                    f"checkup_floor_board_{station_id}_{digest}",
                    (_SAMPLE_DAY,),
                )
                _board_selects[key] = prepared
    return prepared


def _board_pairs(day, station_id, item_ids):
    """(Pair, slot start, updated at) of every appointment of the day at the station: its items there
    (``item_ids``), how many are settled, the last result's time and its visit here, in one query (no client
    data: only the rows shown are read). The items and the settled results are counted per appointment in
    two grouped subqueries, each reading the day's appointments' rows by appointment (one index range each)
    rather than probing a result per item (14,000 probes at 900 clients: most of the board's time). A
    result is only ever saved for an item of the checkup and an appointment's items are never removed, so
    counting the results by themselves counts the same ones.

    The station's items are constants of the statement (one prepared statement per station): with the
    station as a parameter instead, PostgreSQL's generic plan could not tell how many items it keeps and
    chose nested loops over the items that cost a second."""
    for appointment_id, status, total, resulted, last_at, fast, started, finished, start, updated in _board_select(
        station_id, item_ids
    ).plain(day):
        pair = Pair(appointment_id, station_id, total, resulted, last_at, bool(fast), status == COMPLETED)
        pair.started_at, pair.finished_at = started, finished
        yield pair, start, updated


def _shown_clients(appointment_ids):
    """{appointment id: (exam code, name, sex, birth date)} of the rows a board shows (one query)."""
    query = (
        Appointment.select(Appointment.id, Appointment.exam_code, Client.name, Client.sex, Client.birth_date)
        .join(Client, on=(Appointment.client == Client.id))
        .where(Appointment.id.in_(sorted(appointment_ids)))
    )
    return {row[0]: row[1:] for row in query.tuples()}


def station_board(station, day=None):
    """The board of ``station`` (a Department) on ``day`` (today): waiting (by slot time, then check-in
    order), in progress (longest first), done (newest first), and the average minutes per client of the
    visits done. Four queries whatever the number of clients: the station's items (catalog), the day's
    appointments at the station with their counts and visit here, those in progress elsewhere, and the
    names of the clients shown (at most WAITING_SHOWN + DONE_SHOWN + those in progress)."""
    day = day or clock.today()
    board = Board(station=station, day=day)
    pairs = list(_board_pairs(day, station.id, station_item_ids(station.id)))
    busy = _open_elsewhere(day, station.id)
    waiting, in_progress, done = [], [], []
    for pair, start, updated_at in pairs:
        if pair.done:
            done.append((pair.done_at or datetime.datetime.min, pair.appointment_id, pair, start))
        elif pair.started_at is not None:
            in_progress.append((pair.started_at, pair.appointment_id, pair, start))
        elif pair.appointment_id not in busy:
            waiting.append((start, updated_at, pair.appointment_id, pair, start))
    waiting.sort(key=lambda w: w[:3])
    in_progress.sort(key=lambda r: r[:2])
    done.sort(key=lambda r: r[:2], reverse=True)
    board.waiting_count, board.done_count = len(waiting), len(done)
    board.average_minutes = _average(r[2].minutes for r in done)
    shown = (
        [w[-2:] for w in waiting[:WAITING_SHOWN]],
        [r[-2:] for r in in_progress],
        [r[-2:] for r in done[:DONE_SHOWN]],
    )
    clients = _shown_clients({pair.appointment_id for rows in shown for pair, _start in rows})

    def rows(entries):
        result = []
        for pair, start in entries:
            exam_code, name, sex, birth_date = clients[pair.appointment_id]
            result.append(BoardRow(pair.appointment_id, exam_code, name, sex, age_on(birth_date, day), start, pair))
        return result

    board.waiting, board.in_progress, board.done = (rows(entries) for entries in shown)
    return board


def kept_station_board(station, day=None):
    """``station_board`` as a screen's timed poll sees it: read at most every ``FLOOR_BOARD_MAX_AGE_SECONDS``
    (2 s) per process and station, however many screens poll it (0: read on every call)."""
    day = day or clock.today()
    return headline(
        f"floor.board.{station.id}.{day.isoformat()}",
        lambda: station_board(station, day),
        max_age_key="FLOOR_BOARD_MAX_AGE_SECONDS",
        default_max_age=FLOOR_BOARD_MAX_AGE_SECONDS,
    )


# --- the whole floor ------------------------------------------------------------------------------


@dataclass
class StationLoad:
    station: Department
    waiting: int = 0
    in_progress: int = 0
    done: int = 0
    average_minutes: float | None = None
    _minutes: list = field(default_factory=list, repr=False)

    @property
    def load(self):
        """What guidance weighs: clients waiting for the station and in it."""
        return self.waiting + self.in_progress


@dataclass
class FloorState:
    """Every (appointment, station) of the day with its state, and each station's counts."""

    day: datetime.date
    loads: dict  # station id: StationLoad, in the floor's order
    pairs: dict  # appointment id: {station id: Pair}

    def current_station(self, appointment_id):
        """The station id the client is in progress at, or None."""
        for station_id, pair in self.pairs.get(appointment_id, {}).items():
            if pair.in_progress:
                return station_id
        return None

    def remaining(self, appointment_id):
        """The client's stations not done yet (the one they are in included), as Pairs."""
        return [p for p in self.pairs.get(appointment_id, {}).values() if not p.done]


def floor_stations():
    """The departments clients go to (the station of an active item, computed ones aside), in floor order."""
    used = ExamItem.select(station_key()).where(ExamItem.active == True, _not_computed())  # noqa: E712
    return list(Department.select().where(Department.id.in_(used)).order_by(Department.sort_order, Department.code))


def _visits_query(day):
    return StationVisit.select(
        StationVisit.appointment, StationVisit.station, StationVisit.started_at, StationVisit.finished_at
    ).where(StationVisit.day == day)


def _few_pairs_query(day, *appointment_ids):
    return _pair_query(day).where(Appointment.id.in_(appointment_ids)).group_by(Appointment.id, station_key())


def _few_visits_query(day, *appointment_ids):
    return _visits_query(day).where(StationVisit.appointment.in_(appointment_ids))


# A client's place (one appointment) and a page of the guidance screen (up to FEW_CLIENTS) are read on every
# poll of the desk's and the stations' screens: their two reads are built once per process, for one
# appointment and for FEW_CLIENTS (a shorter list is filled up with NO_APPOINTMENT, an id nothing has).
FEW_CLIENTS = 30  # guidance.GUIDE_PAGE_ROWS
NO_APPOINTMENT = -1
_ID_SAMPLES = tuple(_SAMPLE_STATION - 1 - n for n in range(FEW_CLIENTS))
_FEW_PAIRS = {
    size: (
        PreparedSelect(_few_pairs_query, f"checkup_floor_pairs_of_{size}", (_SAMPLE_DAY, *_ID_SAMPLES[:size])),
        PreparedSelect(_few_visits_query, f"checkup_floor_visits_of_{size}", (_SAMPLE_DAY, *_ID_SAMPLES[:size])),
    )
    for size in (1, FEW_CLIENTS)
}


def _pair_rows(day, appointment_ids):
    """(pair rows, visit rows) of the day, or of ``appointment_ids`` only (two queries)."""
    if appointment_ids is None:
        return (
            plain_tuples(_pair_query(day).group_by(Appointment.id, station_key())),
            plain_tuples(_visits_query(day)),
        )
    ids = list(appointment_ids)
    size = 1 if len(ids) == 1 else FEW_CLIENTS
    if len(ids) > size:
        return plain_tuples(_few_pairs_query(day, *ids)), plain_tuples(_few_visits_query(day, *ids))
    ids += [NO_APPOINTMENT] * (size - len(ids))
    pairs_of, visits_of = _FEW_PAIRS[size]
    return pairs_of.plain(day, *ids), visits_of.plain(day, *ids)


def _day_pairs(day, appointment_ids=None):
    """{appointment id: {station id: Pair}} of the day, visits applied (two queries); ``appointment_ids``:
    only these appointments' (read by the appointment index, not the whole day)."""
    pairs = {}
    pair_rows, visit_rows = _pair_rows(day, appointment_ids)
    for row in pair_rows:
        pair = _pair(row)
        pairs.setdefault(pair.appointment_id, {})[pair.station_id] = pair
    for appointment_id, station_id, started, finished in visit_rows:
        pair = pairs.get(appointment_id, {}).get(station_id)
        if pair is not None:
            pair.started_at, pair.finished_at = started, finished
    return pairs


def _count_loads(stations, pairs):
    """{station id: StationLoad}, in the floor's order, counted from every pair of the day."""
    loads = {s.id: StationLoad(s) for s in stations}
    for stations_of in pairs.values():
        busy = any(p.in_progress for p in stations_of.values())
        for station_id, pair in stations_of.items():
            load = loads.get(station_id)
            if load is None:
                continue
            if pair.done:
                load.done += 1
                load._minutes.append(pair.minutes)
            elif pair.in_progress:
                load.in_progress += 1
            elif not busy:
                load.waiting += 1
    for load in loads.values():
        load.average_minutes = _average(load._minutes)
    return loads


def station_loads(day=None):
    """{station id: StationLoad} of the day, in the floor's order: the floor overview's and guidance's
    counts. Folding the whole day costs ~100 ms at 1,000 clients, so it is counted at most every
    ``FLOOR_LOADS_MAX_AGE_SECONDS`` (5 s; 0 counts on every call) per process — the boards that poll
    it refresh every 10 s. Never used for a decision about one client (their own pairs are read fresh)."""
    day = day or clock.today()
    return headline(
        f"floor.loads.{day.isoformat()}",
        lambda: _count_loads(floor_stations(), _day_pairs(day)),
        max_age_key="FLOOR_LOADS_MAX_AGE_SECONDS",
        default_max_age=FLOOR_LOADS_MAX_AGE_SECONDS,
    )


def floor_state(day=None, appointment_ids=None):
    """The day's floor (see module doc). Without ``appointment_ids``: every pair of the day and the loads
    counted from them, now (three queries). With them: only these clients' pairs, read now (two queries),
    and the stations' loads from ``station_loads`` (which may be a few seconds old)."""
    day = day or clock.today()
    if appointment_ids is None:
        pairs = _day_pairs(day)
        return FloorState(day, _count_loads(floor_stations(), pairs), pairs)
    wanted = list(appointment_ids)
    return FloorState(day, station_loads(day), _day_pairs(day, wanted) if wanted else {})


# --- scanning a client in, and done ---------------------------------------------------------------


@dataclass
class ScanOutcome:
    appointment: Appointment
    station: Department
    container: str | None
    form: str  # RESULTS_FORM: the station's result form; VISIT_FORM: the visit page (draw, samples)
    visit: StationVisit | None


def require_on_the_floor(appointment):
    """ValidationError unless the appointment is checked in today (nothing changes then)."""
    if appointment.day != clock.today():
        raise ValidationError(
            _l(
                "Exam code %(code)s is booked for %(day)s, not today.",
                code=appointment.exam_code,
                day=appointment.day.isoformat(),
            )
        )
    if appointment.status == COMPLETED:
        raise ValidationError(
            _l("The checkup of exam code %(code)s is complete: its report is signed.", code=appointment.exam_code)
        )
    if appointment.status != CHECKED_IN:
        raise ValidationError(
            _l(
                "Exam code %(code)s is not checked in (%(status)s): send the client to the front desk first.",
                code=appointment.exam_code,
                status=choice_label("appointment_status", appointment.status),
            )
        )


def _items_here(appointment_id, station_id):
    """(items done at this station, items of this department) of the appointment, in one query."""
    rows = (
        ExamItem.select(ExamItem.id, ExamItem.station, ExamItem.department)
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(
            AppointmentItem.appointment == appointment_id,
            (station_key() == station_id) | (ExamItem.department == station_id),
            _not_computed(),
        )
        .tuples()
    )
    at_station = of_department = 0
    for _id, item_station, department in rows:
        at_station += (item_station or department) == station_id
        of_department += department == station_id
    return at_station, of_department


def _start_visit(actor, appointment, station_id):
    """Open (or open again) the client's visit here and finish any open one elsewhere, in one transaction."""
    now = utcnow()
    with db.atomic():
        StationVisit.update(finished_at=now, finished_by=actor.user_id).where(
            StationVisit.appointment == appointment.id,
            StationVisit.station != station_id,
            StationVisit.finished_at.is_null(),
        ).execute()
        reopened = (
            StationVisit.update(started_at=now, started_by=actor.user_id, finished_at=None, finished_by=None)
            .where(
                StationVisit.appointment == appointment.id,
                StationVisit.station == station_id,
                StationVisit.finished_at.is_null(False),
            )
            .execute()
        )
        exists = reopened or (
            StationVisit.select()
            .where(StationVisit.appointment == appointment.id, StationVisit.station == station_id)
            .exists()
        )
        if not exists:
            try:
                with db.atomic():
                    StationVisit.create(
                        appointment=appointment.id,
                        station=station_id,
                        day=appointment.day,
                        started_at=now,
                        started_by=actor.user_id,
                    )
            except IntegrityError:  # scanned at the same moment on a second device: one visit it is
                pass
        audit.record(actor, "floor.scanned_in", appointment, station=station_id, exam_code=appointment.exam_code)
    return StationVisit.get(StationVisit.appointment == appointment.id, StationVisit.station == station_id)


def scan_in(actor, station, text):
    """Scan a client in at ``station``: ``text`` is what the scanner typed (an exam code or a specimen
    label). The client's visit there starts (their open visit elsewhere finishes); the answer says which
    form opens: the station's result form when the client has items of this department, else the visit
    page (a blood-draw room, the sample desk). A station where the client only enters results (a lab
    bench) opens the form without a visit.

    Raises NotFound (nothing matches the text) or ValidationError (not checked in today, nothing for the
    client here); nothing changes then."""
    appointment, container = specimens.find_by_scan(text)
    require_on_the_floor(appointment)
    at_station, of_department = _items_here(appointment.id, station.id)
    if not at_station and not of_department:
        raise ValidationError(
            _l(
                "Exam code %(code)s has nothing to do at %(station)s.",
                code=appointment.exam_code,
                station=station.name_zh or station.name_en,
            )
        )
    visit = _start_visit(actor, appointment, station.id) if at_station else None
    return ScanOutcome(appointment, station, container, RESULTS_FORM if of_department else VISIT_FORM, visit)


def finish_visit(actor, station, appointment_id):
    """The station says the client is done here. Idempotent; raises NotFound when the client was never
    scanned in at this station."""
    visit = StationVisit.get_or_none(StationVisit.appointment == appointment_id, StationVisit.station == station.id)
    if visit is None:
        raise NotFound(_l("This client was not scanned in at this station."))
    if visit.finished_at is None:
        with db.atomic():
            StationVisit.update(finished_at=utcnow(), finished_by=actor.user_id).where(
                StationVisit.id == visit.id, StationVisit.finished_at.is_null()
            ).execute()
            audit.record(actor, "floor.visit_finished", Appointment(id=appointment_id), station=station.id)
    return StationVisit.get_by_id(visit.id)


@dataclass
class VisitPage:
    """What the visit page of a station without result entry shows: the client, the containers to fill
    here (the scanned one marked) and the items done here."""

    appointment: Appointment
    station: Department
    visit: StationVisit | None
    containers: list  # (specimens.ContainerNeed, containers.Container) of the items done here, in draw order
    items: list  # ExamItem

    @property
    def age(self):
        return age_on(self.appointment.client.birth_date, self.appointment.day)


def visit_page(station, appointment_id):
    """The visit page's data (four queries). Raises NotFound for an unknown appointment or one with nothing
    at this station."""
    appointment = specimens.appointment_with_client(appointment_id)
    rows = [
        row
        for row in specimens.appointment_items(appointment.id)
        if (row.item.station_id or row.item.department_id) == station.id and not derived_items.is_derived(row.item.code)
    ]
    if not rows:
        raise NotFound(_l("This client has nothing to do at this station."))
    visit = StationVisit.get_or_none(StationVisit.appointment == appointment.id, StationVisit.station == station.id)
    needs = [(need, containers.container(need.code)) for need in specimens.containers_needed(rows)]
    return VisitPage(appointment, station, visit, needs, [r.item for r in rows])
