"""The scan box: a station scans a specimen label or types an exam code and the client's form opens at once;
the client is in progress there. A code that names nobody, or a client not checked in today, is refused in
place and changes nothing."""

import json

import pytest

from checkup.models import Appointment, AuditEvent, StationVisit
from checkup.services.exam import day_sheets, station_board
from tests import factories
from tests.exam.test_station_queue import HTMX, checked_in, make_floor, visit
from tests.exam_day_helpers import booked_client, freeze_clock

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def floor(app):
    return make_floor()


@pytest.fixture
def doctor(app, client, login):
    user = factories.make_user("physician", email="doc@example.com")
    login(user)
    return user


def scan(client, station, code, htmx=True):
    return client.post(f"/exam/floor/stations/{station}/scan", data={"code": code}, headers=HTMX if htmx else {})


def test_scanning_an_exam_code_opens_the_result_form_and_marks_the_client_in_progress(
    floor, monkeypatch, client, doctor
):
    appointment = checked_in(floor, monkeypatch, "王芳")
    answer = scan(client, "GEN", f"  {appointment.exam_code.lower()}\n")  # a scanner's Enter, typed in lower case
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"] == f"/exam/appointments/{appointment.id}/stations/GEN"
    stored = StationVisit.get(StationVisit.appointment == appointment.id)
    assert (stored.station_id, stored.started_by_id, stored.finished_at) == (floor.gen.id, doctor.id, None)
    board = station_board.station_board(floor.gen)
    assert [row.name for row in board.in_progress] == ["王芳"] and board.waiting_count == 0
    event = AuditEvent.get(AuditEvent.action == "floor.scanned_in")
    assert json.loads(event.detail)["station"] == floor.gen.id and event.user_id == doctor.id
    form = client.get(answer.headers["HX-Redirect"])
    assert form.status_code == 200 and "王芳" in form.get_data(as_text=True)


def test_a_tube_label_opens_the_draw_room_page_with_that_tube_marked(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    answer = scan(client, "DRAW", f"{appointment.exam_code}-FLU", htmx=False)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/exam/floor/stations/DRAW/clients/{appointment.id}?container=FLU")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"{appointment.exam_code}-FLU" in page and f"{appointment.exam_code}-EDTA" in page
    assert page.count('aria-current="true"') == 1 and "Done at this station" in page
    done = client.post(f"/exam/floor/stations/DRAW/clients/{appointment.id}/done")
    assert done.status_code == 303 and done.headers["Location"].endswith("/exam/floor/stations/DRAW")
    assert StationVisit.get(StationVisit.appointment == appointment.id).finished_at is not None


def test_being_scanned_in_at_another_station_finishes_the_visit_before(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    scan(client, "DRAW", appointment.exam_code)
    scan(client, "US", appointment.exam_code)
    visits = {v.station_id: v for v in StationVisit.select()}
    assert visits[floor.draw.id].finished_at is not None and visits[floor.us.id].finished_at is None
    scan(client, "US", appointment.exam_code)
    assert StationVisit.select().count() == 2, "a rescan opens the same visit"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("TNOSUCH99", "No appointment has the exam code or label TNOSUCH99."),
        ("", "Scan a label or type an exam code."),
        ("<b>x</b>", "No appointment has the exam code or label &lt;b&gt;x&lt;/b&gt;."),
    ],
)
def test_an_unknown_code_is_refused_in_the_box_and_changes_nothing(floor, monkeypatch, client, doctor, typed, message):
    checked_in(floor, monkeypatch, "王芳")
    answer = scan(client, "GEN", typed)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="scan-box"' in html and "<html" not in html
    assert message in html and 'role="alert"' in html and "autofocus" in html
    assert StationVisit.select().count() == 0 and not AuditEvent.select().where(AuditEvent.action == "floor.scanned_in")
    plain = scan(client, "GEN", typed, htmx=False)
    assert (
        plain.status_code in (404, 422)
        and message in plain.get_data(as_text=True)
        and "<html" in plain.get_data(as_text=True)
    )


def test_a_client_not_checked_in_today_is_refused_with_the_reason(floor, monkeypatch, client, doctor):
    _person, booked = booked_client(floor, monkeypatch, floor.early, "赵敏", package="FLOOR")
    _other, tomorrow = booked_client(floor, monkeypatch, floor.next_day, "李雷", package="FLOOR")
    freeze_clock(monkeypatch, 9, 30)
    not_in = scan(client, "GEN", booked.exam_code).get_data(as_text=True)
    assert (
        f"Exam code {booked.exam_code} is not checked in (Booked): send the client to the front desk first." in not_in
    )
    later = scan(client, "GEN", tomorrow.exam_code).get_data(as_text=True)
    assert f"is booked for {tomorrow.day.isoformat()}, not today." in later
    assert StationVisit.select().count() == 0


def test_a_client_with_nothing_at_the_station_is_told_so(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳", package="GEN-ONLY")
    html = scan(client, "ENDO", appointment.exam_code).get_data(as_text=True)
    assert f"Exam code {appointment.exam_code} has nothing to do at 内镜中心." in html
    assert StationVisit.select().count() == 0


def test_a_lab_bench_opens_the_result_form_without_a_queue_visit(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    answer = scan(client, "LAB", f"{appointment.exam_code}-EDTA")
    assert answer.headers["HX-Redirect"] == f"/exam/appointments/{appointment.id}/stations/LAB"
    assert StationVisit.select().count() == 0, "the lab enters results; the client never queues there"


def test_the_exam_home_box_opens_the_clients_place_on_the_floor(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    visit(appointment, floor.draw, minutes_ago=8, finished_minutes_ago=2)
    home = client.get("/exam").get_data(as_text=True)
    assert 'id="scan-code"' in home and 'action="/exam/floor/scan"' in home
    answer = client.post("/exam/floor/scan", data={"code": f"{appointment.exam_code}-EDTA"}, headers=HTMX)
    assert answer.headers["HX-Redirect"] == f"/exam/floor/clients/{appointment.id}"
    place = client.get(answer.headers["HX-Redirect"]).get_data(as_text=True)
    assert "王芳" in place and "Open here" in place and 'id="next-station"' in place
    refused = client.post("/exam/floor/scan", data={"code": "T0000"}, headers=HTMX).get_data(as_text=True)
    assert "No appointment has the exam code or label T0000." in refused
    assert StationVisit.select().count() == 1


def test_the_station_worklist_carries_the_scan_box(floor, monkeypatch, client, doctor):
    page = client.get("/exam/stations/GEN").get_data(as_text=True)
    assert 'hx-post="/exam/floor/stations/GEN/scan"' in page and "autofocus" in page
    assert 'href="/exam/floor/stations/GEN"' in page


def test_a_completed_checkup_cannot_be_scanned_in(floor, monkeypatch, client, doctor):
    appointment = checked_in(floor, monkeypatch, "王芳")
    Appointment.update(status="completed").where(Appointment.id == appointment.id).execute()
    html = scan(client, "GEN", appointment.exam_code).get_data(as_text=True)
    assert "is complete: its report is signed." in html
    assert day_sheets.sheet_row(appointment.id).status == "completed"
    assert StationVisit.select().count() == 0
