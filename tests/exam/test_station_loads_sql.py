"""The floor's station loads counted in SQL (station_queue._loads_query) give what the Python fold of the
day's pairs gives (station_queue._count_loads, kept as the reference and for ``floor_state`` of the whole
day): on many generated floors — completed clients, clients busy at one station and waiting for others,
items settled by a value, a text or a skip and items with an empty result, results for items the client
does not have, computed items, items done at another department's station, visits finished before they
started, a visit of another day, visits at stations the client has nothing at, other days' and cancelled
appointments."""

import datetime
import random
from decimal import Decimal

import pytest

from checkup.models import Appointment, AppointmentItem, Result, Slot, StationVisit
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.services.exam import station_queue
from tests import factories

pytestmark = pytest.mark.both_dbs

DAY = datetime.date(2031, 5, 6)
OTHER_DAY = datetime.date(2031, 5, 7)
STATUSES = [CHECKED_IN] * 6 + [COMPLETED] * 2 + [BOOKED, CANCELLED, NO_SHOW]


def _moment(rng, day):
    """A time on ``day``: on the minute (minutes add up exactly), or anywhere to the microsecond."""
    base = datetime.datetime.combine(day, datetime.time(7, 0))
    if rng.random() < 0.4:
        return base + datetime.timedelta(minutes=rng.randrange(0, 300))
    return base + datetime.timedelta(microseconds=rng.randrange(0, 300 * 60 * 1_000_000))


def _catalog():
    """Six departments (one with nothing done there); items done at their department, at another one's
    station, a computed one (BMI), an inactive one."""
    rooms = [factories.make_department(f"ROOM{n}", sort_order=n % 3) for n in range(6)]
    items = [factories.make_item(f"IT{n}", rooms[n % 5]) for n in range(10)]
    items += [
        factories.make_item("AT-ROOM3", rooms[0], station=rooms[3]),
        factories.make_item("AT-ROOM4", rooms[1], station=rooms[4]),
        factories.make_item("BMI", rooms[2]),
        factories.make_item("OLD", rooms[4], active=False),
    ]
    return rooms, items


def _floor(rng, rooms, items, clients=40):
    """A generated floor on DAY (and a few appointments on OTHER_DAY)."""
    slots = {
        day: Slot.create(day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=99)
        for day in (DAY, OTHER_DAY)
    }
    person = factories.make_client()
    item_rows, result_rows, visit_rows = [], [], []
    for n in range(clients):
        day = DAY if n % 8 else OTHER_DAY
        appointment = Appointment.create(
            exam_code=f"E{rng.random():.12f}"[:16],
            client=person,
            slot=slots[day],
            day=day,
            status=rng.choice(STATUSES),
            total_price=Decimal("1"),
            self_amount=Decimal("1"),
        )
        mine = rng.sample(items, rng.randrange(0, 9))
        item_rows += [{"appointment": appointment.id, "item": item.id, "price": Decimal("1")} for item in mine]
        # results: mostly for the client's items, a few for items they do not have
        for item in rng.sample(items, rng.randrange(0, len(items))):
            if item not in mine and rng.random() < 0.7:
                continue
            kind = rng.choice(["num", "text", "skip", "empty", "empty", "zero"])
            result_rows.append(
                {
                    "appointment": appointment.id,
                    "item": item.id,
                    "value_num": Decimal("0") if kind == "zero" else Decimal("5.5") if kind == "num" else None,
                    "value_text": "normal" if kind == "text" else "",
                    "skipped": kind == "skip",
                    "entered_at": _moment(rng, day),
                }
            )
        for room in rng.sample(rooms, rng.randrange(0, 4)):
            started = _moment(rng, day)
            roll = rng.random()
            finished = (
                None
                if roll < 0.4
                else started - datetime.timedelta(minutes=3)
                if roll < 0.5
                else started
                if roll < 0.55
                else started + (_moment(rng, day) - datetime.datetime.combine(day, datetime.time(7))) / 10
            )
            visit_day = OTHER_DAY if rng.random() < 0.05 else day
            visit_rows.append(
                {
                    "appointment": appointment.id,
                    "station": room.id,
                    "day": visit_day,
                    "started_at": started,
                    "finished_at": finished,
                }
            )
    AppointmentItem.insert_many(item_rows).execute()
    if result_rows:
        Result.insert_many(result_rows).execute()
    if visit_rows:
        StationVisit.insert_many(visit_rows).execute()


def _as_compared(loads):
    return [
        (station_id, load.station.code, load.waiting, load.in_progress, load.done, load.load, load.average_minutes)
        for station_id, load in loads.items()
    ]


def _both(day):
    stations = station_queue.floor_stations()
    folded = station_queue._count_loads(stations, station_queue._day_pairs(day))
    counted = station_queue._sql_loads(stations, day)
    return folded, counted


def test_the_sql_counts_what_the_fold_counts_on_many_floors(app):
    rooms, items = _catalog()
    seen = []
    for seed in range(12):
        rng = random.Random(seed)
        _floor(rng, rooms, items, clients=rng.choice([5, 30, 60]))
        for day in (DAY, OTHER_DAY):
            folded, counted = _both(day)
            assert _as_compared(counted) == _as_compared(folded), (seed, day)
            assert counted == folded
            seen += folded.values()
        StationVisit.delete().execute()
        Result.delete().execute()
        AppointmentItem.delete().execute()
        Appointment.delete().execute()
        Slot.delete().execute()
    assert all(
        any(getattr(load, what) for load in seen) for what in ("waiting", "in_progress", "done", "average_minutes")
    )


def test_station_loads_is_the_sql_count_and_an_empty_day_counts_nothing(app):
    rooms, items = _catalog()
    assert _as_compared(station_queue.station_loads(DAY)) == _as_compared(_both(DAY)[0])
    assert all(
        (load.load, load.done, load.average_minutes) == (0, 0, None)
        for load in station_queue.station_loads(DAY).values()
    )
    _floor(random.Random(99), rooms, items)
    assert _as_compared(station_queue.station_loads(DAY)) == _as_compared(_both(DAY)[0])
    assert list(station_queue.station_loads(DAY)) == [s.id for s in station_queue.floor_stations()]


def test_a_client_busy_at_one_station_waits_for_none_and_a_done_visit_is_timed(app):
    rooms, items = _catalog()
    slot = Slot.create(day=DAY, start_time=datetime.time(8), end_time=datetime.time(9), capacity=9)
    person = factories.make_client()
    appointment = Appointment.create(
        exam_code="E1", client=person, slot=slot, day=DAY, status=CHECKED_IN, total_price=1, self_amount=1
    )
    for item in items[:3]:  # ROOM0, ROOM1, ROOM2
        AppointmentItem.create(appointment=appointment, item=item, price=1)
    nine = datetime.datetime.combine(DAY, datetime.time(9))
    StationVisit.create(
        appointment=appointment,
        station=rooms[0],
        day=DAY,
        started_at=nine,
        finished_at=nine + datetime.timedelta(minutes=7, seconds=30),
    )
    StationVisit.create(
        appointment=appointment, station=rooms[1], day=DAY, started_at=nine + datetime.timedelta(minutes=8)
    )

    loads = station_queue._sql_loads(station_queue.floor_stations(), DAY)

    assert [
        (loads[r.id].waiting, loads[r.id].in_progress, loads[r.id].done, loads[r.id].average_minutes) for r in rooms[:3]
    ] == [
        (0, 0, 1, 7.5),
        (0, 1, 0, None),
        (0, 0, 0, None),
    ]
    assert _as_compared(loads) == _as_compared(_both(DAY)[0])
