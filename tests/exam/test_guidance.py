"""Guidance (导检): the next station suggested is the least loaded of those the client may go to now, fasting
stations first and the catalog's order rules kept; the floor's guidance screen and the client's own "where
next" card on their phone (only their own)."""

import pytest

from checkup.core.audit import Actor
from checkup.services.catalog.station_order import Stop
from checkup.services.exam import guidance, results
from tests import factories
from tests.exam.test_station_queue import POLL, checked_in, make_floor, visit
from tests.exam_day_helpers import booked_client, freeze_clock


def stop(station_id, fasting=False):
    return Stop(station_id, station_id, f"S{station_id}", fasting=fasting)


# --- the rule, on plain values --------------------------------------------------------------------------


def test_the_least_loaded_station_is_suggested():
    suggested, _ordered = guidance.next_stop([stop(1), stop(2), stop(3)], {1: 9, 2: 1, 3: 4}, [])
    assert suggested.station_id == 2


def test_fasting_stations_come_first_however_busy():
    stops = [stop(1, fasting=True), stop(2), stop(3, fasting=True)]
    suggested, ordered = guidance.next_stop(stops, {1: 12, 2: 0, 3: 30}, [])
    assert suggested.station_id == 1 and [s.station_id for s in ordered][:2] == [1, 3]


def test_an_order_rule_holds_even_when_the_later_station_is_empty():
    # 1 (ultrasound) before 2 (gastroscopy): both fasting, gastroscopy idle
    stops = [stop(1, fasting=True), stop(2, fasting=True), stop(3)]
    suggested, _ = guidance.next_stop(stops, {1: 20, 2: 0, 3: 0}, [(1, 2)])
    assert suggested.station_id == 1
    suggested, _ = guidance.next_stop([stop(2, fasting=True), stop(3)], {2: 5, 3: 0}, [(1, 2)])
    assert suggested.station_id == 2, "a rule naming a station already done no longer holds anything back"


def test_a_tie_goes_to_the_suggested_order_and_nothing_left_suggests_nothing():
    suggested, _ = guidance.next_stop([stop(3), stop(2)], {2: 1, 3: 1}, [])
    assert suggested.station_id == 2
    assert guidance.next_stop([], {}, []) == (None, [])
    cycle, _ = guidance.next_stop([stop(1), stop(2)], {}, [(1, 2), (2, 1)])
    assert cycle is not None


# --- on the floor --------------------------------------------------------------------------------------


@pytest.fixture
def floor(app):
    return make_floor()


@pytest.mark.both_dbs
def test_the_floor_guidance_sends_each_client_to_the_least_busy_allowed_station(floor, monkeypatch):
    others = [checked_in(floor, monkeypatch, f"排队{n}") for n in range(3)]
    for other in others:  # three clients in the draw room
        visit(other, floor.draw, minutes_ago=3)
    fresh = checked_in(floor, monkeypatch, "新来的")  # fasting: draw (busy) or ultrasound (free), not GEN
    no_fast = checked_in(floor, monkeypatch, "不空腹", package="NO-FAST")
    listing = guidance.floor_guidance()
    rows = {row.appointment.client.name: row.guide for row in listing.page.items}
    assert rows["新来的"].next == floor.us and rows["新来的"].fasting_left
    assert rows["排队0"].current == floor.draw and rows["排队0"].next == floor.us
    assert rows["不空腹"].next == floor.us, "the fasting ultrasound before the general exam"
    results.record_result(Actor(), no_fast.id, "US-ABD", "Normal.")
    after = {r.appointment.id: r.guide for r in guidance.floor_guidance().page.items}
    assert after[no_fast.id].next == floor.gen and not after[no_fast.id].fasting_left
    assert after[fresh.id].still_to_do[-1] == floor.gen, "breakfast stations last"


@pytest.mark.both_dbs
def test_the_guidance_screen_pages_polls_and_keeps_its_query_count(floor, monkeypatch, client, login, count_queries):
    login(factories.make_user("scheduler", email="desk@example.com"))
    checked_in(floor, monkeypatch, "甲")
    with count_queries() as few:
        page = client.get("/exam/floor/guidance")
    html = page.get_data(as_text=True)
    assert 'hx-trigger="every 10s"' in html and "甲" in html and "Ultrasound" in html
    for n in range(guidance.GUIDE_PAGE_ROWS + 3):
        appointment = checked_in(floor, monkeypatch, f"客{n:02d}", slot=floor.mid)
        if n % 4 == 0:
            visit(appointment, floor.gen, minutes_ago=2)
    with count_queries() as many:
        poll = client.get("/exam/floor/guidance", headers=POLL).get_data(as_text=True)
    assert many.count == few.count, many.queries
    assert "<html" not in poll and poll.count("<code>") == guidance.GUIDE_PAGE_ROWS and 'rel="next"' in poll
    second = client.get("/exam/floor/guidance?page=2", headers=POLL).get_data(as_text=True)
    assert second.count("<code>") == 4 and 'hx-get="/exam/floor/guidance?page=2"' in second


@pytest.mark.both_dbs
def test_the_guidance_screen_and_a_worklist_are_shared_until_the_floor_changes(
    floor, monkeypatch, client, login, app, count_queries
):
    from checkup.core import headline_figures

    app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] = 2
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: 1000.0)
    login(factories.make_user("scheduler", "physician", email="floor@example.com"))
    checked_in(floor, monkeypatch, "甲")
    for path in ("/exam/floor/guidance", f"/exam/stations/{floor.gen.code}"):
        with count_queries() as first:
            assert "甲" in client.get(path, headers=POLL).get_data(as_text=True)
        with count_queries() as shared:
            assert "甲" in client.get(path, headers=POLL).get_data(as_text=True)
        assert shared.count < first.count, f"{path}: nothing changed, the reading is shared"
    checked_in(floor, monkeypatch, "乙")
    for path in ("/exam/floor/guidance", f"/exam/stations/{floor.gen.code}"):
        assert "乙" in client.get(path, headers=POLL).get_data(as_text=True), f"{path}: a check-in is seen at once"


# --- the client's own card ----------------------------------------------------------------------------


@pytest.fixture
def on_the_floor(floor, monkeypatch, client, login):
    """The signed-in client, checked in today, and another client checked in too."""
    appointment = checked_in(floor, monkeypatch, "王芳")
    factories.make_user("client", email="wang@example.com", client=appointment.client)
    other = checked_in(floor, monkeypatch, "李雷")
    login("wang@example.com")
    return appointment, other


@pytest.mark.both_dbs
def test_the_client_sees_where_to_go_next_on_their_phone(floor, monkeypatch, client, on_the_floor):
    appointment, _other = on_the_floor
    visit(appointment, floor.draw, minutes_ago=4)
    card = client.get(f"/me/exam-day/{appointment.id}", headers=POLL)
    html = card.get_data(as_text=True)
    assert card.status_code == 200 and "<html" not in html
    assert "You are at Blood draw now." in html and 'id="next-station">Ultrasound<' in html
    assert 'hx-trigger="every 10s"' in html and "Please stay fasting" in html
    assert "李雷" not in html
    home = client.get("/me").get_data(as_text=True)
    assert 'hx-get="/me/exam-day"' in home
    today = client.get("/me/exam-day", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="next-station">Ultrasound<' in today


@pytest.mark.both_dbs
def test_another_clients_appointment_is_a_404_like_a_missing_one(floor, monkeypatch, client, on_the_floor):
    _appointment, other = on_the_floor
    theirs = client.get(f"/me/exam-day/{other.id}")
    missing = client.get("/me/exam-day/999999")
    assert theirs.status_code == missing.status_code == 404
    assert "李雷" not in theirs.get_data(as_text=True)


@pytest.mark.both_dbs
def test_before_check_in_and_on_other_days_the_card_says_so(floor, monkeypatch, client, login):
    person, booked = booked_client(floor, monkeypatch, floor.early, "赵敏", package="FLOOR")
    _same, later = booked_client(floor, monkeypatch, floor.next_day, "赵敏", package="FLOOR", with_id=False)
    factories.make_user("client", email="zhao@example.com", client=person)
    login("zhao@example.com")
    freeze_clock(monkeypatch, 9, 0)
    waiting = client.get(f"/me/exam-day/{booked.id}").get_data(as_text=True)
    assert "Please check in at the front desk first." in waiting and 'hx-trigger="every 30s"' in waiting
    assert client.get(f"/me/exam-day/{later.id}").status_code == 404, "that one is another record's"
    freeze_clock(monkeypatch, 9, 0, day=floor.tomorrow)
    other_day = client.get(f"/me/exam-day/{booked.id}").get_data(as_text=True)
    assert f"Your checkup is on {floor.today.isoformat()}." in other_day and "hx-trigger" not in other_day


@pytest.mark.both_dbs
def test_no_checkup_today_means_no_card(floor, client, login):
    login(factories.make_user("client", email="none@example.com"))
    assert client.get("/me/exam-day", headers={"HX-Request": "true"}).get_data(as_text=True) == ""
    assert "You have no checkup today." in client.get("/me/exam-day").get_data(as_text=True)
