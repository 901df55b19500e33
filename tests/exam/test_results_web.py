"""Exam station pages: worklists, the result form with live flags, instrument import, critical alerts."""

import io

import pytest

from checkup.core import clock
from checkup.models import Appointment, AuditEvent, CriticalAlert, Result
from checkup.services.exam import results
from tests import factories
from tests.factories import row_counts, sign_in_directly
from tests.results_helpers import Lab

HX = {"HX-Request": "true"}


@pytest.fixture
def lab(app):
    return Lab()


@pytest.fixture
def doctor(app, lab):
    http = app.test_client()
    sign_in_directly(http, lab.physician)
    return http


def today_appointment(lab, **kwargs):
    appointment = lab.appointment(**kwargs)
    Appointment.update(day=clock.today()).where(Appointment.id == appointment.id).execute()
    return Appointment.get_by_id(appointment.id)


def page(response):
    return response.get_data(as_text=True)


def form_url(appointment, station="LAB"):
    return f"/exam/appointments/{appointment.id}/stations/{station}"


def test_the_physician_home_offers_stations_alerts_and_the_ranges(doctor, lab):
    appointment = today_appointment(lab, name="危急")
    results.record_result(lab.actor, appointment.id, "GLU", "1.2")
    html = page(doctor.get("/exam"))
    assert "Exam stations" in html and "/exam/stations/LAB" in html and "/exam/stations/INT" in html
    assert "Open critical values" in html and "危急" in html and "Critical low" in html
    assert f"/exam/alerts/{CriticalAlert.get().id}/acknowledge" in html
    assert "/exam/ranges" in html and "/exam/import" in html
    assert "1 client waiting" in html


def test_the_station_worklist_lists_checked_in_clients_with_work_left(doctor, lab):
    today_appointment(lab, name="Arrived")
    today_appointment(lab, status="booked", name="Not yet")
    html = page(doctor.get("/exam/stations/LAB"))
    assert "Arrived" in html and "Not yet" not in html
    assert 'hx-trigger="every 30s"' in html
    fragment = page(doctor.get("/exam/stations/LAB", headers=HX))
    assert "Arrived" in fragment and "<html" not in fragment


def test_the_result_form_shows_each_item_with_unit_range_and_live_flag(doctor, lab):
    appointment = today_appointment(lab)
    html = page(doctor.get(form_url(appointment)))
    assert "Fasting glucose" in html and "mmol/L" in html and "Urine protein" in html and "Abdomen" not in html
    assert f'hx-post="/exam/appointments/{appointment.id}/items/{lab.glu.id}/flag"' in html
    assert 'hx-trigger="keyup changed delay:300ms, change"' in html
    assert "3.9–6.1" in html and "≤2.8" in html
    assert 'name="abnormal-%d"' % lab.urine.id in html and 'name="skip-%d"' % lab.glu.id in html
    assert "0 of 4 items done" in html and "<progress" in html


def test_the_flag_endpoint_answers_and_never_writes(doctor, lab):
    appointment = today_appointment(lab)
    before = row_counts(Result, CriticalAlert, AuditEvent)
    url = f"/exam/appointments/{appointment.id}/items/{lab.glu.id}/flag"
    assert "Critical low" in page(doctor.post(url, data={f"value-{lab.glu.id}": "2.8"}, headers=HX))
    assert "Normal" in page(doctor.post(url, data={f"value-{lab.glu.id}": "6.1"}, headers=HX))
    assert "High" in page(doctor.post(url, data={f"value-{lab.glu.id}": "6.2"}, headers=HX))
    assert "Enter a number" in page(doctor.post(url, data={f"value-{lab.glu.id}": "abc"}, headers=HX))
    urine = f"/exam/appointments/{appointment.id}/items/{lab.urine.id}/flag"
    assert "Abnormal" in page(doctor.post(urine, data={f"abnormal-{lab.urine.id}": "1"}, headers=HX))
    assert row_counts(Result, CriticalAlert, AuditEvent) == before


def test_saving_the_whole_station(doctor, lab):
    appointment = today_appointment(lab)
    data = {
        f"value-{lab.glu.id}": "30",
        f"value-{lab.hb.id}": "",
        f"skip-{lab.hb.id}": "1",
        f"reason-{lab.hb.id}": "other",
        f"reason_other-{lab.hb.id}": "Needle phobia",
        f"value-{lab.urine.id}": "trace",
        f"abnormal-{lab.urine.id}": "1",
    }
    response = doctor.post(form_url(appointment), data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/exam/stations/LAB"
    stored = {r.item.code: r for r in Result.select()}
    assert (stored["GLU"].flag, stored["URO"].flag, stored["HB"].skip_reason) == ("HH", "A", "Needle phobia")
    assert CriticalAlert.select().count() == 1
    html = page(doctor.get(form_url(appointment)))
    assert "3 of 4 items done" in html and "Needle phobia" in html


def test_a_bad_row_is_shown_and_the_good_ones_are_saved(doctor, lab):
    appointment = today_appointment(lab)
    response = doctor.post(form_url(appointment), data={f"value-{lab.glu.id}": "five", f"value-{lab.hb.id}": "120"})
    assert response.status_code == 422
    html = page(response)
    assert "Enter a number" in html and 'value="five"' in html and 'aria-invalid="true"' in html
    assert [r.item.code for r in Result.select()] == ["HB"]


def test_saving_one_item_with_htmx_swaps_its_row_and_the_progress(doctor, lab):
    appointment = today_appointment(lab)
    response = doctor.post(
        form_url(appointment),
        headers=HX,
        data={"only": str(lab.glu.id), f"value-{lab.glu.id}": "5.5", f"value-{lab.hb.id}": "99"},
    )
    html = page(response)
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="row-{lab.glu.id}"')
    assert 'hx-swap-oob="true"' in html and "1 of 4 items done" in html and "Normal" in html
    assert [r.item.code for r in Result.select()] == ["GLU"]  # only the row whose button was pressed
    error = doctor.post(form_url(appointment), headers=HX, data={"only": str(lab.hb.id), f"value-{lab.hb.id}": "x"})
    assert error.status_code == 200 and "Enter a number" in page(error)  # htmx 2 would drop a 4xx swap


def test_locked_results_cannot_be_saved_from_the_form(doctor, lab):
    appointment = today_appointment(lab)
    lab.sign(appointment)
    html = page(doctor.get(form_url(appointment)))
    assert "Results are locked; use an amendment" in html and "<fieldset disabled" in html
    response = doctor.post(form_url(appointment), data={f"value-{lab.glu.id}": "5"})
    assert response.status_code == 422 and Result.select().count() == 0


def test_unknown_ids_are_404(doctor, lab):
    appointment = today_appointment(lab)
    assert doctor.get("/exam/stations/NOPE").status_code == 404
    assert doctor.get(form_url(appointment, "NOPE")).status_code == 404
    assert doctor.get("/exam/appointments/999999/stations/LAB").status_code == 404
    assert doctor.post(f"/exam/appointments/{appointment.id}/items/999999/flag").status_code == 404
    other = factories.make_item("CHOL", lab.lab)
    assert doctor.post(f"/exam/appointments/{appointment.id}/items/{other.id}/flag").status_code == 404
    assert doctor.post(form_url(appointment), data={"only": str(other.id)}).status_code == 404
    assert doctor.post("/exam/alerts/999999/acknowledge").status_code == 404
    assert Result.select().count() == 0


@pytest.mark.parametrize("role", ["client", "hr", "scheduler", "counselor", "admin"])
def test_other_roles_cannot_use_the_stations(app, lab, role):
    appointment = today_appointment(lab)
    http = app.test_client()
    sign_in_directly(http, factories.make_user(role))
    for url in ["/exam", "/exam/ranges", "/exam/stations/LAB", form_url(appointment), "/exam/import"]:
        assert http.get(url).status_code == 403, url
    assert http.post(form_url(appointment), data={f"value-{lab.glu.id}": "5"}).status_code == 403
    assert http.post(f"/exam/appointments/{appointment.id}/items/{lab.glu.id}/flag").status_code == 403
    assert Result.select().count() == 0


def test_counselors_see_and_acknowledge_critical_values(app, lab):
    appointment = today_appointment(lab, name="李危急")
    results.record_result(lab.actor, appointment.id, "GLU", "40")
    alert = CriticalAlert.get()
    http = app.test_client()
    counselor = sign_in_directly(http, factories.make_user("counselor"))
    html = page(http.get("/care"))
    assert "Open critical values" in html and "李危急" in html and "Critical high" in html
    response = http.post(f"/exam/alerts/{alert.id}/acknowledge", data={"note": "Phoned; GP today", "next": "/care"})
    assert response.status_code == 303 and response.headers["Location"] == "/care"
    alert = CriticalAlert.get_by_id(alert.id)
    assert (alert.acknowledged_by_id, alert.note) == (counselor.id, "Phoned; GP today")
    assert "No open critical values." in page(http.get("/care"))
    assert AuditEvent.select().where(AuditEvent.action == "results.alert_acknowledged").count() == 1


def test_acknowledge_ignores_an_unsafe_next(doctor, lab):
    appointment = today_appointment(lab)
    results.record_result(lab.actor, appointment.id, "GLU", "40")
    response = doctor.post(
        f"/exam/alerts/{CriticalAlert.get().id}/acknowledge", data={"note": "", "next": "//evil.example/x"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/exam"
    again = doctor.post(
        f"/exam/alerts/{CriticalAlert.get().id}/acknowledge", data={"next": "/exam"}, follow_redirects=True
    )
    assert "already acknowledged" in page(again)


@pytest.mark.parametrize("role", ["client", "hr", "scheduler", "admin"])
def test_only_physicians_and_counselors_acknowledge(app, lab, role):
    appointment = today_appointment(lab)
    results.record_result(lab.actor, appointment.id, "GLU", "40")
    http = app.test_client()
    sign_in_directly(http, factories.make_user(role))
    assert http.post(f"/exam/alerts/{CriticalAlert.get().id}/acknowledge", data={"note": "x"}).status_code == 403
    assert CriticalAlert.get().acknowledged_at is None


def upload(http, content, name="lis.csv"):
    return http.post("/exam/import", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_instrument_import_page(doctor, lab):
    appointment = today_appointment(lab)
    assert "Analyser CSV export" in page(doctor.get("/exam/import"))
    bad = upload(
        doctor,
        f"exam_code,item_code,value,unit,time\n{appointment.exam_code},GLU,5,mg/dL,\nNOPE,GLU,5,mmol/L,\n".encode(),
    )
    html = page(bad)
    assert bad.status_code == 422 and "Problems in the file" in html
    assert '<td class="num">2</td><td><code>unit</code></td>' in html
    assert '<td class="num">3</td><td><code>exam_code</code></td>' in html
    assert Result.select().count() == 0
    good = upload(doctor, f"exam_code,item_code,value,unit,time\n{appointment.exam_code},GLU,5,mmol/L,\n".encode())
    assert good.status_code == 303
    assert "Imported 1 values for 1 clients: 1 new, 0 unchanged, 0 differing" in page(doctor.get("/exam/import"))
    assert Result.get().source == "instrument"
    assert upload(doctor, b"hello", name="lis.txt").status_code == 422
