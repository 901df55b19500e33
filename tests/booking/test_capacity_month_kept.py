"""The capacity calendar's month is printed once per language, month, today and what its slots and resource
days hold (blueprints/desk/capacity._KEPT_MONTHS), and every change to them shows at once."""

import datetime

import pytest

from checkup.blueprints.desk import capacity as capacity_views
from checkup.core import clock
from checkup.models import ResourceDay, Slot
from tests import factories

pytestmark = pytest.mark.both_dbs

T = datetime.time
HX = {"HX-Request": "true"}


@pytest.fixture
def http(client, make_user):
    factories.sign_in_directly(client, make_user("scheduler"))
    return client


def month_of(day):
    return f"/desk/capacity?month={day:%Y-%m}"


def printed_afresh(http, path, **headers):
    capacity_views._KEPT_MONTHS._kept.clear()
    return http.get(path, headers=headers).get_data(as_text=True)


def test_a_kept_month_is_the_month_printed_afresh_page_fragment_and_language(app, http):
    day = clock.today() + datetime.timedelta(days=2)
    ct = factories.make_resource("CT", capacity=3)
    Slot.create(day=day, start_time=T(8), end_time=T(9), capacity=10, booked=4)
    ResourceDay.create(resource=ct, day=day, capacity=3, booked=3)
    path = month_of(day)
    for headers in ({}, HX, {"Accept-Language": "zh-CN"}, {"Accept-Language": "zh-CN", **HX}):
        fresh = printed_afresh(http, path, **headers)
        assert http.get(path, headers=headers).get_data(as_text=True) == fresh
    english = printed_afresh(http, path)
    chinese = http.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    fragment = http.get(path, headers=HX).get_data(as_text=True)
    assert "<html" in english and "<html" in chinese and "<html" not in fragment
    assert "Plenty of room" in english and "Plenty of room" not in chinese


def test_a_booking_a_closed_day_and_a_resource_show_at_once(app, http):
    day = clock.today() + datetime.timedelta(days=2)
    ct = factories.make_resource("CT", capacity=3)
    slot = Slot.create(day=day, start_time=T(8), end_time=T(9), capacity=10, booked=4)
    http.get(month_of(day))
    Slot.update(booked=10).where(Slot.id == slot.id).execute()
    page = http.get(month_of(day)).get_data(as_text=True)
    assert "cal-day fill-full" in page and page == printed_afresh(http, month_of(day))
    Slot.update(closed=True).where(Slot.id == slot.id).execute()
    assert "cal-day fill-closed" in http.get(month_of(day)).get_data(as_text=True)
    ResourceDay.create(resource=ct, day=day, capacity=3, booked=1)
    assert "CT</abbr> 1/3" in http.get(month_of(day)).get_data(as_text=True)


def test_the_next_day_marks_a_new_today(app, http, monkeypatch):
    today = clock.today()
    first = http.get("/desk/capacity").get_data(as_text=True)
    assert first.count("cal-day") and " today" in first
    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    page = http.get(month_of(tomorrow)).get_data(as_text=True)
    assert page == printed_afresh(http, month_of(tomorrow))
    assert f'href="/desk/capacity/{tomorrow}">' in page
    marked = page.split('<li class="cal-day', 1)[1:]
    assert marked and f"/desk/capacity/{today}" not in page.split(" today", 1)[1].split("</li>", 1)[0]


def test_what_is_kept_holds_no_token_and_nothing_of_the_viewer(app, http):
    """The month has no form: what is kept is the month alone (one piece, no CSRF token cut out of it), and
    its key is the language, the root address, page or fragment, the month, today and the month's counts."""
    capacity_views._KEPT_MONTHS._kept.clear()
    http.get("/desk/capacity")
    http.get("/desk/capacity", headers=HX)
    kept = capacity_views._KEPT_MONTHS._kept
    assert len(kept) == 2
    for (language, root, fragment, first, today, _held), pieces in kept.items():
        assert len(pieces) == 1 and (language, root, today) == ("en", "", clock.today())
        assert first == clock.today().replace(day=1) and fragment in (True, False)
