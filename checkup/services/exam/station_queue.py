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
from dataclasses import dataclass

from peewee import JOIN, SQL, Case, NodeList, PostgresqlDatabase, fn

from checkup.core import clock
from checkup.core.headline_figures import headline
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Department, ExamItem, Result, StationVisit
from checkup.models.appointments import CHECKED_IN, COMPLETED
from checkup.models.base import db
from checkup.services.exam import derived_items

FLOOR_STATUSES = (CHECKED_IN, COMPLETED)
FLOOR_LOADS_MAX_AGE_SECONDS = 5.0  # app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] overrides it (see station_loads)


def station_key():
    """Where an item is done: its own station, else its department."""
    return fn.COALESCE(ExamItem.station, ExamItem.department)


def result_done():
    """A result that settles its item: a value, or a recorded skip (as the review queue counts it)."""
    return (Result.skipped == True) | Result.value_num.is_null(False) | (Result.value_text != "")  # noqa: E712


def not_computed():
    return ExamItem.code.not_in(sorted(derived_items.FORMULAS))


def fasting_flag():
    """1 when an item of the group is done fasting, else 0. The numbers are written in the SQL: as
    parameters of a prepared statement PostgreSQL would take them for text ('0' is true in Python)."""
    return fn.MAX(Case(None, [(ExamItem.fasting == True, SQL("1"))], SQL("0")))  # noqa: E712


def _pair_query(day, *columns):
    """(appointment, station) rows of the day's checked-in and completed appointments: items there, items
    settled, the last result's time and whether one is done fasting. ``columns``: more to select."""
    key = station_key()
    fasting = fasting_flag()
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
                & result_done()
            ),
        )
        .where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES), not_computed())
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
            not_computed(),
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
            on=((Result.appointment == item.appointment) & (Result.item == item.item) & result_done()),
        )
        .where(
            item.appointment == StationVisit.appointment,
            station_key() == StationVisit.station,
            Result.id.is_null(),
            not_computed(),
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
SAMPLE_DAY, SAMPLE_STATION = datetime.date(1901, 2, 3), -2_000_000_001
# the boards' queries run on every board read (a station's screens poll every 5 s): built once per process
_OPEN_ELSEWHERE = PreparedSelect(_open_elsewhere_query, "checkup_floor_open_elsewhere", (SAMPLE_DAY, SAMPLE_STATION))


def open_elsewhere(day, station_id):
    """Ids of the day's appointments with an open visit at a station other than ``station_id`` and an item
    there still to do (one query, from the day's open visits: a few per client in the building; each
    visit's items are read by its appointment, so no plan walks the day's appointments or their items).

    Completed appointments are not told apart here: the board, the only caller, reads them as done
    everywhere before it asks whether a client is busy elsewhere."""
    return {appointment_id for (appointment_id,) in _OPEN_ELSEWHERE.plain(day, station_id)}


def average(minutes):
    minutes = [m for m in minutes if m is not None]
    return round(sum(minutes) / len(minutes), 1) if minutes else None


# --- the whole floor ------------------------------------------------------------------------------


@dataclass
class StationLoad:
    station: Department
    waiting: int = 0
    in_progress: int = 0
    done: int = 0
    average_minutes: float | None = None

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
    used = ExamItem.select(station_key()).where(ExamItem.active == True, not_computed())  # noqa: E712
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
_ID_SAMPLES = tuple(SAMPLE_STATION - 1 - n for n in range(FEW_CLIENTS))
_FEW_PAIRS = {
    size: (
        PreparedSelect(_few_pairs_query, f"checkup_floor_pairs_of_{size}", (SAMPLE_DAY, *_ID_SAMPLES[:size])),
        PreparedSelect(_few_visits_query, f"checkup_floor_visits_of_{size}", (SAMPLE_DAY, *_ID_SAMPLES[:size])),
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
    """{station id: StationLoad}, in the floor's order, counted from every pair of the day in Python (what
    ``floor_state`` of the whole day returns with its pairs; ``_loads_query`` counts the same in SQL)."""
    loads = {s.id: StationLoad(s) for s in stations}
    minutes = {station_id: [] for station_id in loads}
    for stations_of in pairs.values():
        busy = any(p.in_progress for p in stations_of.values())
        for station_id, pair in stations_of.items():
            load = loads.get(station_id)
            if load is None:
                continue
            if pair.done:
                load.done += 1
                minutes[station_id].append(pair.minutes)
            elif pair.in_progress:
                load.in_progress += 1
            elif not busy:
                load.waiting += 1
    for station_id, load in loads.items():
        load.average_minutes = average(minutes[station_id])
    return loads


def _flag(condition):
    """1 where ``condition`` holds, else 0 (the numbers written in the SQL, see fasting_flag)."""
    return Case(None, [(condition, SQL("1"))], SQL("0"))


def _microseconds(column):
    """A naive timestamp as microseconds since 1970, exactly: PostgreSQL's epoch is a numeric; SQLite holds
    the text Python wrote ('YYYY-MM-DD HH:MM:SS[.ffffff]': whole seconds by strftime, the fraction read as
    it stands, never rounded to SQLite's milliseconds)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return fn.EXTRACT(NodeList((SQL("EPOCH FROM"), column))) * SQL("1000000")
    seconds = fn.strftime("%s", fn.substr(column, 1, 19)).cast("INTEGER")
    return seconds * SQL("1000000") + fn.substr(column, 21, 6).cast("INTEGER")


def _loads_query(day):
    """One row per station of the day's floor: (station id, done, in progress, waiting, the done visits'
    minutes as a sum of microseconds and their count), counted as ``_count_loads`` counts the pairs:

    - the day's pairs, as ``_pair_query`` reads them, with their visit (one per appointment and station);
    - per pair: done (completed, everything settled, or the visit finished), in progress (a visit started
      and not done), and whether the client is in progress at any of their stations (a window over the
      appointment's pairs): not done, not in progress and not busy elsewhere is waiting;
    - a done pair's time: from the visit's start to its end, else to the last result, when started and not
      ending before it.
    """
    key = station_key()
    on_floor = (
        Appointment.select(Appointment.id, Appointment.status)
        .where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES))
        .cte("floor_appointments")
    )
    # the day's settled results, read by appointment and joined to the items at once: probing the results'
    # index item by item cost twice as much at 30,000 items
    settled = (
        Result.select(Result.appointment, Result.item, Result.entered_at)
        .join(on_floor, on=(Result.appointment == on_floor.c.id))
        .where(result_done())
        .alias("settled")
    )
    pair = (
        AppointmentItem.select(
            on_floor.c.id.alias("appointment_id"),
            key.alias("station_id"),
            on_floor.c.status.alias("status"),
            fn.COUNT(SQL("*")).alias("total"),
            fn.COUNT(settled.c.item_id).alias("resulted"),
            fn.MAX(settled.c.entered_at).alias("last_result_at"),
        )
        .join(on_floor, on=(AppointmentItem.appointment == on_floor.c.id))
        .join_from(AppointmentItem, ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .join_from(
            AppointmentItem,
            settled,
            JOIN.LEFT_OUTER,
            on=(
                (settled.c.appointment_id == AppointmentItem.appointment) & (settled.c.item_id == AppointmentItem.item)
            ),
        )
        .where(not_computed())
        .group_by(on_floor.c.id, key, on_floor.c.status)
        .cte("floor_pairs")
    )
    visit = StationVisit
    done = (pair.c.status == COMPLETED) | (pair.c.resulted >= pair.c.total) | visit.finished_at.is_null(False)
    in_progress = visit.started_at.is_null(False) & ~done
    end = fn.COALESCE(visit.finished_at, pair.c.last_result_at)
    state = (
        pair.select_from(
            pair.c.station_id,
            _flag(done).alias("done"),
            _flag(in_progress).alias("in_progress"),
            fn.MAX(_flag(in_progress)).over(partition_by=[pair.c.appointment_id]).alias("busy"),
            Case(None, [(done, _microseconds(end) - _microseconds(visit.started_at))]).alias("span"),
        )
        .join(  # one visit per appointment and station at most
            visit,
            JOIN.LEFT_OUTER,
            on=(
                (visit.appointment == pair.c.appointment_id) & (visit.station == pair.c.station_id) & (visit.day == day)
            ),
        )
        .cte("floor_pair_states")
    )
    counted = Case(None, [(state.c.span >= SQL("0"), state.c.span)])
    return (
        state.select_from(
            state.c.station_id,
            fn.SUM(state.c.done),
            fn.SUM(state.c.in_progress),
            fn.SUM(_flag((state.c.done == SQL("0")) & (state.c.in_progress == SQL("0")) & (state.c.busy == SQL("0")))),
            fn.SUM(counted),
            fn.COUNT(counted),
        )
        .group_by(state.c.station_id)
        .with_cte(on_floor, pair, state)
    )


# recounted every few seconds per process: built once, prepared on PostgreSQL (planned once, not per count)
_LOADS = PreparedSelect(_loads_query, "checkup_floor_loads", (SAMPLE_DAY,))


def _sql_loads(stations, day):
    """``_count_loads`` of the day, counted in SQL: one query, a row per station."""
    loads = {s.id: StationLoad(s) for s in stations}
    for station_id, done, in_progress, waiting, span, timed in _LOADS.plain(day):
        load = loads.get(station_id)
        if load is None:
            continue
        load.done, load.in_progress, load.waiting = int(done), int(in_progress), int(waiting)
        # the mean of the visits' minutes, as average() rounds it (the sum is exact: microseconds)
        load.average_minutes = round(int(span) / (60_000_000 * timed), 1) if timed else None
    return loads


def station_loads(day=None):
    """{station id: StationLoad} of the day, in the floor's order: the floor overview's and guidance's
    counts, counted in SQL (``_loads_query``: a row per station, the same numbers as ``_count_loads``).
    It still reads the whole day's items and results (~30 ms of PostgreSQL at 1,000 clients), so it is
    counted at most every ``FLOOR_LOADS_MAX_AGE_SECONDS`` (5 s; 0 counts on every call) per process — the
    boards that poll it refresh every 10 s. Never used for a decision about one client (their own pairs are
    read fresh)."""
    day = day or clock.today()
    return headline(
        f"floor.loads.{day.isoformat()}",
        lambda: _sql_loads(floor_stations(), day),
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
