"""The exam floor's queue boards: who waits for a station, who is in it, who is done there and how long a
client takes; the floor overview; a board refreshes by polling and runs a fixed number of queries."""

import datetime

import pytest

from checkup.core.audit import Actor
from checkup.models import StationOrderRule, StationVisit
from checkup.services.exam import exam_day, results, station_board, station_queue
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs

IDENTITY = ["name", "birth_date", "national_id"]
HTMX = {"HX-Request": "true"}
POLL = {"HX-Request": "true", "X-Checkup-Background": "1"}


class Floor(ExamDay):
    """Today's floor: a blood-draw room (fasting lab items drawn there), general exam, ultrasound before
    endoscopy; a package with all of them."""

    def __init__(self):
        super().__init__(slot_capacity=40)
        self.draw = factories.make_department("DRAW", name_en="Blood draw", name_zh="采血室", sort_order=0)
        self.gen = factories.make_department("GEN", name_en="General examination", name_zh="一般检查", sort_order=3)
        self.us = factories.make_department("US", name_en="Ultrasound", name_zh="超声科", sort_order=5)
        self.endo = factories.make_department("ENDO", name_en="Endoscopy", name_zh="内镜中心", sort_order=6)
        for item, container in ((self.blood, "EDTA"), (self.glucose, "FLU")):
            item.container, item.station, item.fasting = container, self.draw, True
            item.save()
        self.height = factories.make_item("HEIGHT", self.gen, name_en="Height", name_zh="身高")
        self.weight = factories.make_item("WEIGHT", self.gen, name_en="Weight", name_zh="体重")
        self.abdomen = factories.make_item(
            "US-ABD", self.us, name_en="Abdominal ultrasound", result_type="text", fasting=True
        )
        self.gastro = factories.make_item("GASTRO", self.endo, name_en="Gastroscopy", result_type="text", fasting=True)
        StationOrderRule.create(before=self.us, after=self.endo)
        everything = [self.blood, self.glucose, self.height, self.weight, self.abdomen, self.gastro]
        factories.make_package("FLOOR", everything, name_zh="导检套餐")
        factories.make_package("GEN-ONLY", [self.height, self.weight])
        factories.make_package("NO-FAST", [self.height, self.weight, self.abdomen])


def make_floor():
    return Floor()


def checked_in(floor, monkeypatch, name, package="FLOOR", slot=None):
    _person, appointment = booked_client(floor, monkeypatch, slot or floor.early, name, package=package)
    freeze_clock(monkeypatch, 9, 30)
    exam_day.check_in(Actor(), appointment.id, IDENTITY)
    return appointment


def visit(appointment, station, minutes_ago=10, finished_minutes_ago=None):
    """A visit written as if scanned ``minutes_ago`` (finished ``finished_minutes_ago``)."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return StationVisit.create(
        appointment=appointment.id,
        station=station.id,
        day=appointment.day,
        started_at=now - datetime.timedelta(minutes=minutes_ago),
        finished_at=None if finished_minutes_ago is None else now - datetime.timedelta(minutes=finished_minutes_ago),
    )


@pytest.fixture
def floor(app):
    return make_floor()


@pytest.fixture
def doctor(app, client, login):
    user = factories.make_user("physician", email="doc@example.com")
    login(user)
    return user


def names(rows):
    return [row.name for row in rows]


def test_the_board_sorts_clients_into_waiting_in_progress_and_done(floor, monkeypatch):
    waiting = checked_in(floor, monkeypatch, "候检甲")
    inside = checked_in(floor, monkeypatch, "检查中乙")
    finished = checked_in(floor, monkeypatch, "已完成丙")
    elsewhere = checked_in(floor, monkeypatch, "在超声丁")
    booked_client(floor, monkeypatch, floor.early, "未签到戊", package="FLOOR")  # booked, not checked in
    visit(inside, floor.gen, minutes_ago=4)
    for code in ("HEIGHT", "WEIGHT"):  # done by results: no visit needed
        results.record_result(Actor(), finished.id, code, "170")
    visit(elsewhere, floor.us, minutes_ago=3)

    board = station_board.station_board(floor.gen)

    assert names(board.waiting) == ["候检甲"], "the one at ultrasound is not waiting here, nor the booked one"
    assert board.waiting_count == 1
    assert names(board.in_progress) == ["检查中乙"]
    assert names(board.done) == ["已完成丙"] and board.done_count == 1
    assert board.waiting[0].pending == 2 and board.in_progress[0].pending == 2
    assert waiting.id == board.waiting[0].appointment_id


def test_a_visit_finished_or_fully_resulted_is_done_and_counts_for_the_average(floor, monkeypatch):
    first = checked_in(floor, monkeypatch, "甲")
    second = checked_in(floor, monkeypatch, "乙")
    visit(first, floor.us, minutes_ago=30, finished_minutes_ago=20)  # the station said done: 10 minutes
    visit(second, floor.us, minutes_ago=6)
    results.record_result(Actor(), second.id, "US-ABD", "No abnormality.")  # resulted: done about now

    board = station_board.station_board(floor.us)

    assert board.in_progress == [] and board.done_count == 2
    assert names(board.done) == ["乙", "甲"], "newest first"
    assert 7.5 <= board.average_minutes <= 8.5, board.average_minutes  # (10 + ~6) / 2


def test_a_client_in_progress_elsewhere_waits_nowhere_until_that_station_is_done(floor, monkeypatch):
    appointment = checked_in(floor, monkeypatch, "王芳")
    inside = visit(appointment, floor.us, minutes_ago=2)
    assert station_board.station_board(floor.gen).waiting_count == 0
    results.record_result(Actor(), appointment.id, "US-ABD", "Normal.")  # ultrasound done by its result
    assert names(station_board.station_board(floor.gen).waiting) == ["王芳"]
    assert StationVisit.get_by_id(inside.id).finished_at is None, "read from the results, never stored"


def test_the_floor_overview_counts_every_station(floor, monkeypatch):
    one = checked_in(floor, monkeypatch, "甲")
    two = checked_in(floor, monkeypatch, "乙")
    checked_in(floor, monkeypatch, "丙", package="GEN-ONLY")
    visit(one, floor.draw, minutes_ago=5)
    visit(two, floor.gen, minutes_ago=20, finished_minutes_ago=12)

    loads = {load.station.code: load for load in station_queue.floor_state().loads.values()}

    assert list(loads) == ["DRAW", "IMG", "GEN", "US", "ENDO"], "where clients go, in floor order (LAB is none)"
    assert (loads["DRAW"].waiting, loads["DRAW"].in_progress, loads["DRAW"].done) == (1, 1, 0)
    assert (loads["GEN"].waiting, loads["GEN"].in_progress, loads["GEN"].done) == (1, 0, 1)
    assert loads["GEN"].average_minutes == pytest.approx(8, abs=0.2)
    assert (loads["US"].waiting, loads["US"].load) == (1, 1), "甲 is in the draw room, 丙 has no ultrasound"


def test_the_loads_may_be_a_few_seconds_old_but_a_clients_own_stations_are_read_now(floor, monkeypatch, app):
    from checkup.core import headline_figures

    app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] = 5
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    one = checked_in(floor, monkeypatch, "甲")
    assert station_queue.station_loads()[floor.draw.id].waiting == 1
    two = checked_in(floor, monkeypatch, "乙")
    visit(one, floor.draw, minutes_ago=1)

    # the counts are the ones kept 0 s ago; each client's own place is read now
    assert station_queue.station_loads()[floor.draw.id].waiting == 1
    state = station_queue.floor_state(appointment_ids=[one.id, two.id])
    assert state.current_station(one.id) == floor.draw.id
    assert state.pairs[two.id][floor.draw.id].done is False
    assert state.loads[floor.draw.id].in_progress == 0, "the kept loads"

    now[0] += 5.1
    loads = station_queue.station_loads()
    assert (loads[floor.draw.id].waiting, loads[floor.draw.id].in_progress) == (1, 1)
    full = station_queue.floor_state()  # the whole day: counted now, from the same pairs
    assert (full.loads[floor.draw.id].waiting, full.loads[floor.draw.id].in_progress) == (1, 1)


def test_the_station_worklist_pages_a_long_queue(floor, monkeypatch, client, doctor):
    from checkup.services.exam import stations

    monkeypatch.setattr(stations, "WORKLIST_PAGE_ROWS", 2)
    waiting = {checked_in(floor, monkeypatch, name).id for name in ("甲", "乙", "丙")}
    first = stations.station_worklist(floor.gen.id)
    assert len(first.items) == 2 and first.has_next
    second = stations.station_worklist(floor.gen.id, page_number=2)
    assert len(second.items) == 1 and not second.has_next
    assert [r.appointment.id for r in first.items + second.items] != [] and {
        r.appointment.id for r in first.items + second.items
    } == waiting, "every client once, across the pages"
    html = client.get("/exam/stations/GEN?page=2").get_data(as_text=True)
    assert 'rel="prev"' in html and "Page 2" in html and 'rel="next"' not in html


def test_the_station_says_done_and_the_client_leaves_the_board(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    visit(appointment, floor.draw, minutes_ago=3)
    answer = client.post(f"/exam/floor/stations/DRAW/clients/{appointment.id}/done", headers=HTMX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="board-done">1<' in html and 'id="board-in-progress">0<' in html
    stored = StationVisit.get(StationVisit.appointment == appointment.id)
    assert stored.finished_at is not None and stored.finished_by_id == doctor.id
    again = client.post(f"/exam/floor/stations/DRAW/clients/{appointment.id}/done")
    assert again.status_code == 303, "saying done twice changes nothing"
    never = checked_in(floor, monkeypatch, "李雷")
    assert client.post(f"/exam/floor/stations/DRAW/clients/{never.id}/done").status_code == 404


def test_the_board_page_polls_itself_and_answers_the_poll_with_the_fragment(floor, monkeypatch, client, doctor):
    checked_in(floor, monkeypatch, "王芳")
    page = client.get("/exam/floor/stations/GEN").get_data(as_text=True)
    assert 'hx-trigger="every 5s"' in page and 'id="scan-code"' in page and "autofocus" in page
    poll = client.get("/exam/floor/stations/GEN", headers=POLL)
    fragment = poll.get_data(as_text=True)
    assert "<html" not in fragment and "王芳" in fragment and 'id="board-waiting">1<' in fragment
    assert "HX-Request" in poll.headers.get("Vary", "")
    assert client.get("/exam/floor/stations/NOPE").status_code == 404


def test_a_board_is_shared_while_nothing_changes_and_read_again_at_once_when_anything_does(
    floor, monkeypatch, client, doctor, app, count_queries
):
    from checkup.core import headline_figures

    app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] = 2
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    checked_in(floor, monkeypatch, "王芳")
    with count_queries() as first:
        assert 'id="board-waiting">1<' in client.get("/exam/floor/stations/GEN", headers=POLL).get_data(as_text=True)
    now[0] += 1.5
    with count_queries() as shared:
        opened = client.get("/exam/floor/stations/GEN", headers=HTMX).get_data(as_text=True)
    assert 'id="board-waiting">1<' in opened
    assert shared.count < first.count, "nothing changed: the reading is shared, only the change mark is read"
    li_na = checked_in(floor, monkeypatch, "李娜")
    polled = client.get("/exam/floor/stations/GEN", headers=POLL).get_data(as_text=True)
    assert 'id="board-waiting">2<' in polled and "李娜" in polled, "a check-in moves the mark: read at once"
    visit(li_na, floor.gen, minutes_ago=1)
    opened = client.get("/exam/floor/stations/GEN", headers=HTMX).get_data(as_text=True)
    assert 'id="board-waiting">1<' in opened and 'id="board-in-progress">1<' in opened, "a visit too"
    now[0] += 2.1
    with count_queries() as aged:
        client.get("/exam/floor/stations/GEN", headers=POLL)
    assert aged.count == first.count, "two seconds on, the board is read again even if nothing changed"


def test_a_board_runs_the_same_number_of_queries_for_2_or_24_clients(floor, monkeypatch, client, doctor, count_queries):
    for n in range(2):
        appointment = checked_in(floor, monkeypatch, f"少{n}")
        visit(appointment, floor.gen, minutes_ago=5, finished_minutes_ago=1 if n else None)
    with count_queries() as few:
        assert client.get("/exam/floor/stations/GEN", headers=POLL).status_code == 200
    for n in range(22):
        appointment = checked_in(floor, monkeypatch, f"多{n}", slot=floor.mid)
        if n % 3 == 0:
            visit(appointment, floor.gen, minutes_ago=5, finished_minutes_ago=1 if n % 2 else None)
        elif n % 3 == 1:
            visit(appointment, floor.us, minutes_ago=5)
    with count_queries() as many:
        html = client.get("/exam/floor/stations/GEN", headers=POLL).get_data(as_text=True)
    assert html.count("<code>") == 24 - 7, "everyone but those in progress at ultrasound"
    assert many.count == few.count, many.queries
    with count_queries() as overview_few:
        client.get("/exam/floor", headers=POLL)
    checked_in(floor, monkeypatch, "再来一位", slot=floor.late)
    with count_queries() as overview_more:
        assert "再来一位" not in client.get("/exam/floor", headers=POLL).get_data(as_text=True)
    assert overview_more.count == overview_few.count


def test_the_desk_reads_the_boards_but_only_stations_scan_and_say_done(floor, monkeypatch, client, login):
    appointment = checked_in(floor, monkeypatch, "王芳")
    login(factories.make_user("scheduler", email="desk@example.com"))
    board = client.get("/exam/floor/stations/GEN").get_data(as_text=True)
    assert "王芳" in board and 'id="scan-code"' not in board and "Done here" not in board
    assert client.post(f"/exam/floor/stations/GEN/clients/{appointment.id}/done").status_code == 403
    assert client.post("/exam/floor/stations/GEN/scan", data={"code": appointment.exam_code}).status_code == 403
    assert StationVisit.select().count() == 0
