"""The demo's exam day has 300 clients in flight: the queue boards, the guidance screen and the chief
physician's review queue have real content, and the counters still match the appointments."""

import pytest

from checkup.core import clock
from checkup.demo import demo, demo_floor_day
from checkup.models import Appointment, Result, StationVisit
from checkup.models.appointments import CHECKED_IN
from checkup.services.exam import guidance, review_queue, station_board, station_queue
from tests.booking_helpers import assert_counters_consistent


@pytest.mark.both_dbs
def test_the_demo_floor_has_300_clients_in_every_state(app):
    demo.seed(history=False)
    today = clock.today()
    in_flight = Appointment.select().where(Appointment.day == today, Appointment.status == CHECKED_IN).count()
    assert in_flight >= demo_floor_day.FLOOR_CLIENTS

    state = station_queue.floor_state()
    loads = {load.station.code: load for load in state.loads.values()}
    assert sum(load.waiting for load in loads.values()) > 100
    assert sum(load.in_progress for load in loads.values()) >= 30
    assert loads["DRAW"].done > 100 and loads["DRAW"].average_minutes is not None
    assert all(4 <= load.average_minutes <= 12 for load in loads.values() if load.average_minutes is not None)
    assert not any(load.station.code.startswith("LAB-") for load in loads.values()), "lab panels are no queue"

    board = station_board.station_board(loads["GEN"].station)
    assert board.waiting and board.done and board.waiting_count == loads["GEN"].waiting

    ready = review_queue.ready_for_review(limit=500)
    assert len([a for a in ready if a.day == today]) >= 40, "every station done and signed: the chief's queue"

    listing = guidance.floor_guidance()
    assert listing.page.total == in_flight and sum(1 for row in listing.page.items if row.guide.next) >= 20

    derived = Result.select().where(Result.source == "derived").count()
    assert derived >= 100, "BMI and the like computed for the stations done"
    assert StationVisit.select().where(StationVisit.finished_at.is_null()).count() >= 30
    assert_counters_consistent()
