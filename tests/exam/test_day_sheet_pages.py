"""The day sheet of a big day: counts per slot and status for every slot, rows for a page of whole slots
(a slot bigger than a page in parts), slot links and earlier/later pages; counters follow an htmx
check-in."""

import re

import pytest

from checkup.core.audit import Actor
from checkup.services.exam import day_sheets, exam_day
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs
HTMX = {"HX-Request": "true"}
IDENTITY = {"verified": ["name", "birth_date", "national_id"]}
ROW = re.compile(r'<tr id="appointment-(\d+)">')


@pytest.fixture
def day(app):
    return ExamDay(slot_capacity=10)


@pytest.fixture
def desk(app, client):
    return factories.sign_in_directly(client, factories.make_user("scheduler"))


@pytest.fixture
def busy_day(day, monkeypatch):
    """Three in the 08:00 slot, four at 10:00, one at 11:00; pages of three rows."""
    booked = {"early": [], "mid": [], "late": []}
    for name, count in (("early", 3), ("mid", 4), ("late", 1)):
        for n in range(count):
            booked[name].append(booked_client(day, monkeypatch, getattr(day, name), f"{name}客户{n}")[1].id)
    monkeypatch.setattr(day_sheets, "SHEET_PAGE_ROWS", 3)
    freeze_clock(monkeypatch, 9, 30)  # the 08:00 slot is over, with its three still booked
    return booked


def _shown(html):
    return [int(i) for i in ROW.findall(html)]


def test_a_page_holds_whole_slots_and_a_bigger_slot_comes_in_parts(day, busy_day):
    first = day_sheets.day_sheet(day.today)
    assert [g.slot.id for g in first.slots] == [day.early.id]
    assert sum(len(g.rows) for g in first.slots) == 3
    assert first.earlier is None and first.later == day_sheets.SheetPosition(day.mid.id)
    mid = day_sheets.day_sheet(day.today, day.mid.id)
    assert [g.slot.id for g in mid.slots] == [day.mid.id] and len(mid.slots[0].rows) == 3
    assert mid.later == day_sheets.SheetPosition(day.mid.id, 3) and mid.earlier == day_sheets.SheetPosition(
        day.early.id
    )
    rest = day_sheets.day_sheet(day.today, day.mid.id, 3)
    assert [(g.slot.id, len(g.rows)) for g in rest.slots] == [(day.mid.id, 1), (day.late.id, 1)]
    assert rest.later is None and rest.earlier == day_sheets.SheetPosition(day.mid.id, 0)
    seen = [r.appointment_id for sheet in (first, mid, rest) for g in sheet.slots for r in g.rows]
    assert sorted(seen) == sorted(busy_day["early"] + busy_day["mid"] + busy_day["late"])  # each once


def test_every_slot_is_counted_on_every_page(day, busy_day):
    sheet = day_sheets.day_sheet(day.today, day.late.id)
    assert [(g.slot.id, g.expected) for g in sheet.overview] == [(day.early.id, 3), (day.mid.id, 4), (day.late.id, 1)]
    assert sheet.counts["booked"] == 8 and sheet.expected == 8


def test_the_page_runs_the_same_queries_however_big_the_day(day, monkeypatch, count_queries):
    booked_client(day, monkeypatch, day.early, "一号")
    freeze_clock(monkeypatch, 9, 30)
    with count_queries() as small:
        day_sheets.day_sheet(day.today)
    for n in range(8):
        booked_client(day, monkeypatch, day.mid, f"客户{n}")
    freeze_clock(monkeypatch, 9, 30)
    with count_queries() as large:
        sheet = day_sheets.day_sheet(day.today, day.mid.id)
    assert small.count == large.count == 2 and len(sheet.slots[0].rows) == 8


def test_today_opens_on_the_first_slot_that_still_needs_the_desk(day, monkeypatch):
    booked_client(day, monkeypatch, day.early, "已到")
    booked_client(day, monkeypatch, day.mid, "稍后")
    freeze_clock(monkeypatch, 9, 30)
    assert day_sheets.day_sheet(day.today).position.slot_id == day.early.id  # over, someone still booked
    early = day_sheets.day_sheet(day.today).slots[0].rows[0]
    exam_day.mark_no_show(Actor(factories.make_user("scheduler")), early.appointment_id)
    assert day_sheets.day_sheet(day.today).position.slot_id == day.mid.id
    assert day_sheets.day_sheet(day.tomorrow).position.slot_id == day.next_day.id  # another day: its first slot


def test_the_page_links_every_slot_and_the_next_and_previous_pages(client, day, desk, busy_day):
    html = client.get("/desk/day").get_data(as_text=True)
    assert len(_shown(html)) == 3
    nav = html[html.index('id="slot-nav"') : html.index('id="day-sheet"')]
    for group, expected in ((day.early, 3), (day.mid, 4), (day.late, 1)):
        assert f'href="/desk/day?slot={group.id}#slot-{group.id}"' in nav
        assert f'id="slot-counts-{group.id}"' in nav
    assert re.search(rf'id="slot-counts-{day.mid.id}"[^>]*>4 expected · Booked 4<', nav)
    assert 'aria-current="true"' in nav.split(f"slot={day.mid.id}")[0]  # the shown slot is marked
    later = f"/desk/day?slot={day.mid.id}#slot-{day.mid.id}"
    assert f'href="{later}" rel="next"' in html and 'rel="prev"' not in html
    second = client.get(later.split("#")[0]).get_data(as_text=True)
    assert len(_shown(second)) == 3 and set(_shown(second)) <= set(busy_day["mid"])
    assert f'href="/desk/day?slot={day.mid.id}&amp;start=3#slot-{day.mid.id}" rel="next"' in second
    assert "appointments 1 to 3 of 4" in second
    third = client.get(f"/desk/day?slot={day.mid.id}&start=3").get_data(as_text=True)
    assert len(_shown(third)) == 2 and "appointments 4 to 4 of 4" in third


def test_another_days_pages_keep_the_day(client, day, desk, monkeypatch):
    booked_client(day, monkeypatch, day.next_day, "明天来")
    html = client.get(f"/desk/day?day={day.tomorrow.isoformat()}").get_data(as_text=True)
    assert f"/desk/day?day={day.tomorrow.isoformat()}&amp;slot={day.next_day.id}" in html


@pytest.mark.parametrize("query", ["slot=abc", "slot=999999", "slot=-1&start=5", "start=99999", "slot=1&start=x"])
def test_odd_positions_never_break_the_sheet(client, day, desk, busy_day, query):
    response = client.get(f"/desk/day?{query}")
    assert response.status_code == 200 and _shown(response.get_data(as_text=True))


def test_a_slot_of_another_day_is_not_shown_on_this_one(client, day, desk, monkeypatch):
    booked_client(day, monkeypatch, day.next_day, "明天来")
    booked_client(day, monkeypatch, day.early, "今天来")
    freeze_clock(monkeypatch, 7, 30)
    html = client.get(f"/desk/day?slot={day.next_day.id}").get_data(as_text=True)
    assert "今天来" in html and "明天来" not in html


def test_an_htmx_check_in_refreshes_the_counters_out_of_band(client, day, desk, monkeypatch):
    _wang, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    booked_client(day, monkeypatch, day.mid, "李雷")
    freeze_clock(monkeypatch, 9, 45)
    answer = client.post(f"/desk/day/appointments/{appointment.id}/check-in", data=IDENTITY, headers=HTMX)
    html = answer.get_data(as_text=True)
    assert html.strip().startswith(f'<tr id="appointment-{appointment.id}">')
    oob = html[html.index("<template>") :]
    assert 'id="day-counts" class="facts day-counts" hx-swap-oob="true"' in oob
    assert 'id="count-checked_in">1<' in oob and 'id="count-booked">1<' in oob and 'id="count-expected">2<' in oob
    assert re.search(
        rf'id="slot-counts-{day.mid.id}"[^>]*hx-swap-oob="true">2 expected · Booked 1 · Checked in 1<', oob
    )
    refused = client.post(f"/desk/day/appointments/{appointment.id}/check-in", data=IDENTITY, headers=HTMX)
    assert "<template>" not in refused.get_data(as_text=True)  # an error changes no count
