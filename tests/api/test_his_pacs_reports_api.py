"""The HIS, PACS and report reads through /api/v1: walk-in clients and bookings with the booking rules,
imaging reports with checked attachments, and reports only where the client has been given them."""

import io

import pytest

from checkup.models import Appointment, Client, Report, Result
from checkup.models.appointments import CANCELLED
from checkup.models.integrations import ExternalReport
from checkup.models.results import PDF_READY, PUBLISHED, SIGNED
from tests.api.api_helpers import assert_problem, bearer, post_json, token_for
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_his_registers_a_walk_in_books_and_cancels_with_the_booking_rules(app, client):
    lab = Lab()
    _system, token = token_for("clients:write", "appointments:write", "appointments:read")
    made = post_json(client, "/api/v1/clients", token, {"name": "赵六", "sex": "male", "birth_date": "1980-02-03"})
    assert made.status_code == 201
    client_id = made.get_json()["client_id"]
    assert Client.get_by_id(client_id).name == "赵六"
    refused = post_json(client, "/api/v1/clients", token, {"name": "X", "sex": "male", "birth_date": "2999-01-01"})
    assert "birth_date" in assert_problem(refused, 422)["errors"]
    booked = post_json(
        client,
        "/api/v1/appointments",
        token,
        {"client_id": client_id, "slot_id": lab.center.slot.id, "package": "FULL"},
    )
    assert booked.status_code == 201
    appointment_id = booked.get_json()["appointment_id"]
    second = post_json(
        client,
        "/api/v1/appointments",
        token,
        {"client_id": client_id, "slot_id": lab.center.slot.id, "package": "FULL"},
    )
    assert_problem(second, 422)  # one checkup per day: the booking service's rule
    cancelled = post_json(
        client, f"/api/v1/appointments/{appointment_id}/cancel", token, {"reason": "HIS: patient left"}
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == CANCELLED
    assert Appointment.get_by_id(appointment_id).cancel_reason == "HIS: patient left"
    assert client.get(f"/api/v1/appointments/{appointment_id}", headers=bearer(token)).get_json()["status"] == CANCELLED


def test_an_imaging_report_becomes_the_items_result_with_its_checked_attachment(app, client):
    lab = Lab()
    appointment = lab.appointment()
    _system, token = token_for("results:write")

    def send(external_id, conclusion, content=PNG, name="scan.png", mimetype="image/png"):
        data = {"exam_code": appointment.exam_code, "item_code": "ABD", "external_id": external_id}
        data["conclusion"] = conclusion
        if content is not None:
            data["file"] = (io.BytesIO(content), name, mimetype)
        return client.post("/api/v1/imaging-reports", data=data, headers=bearer(token))

    assert "file" in assert_problem(send("R0", "肝脏未见异常", content=b"MZ\x90\x00exe", name="x.png"), 422)["errors"]
    first = send("R1", "肝脏未见异常")
    assert first.status_code == 201
    stored = ExternalReport.get(ExternalReport.external_id == "R1")
    assert stored.file_type == "image/png" and stored.file_size == len(PNG)
    assert Result.get(Result.appointment == appointment.id, Result.item == lab.abdomen.id).value_text == "肝脏未见异常"
    assert send("R1", "肝脏未见异常").status_code == 200  # the same external id: nothing new
    assert_problem(send("R2", "脂肪肝", content=None), 409)  # a different conclusion is never silently replaced


def test_reports_are_shared_only_once_published_to_the_client(app, client):
    lab = Lab()
    appointment = lab.appointment()
    draft = Report.create(appointment=appointment.id, status=SIGNED)
    _system, token = token_for("reports:read")
    assert client.get("/api/v1/reports", headers=bearer(token)).get_json()["data"] == []
    assert_problem(client.get(f"/api/v1/reports/{draft.id}", headers=bearer(token)), 404)
    Report.update(status=PUBLISHED, pdf_state=PDF_READY).where(Report.id == draft.id).execute()
    listed = client.get("/api/v1/reports", headers=bearer(token)).get_json()["data"]
    assert [r["report_id"] for r in listed] == [draft.id]
    assert (
        client.get(f"/api/v1/reports/{draft.id}", headers=bearer(token)).get_json()["exam_code"]
        == appointment.exam_code
    )
