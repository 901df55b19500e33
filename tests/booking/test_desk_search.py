"""The desk's appointment search at any size: an exam code or phone number typed whole is one index lookup;
a name is a text search whose matching clients are collected first (PostgreSQL), or, when there are too
many, a plain query; at most a page is read, and one row more to say there are more."""

import datetime

import pytest

from checkup.core.audit import Actor
from checkup.models import Slot
from checkup.services.accounts import client_search
from checkup.services.booking import appointments, booking
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    return Center(slot_capacity=20)


def _book(center, name, phone="", slot=None):
    person = factories.make_client(name=name, phone=phone)
    return booking.book(Actor(), person.id, (slot or center.slot).id, "BASIC")


def test_an_exam_code_typed_whole_is_one_index_lookup(center, count_queries):
    wanted = _book(center, "赵六", "13911112222")
    _book(center, "赵六六")
    with count_queries() as lookup:
        found = appointments.search(f"  {wanted.exam_code.lower()} ")
    assert [a.id for a in found.rows] == [wanted.id] and not found.more
    assert lookup.count == 1 and "ILIKE" not in lookup.queries[0].upper() and "LIKE" not in lookup.queries[0]


def test_a_phone_number_typed_whole_is_exact_and_a_part_of_one_is_text(center, count_queries):
    wanted = _book(center, "赵六", "13911112222")
    _book(center, "钱七", "13911112222-8")
    with count_queries() as lookup:
        exact = appointments.search("13911112222")
    assert [a.id for a in exact.rows] == [wanted.id] and lookup.count == 1
    assert {a.client.name for a in appointments.search("1391111").rows} == {"赵六", "钱七"}


def test_a_name_lists_the_newest_first_and_says_when_there_are_more(center):
    later = Slot.create(
        day=center.day + datetime.timedelta(days=1),
        start_time=datetime.time(8, 0),
        end_time=datetime.time(9, 0),
        capacity=5,
    )
    older = [_book(center, f"孙悟空{n}") for n in range(2)]
    newest = _book(center, "孙悟空9", slot=later)
    found = appointments.search("孙悟空", limit=2)
    assert [a.id for a in found.rows] == [newest.id, max(a.id for a in older)] and found.more
    assert not appointments.search("孙悟空", limit=3).more
    assert appointments.search("猪八戒").rows == []


def test_too_many_matching_clients_falls_back_to_the_plain_query(center, monkeypatch):
    booked = [_book(center, f"唐僧{n}") for n in range(3)]
    monkeypatch.setattr(client_search, "CANDIDATE_CAP", 1)
    found = appointments.search("唐僧")
    assert sorted(a.id for a in found.rows) == sorted(a.id for a in booked)


def test_the_page_says_when_only_the_newest_are_shown(client, center, make_user, login, monkeypatch):
    login(make_user("scheduler"))
    for n in range(3):
        _book(center, f"沙和尚{n}")
    monkeypatch.setattr(appointments.search, "__defaults__", (2,))  # a page of two
    html = client.post("/desk/appointments", data={"q": "沙和尚"}).get_data(as_text=True)
    assert html.count(">沙和尚") == 2 and "Only the newest 2 are shown" in html
