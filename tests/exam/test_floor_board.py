"""A station's board reads the station's items from the catalog first and agrees with the floor overview:
every station's waiting / in progress / done counts match, whether its items are its own or drawn there."""

import pytest

from checkup.models import Result
from checkup.services.exam import station_board, station_queue
from tests.exam.test_station_queue import checked_in, make_floor, visit

pytestmark = pytest.mark.both_dbs


def test_the_board_and_the_floor_overview_agree_for_every_station(app, monkeypatch):
    floor = make_floor()
    clients = [checked_in(floor, monkeypatch, f"客户{n}") for n in range(6)]
    visit(clients[0], floor.gen, minutes_ago=12, finished_minutes_ago=2)  # done at GEN by the visit
    visit(clients[1], floor.gen, minutes_ago=4)  # in progress at GEN
    visit(clients[2], floor.us, minutes_ago=3)  # in progress at ultrasound: waits nowhere else
    for item in (floor.blood, floor.glucose):  # drawn in the draw room (the item's station, not its department)
        Result.create(appointment=clients[3].id, item=item.id, value_text="5", value_num=5, flag="N")
    state = station_queue.floor_state()
    for station in (floor.draw, floor.gen, floor.us, floor.endo):
        board = station_board.station_board(station)
        load = state.loads[station.id]
        assert (board.waiting_count, len(board.in_progress), board.done_count) == (
            load.waiting,
            load.in_progress,
            load.done,
        ), station.code
        assert board.average_minutes == load.average_minutes, station.code
    gen = station_board.station_board(floor.gen)
    assert [r.name for r in gen.in_progress] == ["客户1"] and [r.name for r in gen.done] == ["客户0"]
    assert "客户2" not in [r.name for r in gen.waiting] and [r.name for r in gen.waiting] == ["客户3", "客户4", "客户5"]
    draw = station_board.station_board(floor.draw)
    assert [r.name for r in draw.done] == ["客户3"] and draw.waiting_count == 3  # 客户0, 4, 5: 1 and 2 are in rooms
    assert set(station_queue.station_item_ids(floor.draw.id)) == {floor.blood.id, floor.glucose.id}
    assert floor.blood.id not in station_queue.station_item_ids(floor.blood.department_id)
