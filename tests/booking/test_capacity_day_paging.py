"""The capacity day lists a busy day's appointments a page at a time (a big center books 1,300 on a day)."""

import datetime
import re

import pytest

from checkup.core.audit import Actor
from checkup.services.booking import booking, capacity
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs

PER_PAGE = capacity.DAY_APPOINTMENTS_PER_PAGE


@pytest.fixture
def http(client, make_user):
    factories.sign_in_directly(client, make_user("scheduler"))
    return client


def text(response):
    return response.get_data(as_text=True)


def _listed(page):
    """The client names in the appointments table, in order."""
    section = page[page.index('id="appointments"') :]
    return re.findall(r"<tr>\s*<td>([^<]*)</td>", section)


def _busy_day(count):
    center = Center(slot_capacity=count)
    booked = []
    for n in range(count):
        client = factories.make_client(
            name=f"Client {n:03d}", phone=f"1380000{n:04d}", birth_date=datetime.date(1980, 1, 1)
        )
        booked.append(booking.book(Actor(), client.id, (center.slot if n % 2 else center.slot2).id, "BASIC"))
    return center, booked


def test_a_busy_day_lists_its_appointments_a_page_at_a_time(app, http, count_queries):
    total = PER_PAGE + 2
    center, booked = _busy_day(total)
    with count_queries() as first_queries:
        first = text(http.get(f"/desk/capacity/{center.day}"))
    assert _listed(first) == [f"Client {n:03d}" for n in range(PER_PAGE)]
    assert f"appointments 1 to {PER_PAGE} of {total}" in first
    assert "Page 1 of 2" in first and f"/desk/capacity/{center.day}?page=2" in first
    row = re.search(r"<tr>\s*<td>Client 001</td>(.*?)</tr>", first, re.S).group(1)
    assert "13800000001" in row and booked[1].exam_code in row and "08:00–09:00" in row

    with count_queries() as second_queries:
        second = text(http.get(f"/desk/capacity/{center.day}?page=2"))
    assert _listed(second) == [f"Client {n:03d}" for n in range(PER_PAGE, total)]
    assert f"appointments {PER_PAGE + 1} to {total} of {total}" in second and "Page 2 of 2" in second
    assert first_queries.count == second_queries.count
    # the slots and resources stay on every page
    assert "08:00–09:00" in second and 'name="slot-%d-capacity"' % center.slot.id in second

    past_the_end = text(http.get(f"/desk/capacity/{center.day}?page=99"))
    assert _listed(past_the_end) == _listed(second)
    assert _listed(text(http.get(f"/desk/capacity/{center.day}?page=nonsense"))) == _listed(first)


def test_a_quiet_day_has_no_pager(app, http):
    center, _booked = _busy_day(3)
    page = text(http.get(f"/desk/capacity/{center.day}"))
    assert _listed(page) == ["Client 000", "Client 001", "Client 002"]
    assert "Page 1" not in page and "appointments 1 to" not in page


def test_a_day_without_slots_lists_nobody(app, http):
    day = datetime.date.today() + datetime.timedelta(days=40)
    page = text(http.get(f"/desk/capacity/{day}"))
    assert "Nobody is booked on this day." in page and "Page 1" not in page
