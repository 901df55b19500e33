"""The review list (/exam/review): who is ready to sign (every item resulted, every station's conclusion signed),
chosen by anti-joins and paged in SQL, so the page costs the same whatever the number of reports already signed."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.models import Appointment, AppointmentItem, Report, Result, Slot, StationConclusion
from checkup.models.appointments import BOOKED, CHECKED_IN, COMPLETED
from checkup.services.exam import review_queue
from tests import factories
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs


class Desk:
    """Checked-in (or other) appointments of one day, with two items each, written straight to the models."""

    def __init__(self):
        department = factories.make_department("LAB")
        self.items = [factories.make_item("WBC", department), factories.make_item("GLU", department)]
        self.package = factories.make_package("TWO", self.items, price="200.00", name_zh="两项")
        self.slot = Slot.create(day=clock.today(), start_time=datetime.time(8), end_time=datetime.time(9), capacity=500)
        self.count = 0

    def appointment(self, status=CHECKED_IN, day=None, items=True, results="all", station="signed"):
        """``results``: "all" (every item done), "some" (one missing), "blank" (one without a value),
        "skipped" (one skipped, the other done) or "none"; ``station``: the LAB station's conclusion
        "signed", a "draft" or None."""
        self.count += 1
        client = factories.make_client(name=f"候诊{self.count}", email=f"wait{self.count}@example.com")
        appointment = Appointment.create(
            exam_code=f"R{self.count:06d}",
            client=client,
            slot=self.slot,
            day=day or self.slot.day,
            package=self.package,
            status=status,
            total_price=Decimal("200"),
            self_amount=Decimal("200"),
        )
        if not items:
            return appointment
        for item in self.items:
            AppointmentItem.create(appointment=appointment, item=item, price=Decimal("100"))
        done = {"all": 2, "some": 1, "blank": 1, "skipped": 2, "none": 0}[results]
        for n, item in enumerate(self.items[:done]):
            skipped = results == "skipped" and n == 1
            Result.create(
                appointment=appointment,
                item=item,
                value_num=None if skipped else Decimal("5"),
                value_text="" if skipped else "5",
                skipped=skipped,
            )
        if results == "blank":
            Result.create(appointment=appointment, item=self.items[1], value_text="")
        if station:
            StationConclusion.create(
                appointment=appointment, department=self.items[0].department_id, text="未见异常。", status=station
            )
        return appointment


@pytest.fixture
def desk(app):
    return Desk()


def test_only_checked_in_checkups_with_every_item_done_and_nothing_signed_are_ready(desk):
    yesterday = clock.today() - datetime.timedelta(days=1)
    ready = desk.appointment()
    skipped = desk.appointment(results="skipped")
    older = desk.appointment(day=yesterday)
    drafted = desk.appointment()
    Report.create(appointment=drafted, status="draft")  # a draft is not a signature
    desk.appointment(results="some")
    desk.appointment(results="blank")
    desk.appointment(results="none")
    desk.appointment(items=False)
    desk.appointment(status=BOOKED)
    signed = desk.appointment()
    Report.create(appointment=signed, status="superseded", version=1)  # signed once, amended since
    Report.create(appointment=signed, status="draft", version=2)
    completed = desk.appointment(status=COMPLETED)
    Report.create(appointment=completed, status="published")
    desk.appointment(station="draft")  # the station doctor has not signed the conclusion
    desk.appointment(station=None)

    expected = [older.id, ready.id, skipped.id, drafted.id]
    assert [a.id for a in review_queue.ready_for_review()] == expected
    page = review_queue.review_queue()
    assert [a.id for a in page.items] == expected and page.total == 4 and page.pages == 1
    assert page.items[0].client.name == older.client.name and page.items[0].package.code == "TWO"


def test_the_queue_is_paged_in_sql_oldest_first(desk):
    first_day = clock.today() - datetime.timedelta(days=3)
    made = [desk.appointment(day=first_day + datetime.timedelta(days=n % 3)) for n in range(7)]
    expected = [a.id for a in sorted(made, key=lambda a: (a.day, a.id))]
    pages = [review_queue.review_queue(number, per_page=3) for number in (1, 2, 3)]
    assert [[a.id for a in page.items] for page in pages] == [expected[:3], expected[3:6], expected[6:]]
    assert {(page.total, page.pages) for page in pages} == {(7, 3)}
    assert review_queue.review_queue(99, per_page=3).number == 3  # clamped to the last page
    assert [a.id for a in review_queue.ready_for_review(limit=2)] == expected[:2]


def test_the_review_page_runs_a_fixed_number_of_queries_and_pages_with_htmx(app, desk, client, count_queries):
    chief = factories.make_user("chief", email="chief@example.com")
    sign_in_directly(client, chief)
    desk.appointment()
    with count_queries() as few:
        assert client.get("/exam/review").status_code == 200
    for _ in range(review_queue.REVIEW_PAGE_SIZE + 5):
        desk.appointment()
    with count_queries() as many:
        page = client.get("/exam/review")
    html = page.get_data(as_text=True)
    assert many.count == few.count
    assert html.count("/exam/review/") - html.count("/exam/review/reports/") >= review_queue.REVIEW_PAGE_SIZE
    assert 'hx-target="#ready-list"' in html and "page=2" in html
    fragment = client.get("/exam/review?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "R000" in fragment and "Recently signed" not in fragment
    assert fragment.count('href="/exam/review/') == 6 and 'rel="prev"' in fragment  # the last six of 56


def test_the_queue_is_shared_until_anything_it_follows_changes(app, desk, client, count_queries, monkeypatch):
    from checkup.core import headline_figures

    app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] = 2
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: 1000.0)
    sign_in_directly(client, factories.make_user("chief", email="chief@example.com"))
    waiting = desk.appointment(station="draft")
    ready = desk.appointment()
    htmx = {"HX-Request": "true"}
    with count_queries() as first:
        html = client.get("/exam/review", headers=htmx).get_data(as_text=True)
    assert ready.exam_code in html and waiting.exam_code not in html
    with count_queries() as shared:
        assert ready.exam_code in client.get("/exam/review", headers=htmx).get_data(as_text=True)
    assert shared.count < first.count, "nothing changed: the page is shared, only the change mark is read"
    StationConclusion.update(status="signed").where(StationConclusion.appointment == waiting.id).execute()
    html = client.get("/exam/review", headers=htmx).get_data(as_text=True)
    assert waiting.exam_code in html, "a station signed: the queue is read again at once"
    Appointment.update(status=COMPLETED).where(Appointment.id == ready.id).execute()
    assert ready.exam_code not in client.get("/exam/review", headers=htmx).get_data(as_text=True)
