"""The day sheet's content is kept per language and what the page read (blueprints/desk/daysheet.py,
day_sheets.reading_key, #16): the kept one is the one the template prints, with each request's own CSRF token;
a check-in, a booking, the clock passing a slot's end and the other language show at once."""

import re

import pytest

from checkup.blueprints.desk import daysheet
from checkup.services.exam import day_sheets
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
IDENTITY = {"verified": ["name", "birth_date", "national_id"]}


@pytest.fixture
def day(app):
    return ExamDay(slot_capacity=10)


@pytest.fixture
def sheet_day(day, monkeypatch):
    """Two booked at 08:00 (over at 09:30: no-show forms), two at 10:00 (check-in forms), one tomorrow."""
    booked = [booked_client(day, monkeypatch, day.early, f"早<{n}>")[1].id for n in range(2)]
    booked += [booked_client(day, monkeypatch, day.mid, f"中 & {n}")[1].id for n in range(2)]
    booked_client(day, monkeypatch, day.next_day, "明天来")
    freeze_clock(monkeypatch, 9, 30)
    return booked


def _content(page):
    return page[page.index("<h1>") : page.index("</main>")]


def _paths(day):
    return {
        "today": "/desk/day",
        "check-in slot": f"/desk/day?slot={day.mid.id}",
        "tomorrow": f"/desk/day?day={day.tomorrow.isoformat()}",
        "empty day": "/desk/day?day=2031-01-06",
    }


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page", ["today", "check-in slot", "tomorrow", "empty day"])
def test_kept_sheet_is_the_printed_one_with_each_session_its_own_token(app, client, day, sheet_day, language, page):
    app.config["WTF_CSRF_ENABLED"] = True
    factories.sign_in_directly(client, factories.make_user("scheduler"))
    path, headers = _paths(day)[page], {"Accept-Language": language}
    daysheet._KEPT_SHEETS._kept.clear()
    fresh = client.get(path, headers=headers).get_data(as_text=True)  # printed by the template now
    assert len(daysheet._KEPT_SHEETS._kept) == 1
    kept = client.get(path, headers=headers).get_data(as_text=True)  # the kept one, filled with the token
    assert kept == fresh
    tokens = set(TOKEN.findall(kept))
    forms = {"today": 6, "check-in slot": 2, "tomorrow": 0, "empty day": 0}[page]
    assert len(TOKEN.findall(_content(kept))) == forms and len(tokens) <= 1
    other = app.test_client()
    factories.sign_in_directly(other, factories.make_user("scheduler"))
    theirs = other.get(path, headers=headers).get_data(as_text=True)
    assert set(TOKEN.findall(theirs)).isdisjoint(tokens)
    assert TOKEN.sub("-", _content(theirs)) == TOKEN.sub("-", _content(kept))
    assert len(daysheet._KEPT_SHEETS._kept) == 1  # the same page for everyone: kept once


def test_a_check_in_a_booking_the_clock_and_the_other_language_show_at_once(client, day, sheet_day, monkeypatch):
    factories.sign_in_directly(client, factories.make_user("scheduler"))
    path = f"/desk/day?slot={day.mid.id}"
    page = client.get(path).get_data(as_text=True)
    assert page.count(">Check in</button>") == 2 and "Mark no-show" not in _content(page)
    client.post(f"/desk/day/appointments/{sheet_day[2]}/check-in", data=IDENTITY)
    page = client.get(path).get_data(as_text=True)
    assert page.count(">Check in</button>") == 1 and "Guide sheet (PDF)" in page
    booked_client(day, monkeypatch, day.mid, "新来的")
    freeze_clock(monkeypatch, 9, 30)
    page = client.get(path).get_data(as_text=True)
    assert "新来的" in page and page.count(">Check in</button>") == 2
    freeze_clock(monkeypatch, 11, 5)  # the 10:00 slot is over: its booked rows may be marked no-shows
    page = client.get(path).get_data(as_text=True)
    assert page.count(">Mark no-show</button>") == 2
    zh = client.get(path, headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "新来的" in zh and "Mark no-show" not in zh


def test_the_key_follows_what_the_page_shows_not_when_it_was_read(day, sheet_day, monkeypatch):
    first = day_sheets.reading_key(day_sheets.read_day_sheet(day.today))
    freeze_clock(monkeypatch, 9, 40)
    assert day_sheets.reading_key(day_sheets.read_day_sheet(day.today)) == first
    freeze_clock(monkeypatch, 11, 5)  # 10:00 over as well: the same slot shown, another page
    assert day_sheets.reading_key(day_sheets.read_day_sheet(day.today, day.early.id)) != first


def test_the_reading_gives_the_sheet_the_service_gives(day, sheet_day):
    for slot_id in (None, day.early.id, day.mid.id):
        sheet = day_sheets.sheet_of(day_sheets.read_day_sheet(day.today, slot_id))
        again = day_sheets.day_sheet(day.today, slot_id)
        assert [(g.slot, [r.appointment_id for r in g.rows]) for g in sheet.slots] == [
            (g.slot, [r.appointment_id for r in g.rows]) for g in again.slots
        ]
        assert (sheet.position, sheet.earlier, sheet.later) == (again.position, again.earlier, again.later)
