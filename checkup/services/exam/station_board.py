"""A station's board: who waits for the station (the first few, the whole count), who is in it, who was done
there lately and how long a client takes there; read fresh when the board opens, kept a moment for its polls.
Who counts as waiting, in progress or done is station_queue's rule."""

import datetime
import hashlib
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from checkup.core import change_marks, clock
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, Department, ExamItem, Result, Slot, StationVisit
from checkup.models.appointments import COMPLETED
from checkup.models.base import utcnow
from checkup.services.catalog.packages import age_on
from checkup.services.exam.station_queue import (
    FLOOR_STATUSES,
    SAMPLE_DAY,
    Pair,
    average,
    fasting_flag,
    open_elsewhere,
    result_done,
    station_item_ids,
)

WAITING_SHOWN = 40  # rows of a board's waiting list (the count is always whole)
DONE_SHOWN = 15  # the latest clients done at a station


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


def _board_query(day, station_id, item_ids):
    visit = StationVisit.alias()
    day_ids = Appointment.select(Appointment.id).where(Appointment.day == day, Appointment.status.in_(FLOOR_STATUSES))
    fasting = fasting_flag()
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
        .where(Result.appointment.in_(day_ids), Result.item.in_(item_ids), result_done())
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


def _new_board_select(key):
    station_id, item_ids = key
    digest = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
    return PreparedSelect(
        lambda day: _board_query(day, station_id, item_ids), f"checkup_floor_board_{station_id}_{digest}", (SAMPLE_DAY,)
    )


# {(station id, its item ids): the board's select}: built once per process and station (and catalog change)
_board_selects = PerShape(_new_board_select)


def _board_select(station_id, item_ids):
    return _board_selects((station_id, tuple(sorted(item_ids))))


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
    busy = open_elsewhere(day, station.id)
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
    board.average_minutes = average(r[2].minutes for r in done)
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
    """``station_board`` as the screens see it, opened or polling: read again as soon as anything on the floor
    has changed (core/change_marks: a result, a visit, a check-in, the catalog), else served as it was read,
    however many screens ask, and read again at least every ``FLOOR_BOARD_MAX_AGE_SECONDS`` (2 s) per
    process and station (0: read on every call). A board folds the whole day (~50 ms at 1,000 clients), and
    a floor of station screens, the desk and a hallway display asks for the same few boards all day."""
    day = day or clock.today()
    return change_marks.kept_until_change(
        f"floor.board.{station.id}.{day.isoformat()}", lambda: station_board(station, day)
    )
