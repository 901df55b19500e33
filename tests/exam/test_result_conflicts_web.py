"""The station doctor's conflict list (per station, per day, paged, fixed query count), the badge on the
station page, the choice buttons, and the import preview page."""

import datetime
import io
import json

import pytest

from checkup.core import clock
from checkup.models import Appointment, AuditEvent, Result, ResultConflict
from checkup.services.exam import results, results_import
from tests import factories
from tests.factories import sign_in_directly
from tests.results_helpers import Lab

HX = {"HX-Request": "true"}
HEADER = "exam_code,item_code,value,unit,time\n"


@pytest.fixture
def lab(app):
    return Lab()


@pytest.fixture
def doctor(app, lab):
    http = app.test_client()
    sign_in_directly(http, lab.physician)
    return http


def today_appointment(lab, name):
    appointment = lab.appointment(name=name)
    Appointment.update(day=clock.today()).where(Appointment.id == appointment.id).execute()
    return Appointment.get_by_id(appointment.id)


def conflicts_for(lab, count, start=0):
    """``count`` clients today with glucose entered at 5.4 and an analyser file saying 7.9."""
    rows = []
    for n in range(start, start + count):
        appointment = today_appointment(lab, f"客户{n:02d}")
        results.record_result(lab.actor, appointment.id, "GLU", "5.4")
        rows.append(f"{appointment.exam_code},GLU,7.9,mmol/L,")
    results_import.import_instrument_csv(lab.actor, "cobas.csv", (HEADER + "\n".join(rows) + "\n").encode())


def text(response):
    return response.get_data(as_text=True)


def test_the_station_page_shows_todays_open_conflicts_as_a_badge(doctor, lab):
    assert "0 open today" in text(doctor.get("/exam/stations/LAB"))
    conflicts_for(lab, 2)
    html = text(doctor.get("/exam/stations/LAB"))
    assert '<span class="badge warning" id="conflict-count">2 open today</span>' in html
    assert "/exam/stations/LAB/conflicts" in html
    assert "0 open today" in text(doctor.get("/exam/stations/INT"))  # another station's list is its own


def test_the_list_shows_both_values_and_the_choice_buttons_and_is_audited(doctor, lab):
    conflicts_for(lab, 1)
    html = text(doctor.get("/exam/stations/LAB/conflicts"))
    assert "客户00" in html and "5.4 mmol/L" in html and "7.9 mmol/L" in html and "cobas.csv" in html
    conflict = ResultConflict.get()
    assert f'action="/exam/conflicts/{conflict.id}/resolve"' in html
    assert 'name="choice" value="keep"' in html and 'name="choice" value="take"' in html
    event = AuditEvent.get(AuditEvent.action == "results.conflicts_viewed")
    assert event.user_id == lab.physician.id and event.client_id == conflict.appointment.client_id
    assert json.loads(event.detail)["appointments"] == [conflict.appointment_id]
    assert "5.4" not in event.detail and "7.9" not in event.detail
    assert "1 open" in text(doctor.get("/exam/stations/LAB/conflicts", headers=HX))


def test_taking_the_instrument_value_from_the_page(doctor, lab):
    conflicts_for(lab, 1)
    conflict = ResultConflict.get()
    back = "/exam/stations/LAB/conflicts?state=all"
    response = doctor.post(f"/exam/conflicts/{conflict.id}/resolve", data={"choice": "take", "next": back})
    assert response.status_code == 303 and response.headers["Location"].endswith(back)
    assert Result.get().value_text == "7.9"
    html = text(doctor.get(back))
    assert "Took the instrument value" in html and "Dr. Lin" in html
    assert "No open conflicts at this station on this day." in text(doctor.get("/exam/stations/LAB/conflicts"))


def test_the_open_count_is_the_same_on_every_tab(doctor, lab):
    # today's open tab takes the count from its own page's count; the other tabs count the open ones apart
    conflicts_for(lab, 3)
    first = ResultConflict.select().order_by(ResultConflict.id).first()
    doctor.post(f"/exam/conflicts/{first.id}/resolve", data={"choice": "keep"})
    for state in ("open", "resolved", "all"):
        html = text(doctor.get(f"/exam/stations/LAB/conflicts?state={state}", headers=HX))
        assert "2 open" in html, state
    assert "2 open today" in text(doctor.get("/exam/stations/LAB"))


def test_a_bad_choice_or_a_missing_conflict_changes_nothing(doctor, lab):
    conflicts_for(lab, 1)
    conflict = ResultConflict.get()
    response = doctor.post(f"/exam/conflicts/{conflict.id}/resolve", data={"choice": "both"}, follow_redirects=True)
    assert "Choose to keep the entered value or to take the instrument value." in text(response)
    assert ResultConflict.get().choice == "" and Result.get().value_text == "5.4"
    assert doctor.post("/exam/conflicts/987654/resolve", data={"choice": "keep"}).status_code == 404
    twice = doctor.post(f"/exam/conflicts/{conflict.id}/resolve", data={"choice": "keep"})
    assert twice.status_code == 303
    again = doctor.post(f"/exam/conflicts/{conflict.id}/resolve", data={"choice": "take"}, follow_redirects=True)
    assert "This conflict was resolved already." in text(again) and Result.get().value_text == "5.4"


def test_the_list_is_per_day_and_a_bad_day_falls_back_to_today(doctor, lab):
    conflicts_for(lab, 1)
    yesterday = (clock.today() - datetime.timedelta(days=1)).isoformat()
    assert "No open conflicts" in text(doctor.get(f"/exam/stations/LAB/conflicts?day={yesterday}"))
    html = text(doctor.get("/exam/stations/LAB/conflicts?day=not-a-day&state=nonsense&page=x"))
    assert "That is not a date (YYYY-MM-DD); showing today." in html and "客户00" in html
    assert doctor.get("/exam/stations/NOPE/conflicts").status_code == 404


def test_other_roles_do_not_see_the_list(app, lab):
    http = app.test_client()
    sign_in_directly(http, factories.make_user("scheduler"))
    assert http.get("/exam/stations/LAB/conflicts").status_code == 403


def test_the_list_is_paged_with_the_same_number_of_queries_for_3_or_30(doctor, lab, count_queries):
    conflicts_for(lab, 3)
    with count_queries() as few:
        assert doctor.get("/exam/stations/LAB/conflicts").status_code == 200
    conflicts_for(lab, 27, start=3)
    with count_queries() as many:
        response = doctor.get("/exam/stations/LAB/conflicts")
    html = text(response)
    assert html.count('<tr id="conflict-') == 25 and "Page 1 of 2" in html and "30 open" in html
    assert many.count == few.count
    second = text(doctor.get("/exam/stations/LAB/conflicts?page=2"))
    assert second.count('<tr id="conflict-') == 5


# --- the import page's preview -----------------------------------------------------------------------


def upload(http, url, data, name="cobas.csv", headers=None):
    return http.post(
        url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", headers=headers or {}
    )


def test_the_import_preview_shows_how_many_would_conflict_and_imports_nothing(doctor, lab):
    first, second = today_appointment(lab, "甲"), today_appointment(lab, "乙")
    results.record_result(lab.actor, first.id, "GLU", "5.4")
    data = (HEADER + f"{first.exam_code},GLU,6.0,mmol/L,\n{second.exam_code},GLU,5.0,mmol/L,\n").encode()
    html = text(doctor.get("/exam/import"))
    assert 'formaction="/exam/import/preview"' in html and "never replaced" in html
    response = upload(doctor, "/exam/import/preview", data, headers=HX)
    fragment = text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert '<dd id="preview-conflicts"><span class="badge warning">1</span></dd>' in fragment
    assert '<dd id="preview-new">1</dd>' in fragment
    assert Result.select().count() == 1 and ResultConflict.select().count() == 0
    full = upload(doctor, "/exam/import/preview", data)  # without JavaScript: the whole page
    assert "<html" in text(full) and "What this file would do" in text(full)
    imported = upload(doctor, "/exam/import", data)
    assert imported.status_code == 303
    flashed = text(doctor.get("/exam/import"))
    assert "1 new, 0 unchanged, 1 differing from the entered value" in flashed
    assert ResultConflict.select().count() == 1


def test_the_import_preview_lists_problems_in_the_fragment(doctor, lab):
    data = (HEADER + "NOPE,GLU,5,mmol/L,\n").encode()
    response = upload(doctor, "/exam/import/preview", data, headers=HX)
    assert response.status_code == 200  # htmx swaps the problems in
    assert "Problems in the file" in text(response) and '<td class="num">2</td>' in text(response)
    assert upload(doctor, "/exam/import/preview", data).status_code == 422
    not_csv = upload(doctor, "/exam/import/preview", b"hello", name="x.txt", headers=HX)
    assert "CSV" in text(not_csv)
