"""The front desk's day sheet in the browser's terms: the page, htmx check-in, no-show, walk-in, access."""

import pytest

from checkup.models import Appointment, AuditEvent
from tests import factories
from tests.booking_helpers import assert_counters_consistent
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock

HTMX = {"HX-Request": "true"}
IDENTITY = {"verified": ["name", "birth_date", "national_id"]}


@pytest.fixture
def day(app):
    return ExamDay()


@pytest.fixture
def desk(app, client):
    return factories.sign_in_directly(client, factories.make_user("scheduler", name="Desk Zhang"))


@pytest.mark.both_dbs
def test_the_day_sheet_shows_todays_appointments_by_slot_with_counts(app, client, day, desk, monkeypatch):
    _wang, early = booked_client(day, monkeypatch, day.early, "王芳", phone="13800000001")
    _li, late = booked_client(day, monkeypatch, day.late, "李雷", with_id=False)
    booked_client(day, monkeypatch, day.next_day, "明天来")
    freeze_clock(monkeypatch, 10, 30)

    page = client.get("/desk/day").get_data(as_text=True)

    assert "王芳" in page and "李雷" in page and "明天来" not in page
    assert early.exam_code in page and "13800000001" in page and "110105" in page
    sheet = page[page.index('id="day-sheet"') :]  # after the counts and the slot navigation
    assert sheet.index("08:00–09:00") < sheet.index("王芳") < sheet.index("10:00–11:00") < sheet.index("李雷")
    assert 'id="count-booked">2<' in page and 'id="count-cancelled">0<' in page and 'id="count-no_show">0<' in page
    assert page.count(">Check in</button>") == 2
    assert page.count(">Mark no-show</button>") == 1  # only the 08:00 slot has ended
    assert 'href="/desk/day/walk-in"' in page


def test_any_day_by_query_and_a_malformed_day_means_today(app, client, day, desk, monkeypatch):
    booked_client(day, monkeypatch, day.next_day, "明天来")
    page = client.get(f"/desk/day?day={day.tomorrow.isoformat()}").get_data(as_text=True)
    assert "明天来" in page and ">Check in</button>" not in page and "Register a walk-in" not in page
    for bad in ("2024-13-40", "yesterday", "<script>"):
        response = client.get("/desk/day", query_string={"day": bad})
        assert response.status_code == 200
        assert day.today.isoformat() in response.get_data(as_text=True)


def test_the_scheduler_menu_has_today(app, client, desk):
    assert '<a href="/desk/day"' in client.get("/desk").get_data(as_text=True)


@pytest.mark.both_dbs
def test_htmx_check_in_swaps_the_row_to_checked_in_with_the_guide_sheet_and_labels_links(
    app, client, day, desk, monkeypatch
):
    _wang, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    freeze_clock(monkeypatch, 9, 45)

    response = client.post(f"/desk/day/appointments/{appointment.id}/check-in", data=IDENTITY, headers=HTMX)

    row = response.get_data(as_text=True)
    assert response.status_code == 200
    assert row.strip().startswith("<tr") and "<html" not in row
    assert "Checked in" in row and f"/desk/day/appointments/{appointment.id}/guide-sheet.pdf" in row
    assert f"/desk/day/appointments/{appointment.id}/labels.pdf" in row
    assert ">Check in</button>" not in row
    assert "HX-Request" in response.headers["Vary"]
    assert Appointment.get_by_id(appointment.id).status == "checked_in"
    assert (
        AuditEvent.select().where(AuditEvent.action == "exam_day.checked_in", AuditEvent.user == desk.id).count() == 1
    )
    assert_counters_consistent()


def test_check_in_without_confirming_identity_keeps_the_row_and_says_why(app, client, day, desk, monkeypatch):
    _wang, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    freeze_clock(monkeypatch, 9, 45)
    response = client.post(
        f"/desk/day/appointments/{appointment.id}/check-in", data={"verified": ["name"]}, headers=HTMX
    )
    row = response.get_data(as_text=True)
    assert response.status_code == 200  # htmx 2 drops 4xx answers; the row carries the error
    assert 'role="alert"' in row and "Confirm the client&#39;s identity" in row and ">Check in</button>" in row
    assert Appointment.get_by_id(appointment.id).status == "booked"


def test_without_htmx_check_in_redirects_back_to_the_day_with_a_message(app, client, day, desk, monkeypatch):
    _wang, appointment = booked_client(day, monkeypatch, day.next_day, "王芳")
    response = client.post(f"/desk/day/appointments/{appointment.id}/check-in", data=IDENTITY)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/desk/day?day={day.tomorrow.isoformat()}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "day of their appointment only" in page
    assert Appointment.get_by_id(appointment.id).status == "booked"


def test_no_show_button_works_only_after_the_slot_ended(app, client, day, desk, monkeypatch):
    _wang, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    freeze_clock(monkeypatch, 10, 30)
    early = client.post(f"/desk/day/appointments/{appointment.id}/no-show", headers=HTMX)
    assert "after their time slot has ended" in early.get_data(as_text=True)
    assert Appointment.get_by_id(appointment.id).status == "booked"

    freeze_clock(monkeypatch, 11, 5)
    row = client.post(f"/desk/day/appointments/{appointment.id}/no-show", headers=HTMX).get_data(as_text=True)
    assert "No-show" in row and ">Mark no-show</button>" not in row and ">Check in</button>" not in row
    assert Appointment.get_by_id(appointment.id).status == "no_show"
    assert 'id="count-no_show">1<' in client.get("/desk/day").get_data(as_text=True)
    assert_counters_consistent()


@pytest.mark.both_dbs
def test_a_walk_in_is_found_booked_for_now_and_checked_in(app, client, day, desk, monkeypatch):
    freeze_clock(monkeypatch, 10, 15)
    person = factories.make_client("路人甲", phone="13700000007")

    assert "路人甲" not in client.get("/desk/day/walk-in", query_string={"q": "13700000007"}).get_data(as_text=True)
    found = client.post("/desk/day/walk-in", data={"q": "13700000007"}).get_data(as_text=True)  # never in an address
    assert f'href="/desk/day/walk-in?client={person.id}"' in found and Appointment.select().count() == 0
    page = client.get("/desk/day/walk-in").get_data(as_text=True)
    assert 'method="post" action="/desk/day/walk-in" role="search"' in page and 'name="csrf_token"' in page
    form = client.get(f"/desk/day/walk-in?client={person.id}").get_data(as_text=True)
    assert "BASIC" in form and "10:00–11:00" in form and 'value="national_id"' not in form

    refused = client.post("/desk/day/walk-in", data={"client": person.id, "package": "BASIC"})
    assert refused.status_code == 422 and Appointment.select().count() == 0

    response = client.post(
        "/desk/day/walk-in", data={"client": person.id, "package": "BASIC", "verified": ["name", "birth_date"]}
    )
    assert response.status_code == 303
    appointment = Appointment.get(Appointment.client == person.id)
    assert (appointment.status, appointment.source, appointment.slot_id) == ("checked_in", "walk_in", day.mid.id)
    page = client.get("/desk/day").get_data(as_text=True)
    assert "路人甲" in page and "walk-in" in page
    assert_counters_consistent()


def test_the_directory_offers_walk_in_today(app, client, desk):
    person = factories.make_client("路人乙")
    page = client.get(f"/directory/clients/{person.id}").get_data(as_text=True)
    assert f"/desk/day/walk-in?client={person.id}" in page


@pytest.mark.parametrize("role", ["client", "hr", "physician", "counselor"])
def test_other_roles_are_refused_everything_on_the_day_sheet(app, client, day, monkeypatch, role):
    _wang, appointment = booked_client(day, monkeypatch, day.mid, "王芳")
    factories.sign_in_directly(client, factories.make_user(role))
    for url in (
        "/desk/day",
        "/desk/day/walk-in",
        f"/desk/day/appointments/{appointment.id}/guide-sheet.pdf",
        f"/desk/day/appointments/{appointment.id}/labels.pdf",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/desk/day/appointments/{appointment.id}/check-in",
        f"/desk/day/appointments/{appointment.id}/no-show",
        "/desk/day/walk-in",
    ):
        assert client.post(url, data=IDENTITY).status_code == 403, url
    assert Appointment.get_by_id(appointment.id).status == "booked"
    assert AuditEvent.select().where(AuditEvent.action.startswith("exam_day.")).count() == 0


def test_unknown_ids_are_404(app, client, desk):
    assert client.get("/desk/day/appointments/999999/guide-sheet.pdf").status_code == 404
    assert client.get("/desk/day/appointments/999999/labels.pdf").status_code == 404
    assert client.post("/desk/day/appointments/999999/check-in", data=IDENTITY).status_code == 404
    assert client.post("/desk/day/appointments/999999/no-show", headers=HTMX).status_code == 404
    assert client.get("/desk/day/walk-in?client=999999").status_code == 200  # no such client: back to the search


def test_admin_may_use_the_day_sheet(app, client, day, monkeypatch):
    _wang, appointment = booked_client(day, monkeypatch, day.mid)
    factories.sign_in_directly(client, factories.make_user("admin"))
    freeze_clock(monkeypatch, 10, 0)
    assert client.get("/desk/day").status_code == 200
    assert client.post(f"/desk/day/appointments/{appointment.id}/check-in", data=IDENTITY).status_code == 303
    assert Appointment.get_by_id(appointment.id).status == "checked_in"


def test_anonymous_goes_to_sign_in(app, client):
    response = client.get("/desk/day")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
