"""The floor's boards and overview are printed once per reading and language and shared by every screen
(blueprints/exam/board_rows.board_markup, stations_floor._overview_markup): each viewer still gets their own
CSRF token in the board's done buttons, a language never gets another's markup, and a new reading is
printed anew."""

import re

import pytest

from tests import factories
from tests.exam.test_station_queue import HTMX, POLL, checked_in, make_floor, visit

pytestmark = pytest.mark.both_dbs

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def floor(app):
    return make_floor()


@pytest.fixture
def shared(app, monkeypatch):
    """Readings kept for two seconds, the clock standing still: every request below shares them."""
    from checkup.core import headline_figures

    app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] = 2
    app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] = 5
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: 1000.0)


def test_a_shared_board_carries_each_viewers_own_token(floor, monkeypatch, app, client, login, shared):
    for n in range(2):
        visit(checked_in(floor, monkeypatch, f"王{n}"), floor.gen, minutes_ago=3)
    factories.make_user("physician", email="one@example.com")
    factories.make_user("physician", email="two@example.com")
    other = app.test_client()
    login("one@example.com")
    login("two@example.com", http=other)
    tokens = []
    for http in (client, other, client):
        page = http.get("/exam/floor/stations/GEN").get_data(as_text=True)
        own = set(TOKEN.findall(page))
        assert len(own) == 1, "the scan box and both done buttons carry the page's one token"
        tokens.append(own.pop())
        poll = http.get("/exam/floor/stations/GEN", headers=POLL).get_data(as_text=True)
        assert set(TOKEN.findall(poll)) == {tokens[-1]} and poll.count("Done here") == 2
    assert tokens[0] != tokens[1]
    desk = factories.make_user("scheduler", email="desk@example.com")
    front = app.test_client()
    login(desk, http=front)
    read_only = front.get("/exam/floor/stations/GEN", headers=HTMX).get_data(as_text=True)
    assert "Done here" not in read_only and "王1" in read_only, "the desk's board has no buttons"


def test_the_kept_markup_follows_the_language_and_each_new_reading(floor, monkeypatch, app, client, login, shared):
    login(factories.make_user("scheduler", email="desk@example.com"))
    checked_in(floor, monkeypatch, "王芳")
    english = client.get("/exam/floor", headers=POLL).get_data(as_text=True)
    chinese = client.get("/exam/floor", headers={**POLL, "Accept-Language": "zh"}).get_data(as_text=True)
    assert "General examination" in english and "一般检查" in chinese and "General examination" not in chinese
    board = client.get("/exam/floor/stations/GEN", headers={**POLL, "Accept-Language": "zh"}).get_data(as_text=True)
    assert "Waiting" not in board and "等待" in board and 'id="board-waiting">1<' in board
    checked_in(floor, monkeypatch, "李雷")  # the change mark moves: the board is read and printed anew
    board = client.get("/exam/floor/stations/GEN", headers=POLL).get_data(as_text=True)
    assert 'id="board-waiting">2<' in board and "李雷" in board
    page = client.get("/exam/floor").get_data(as_text=True)
    assert '<div id="floor" hx-get="/exam/floor"' in page and "General examination" in page
