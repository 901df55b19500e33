"""POST /api/v1/hl7: a LIS with results:write posts an ORU^R01 and reads the ACK in the answer."""

import pytest

from checkup.core.audit import Actor
from checkup.models import AuditEvent, Result
from checkup.services.integrations import clients
from tests.interop.hl7_helpers import lab_with_loinc, msa, oru

pytestmark = pytest.mark.both_dbs
ER7 = "x-application/hl7-v2+er7"


@pytest.fixture
def lab(app):
    return lab_with_loinc()


def bearer(*scopes, name="LIS"):
    return {"Authorization": f"Bearer {clients.register_client(Actor(), name, list(scopes)).token}"}


def test_an_oru_posted_as_er7_is_stored_and_answered_with_an_ack(lab, client):
    appointment = lab.appointment()
    headers = bearer("results:write")
    body = oru(appointment.exam_code, ("GLU^空腹血糖^L", "5.5", "mmol/L"), charset="GB 18030-2000").encode("gb18030")
    response = client.post("/api/v1/hl7", data=body, headers={**headers, "Content-Type": ER7})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{ER7}; charset=gb18030"
    assert response.headers["X-HL7-Acknowledgment"] == "AA"
    assert msa(response.get_data(), "gb18030") == ("AA", "MSG0001")
    assert Result.get().value_text == "5.5"
    assert "Set-Cookie" not in response.headers
    [call] = AuditEvent.select().where(AuditEvent.action == "api.call")
    assert call.client_id == appointment.client_id and '"status": 200' in call.detail

    refused = oru(appointment.exam_code, ("NOPE^^L", "1", "U/L"), control="MSG0002").encode()
    answer = client.post("/api/v1/hl7", data=refused, headers={**headers, "Content-Type": "text/plain"})
    assert (answer.status_code, msa(answer.get_data())) == (200, ("AE", "MSG0002"))
    assert b"ERR|OBX^1^3^204" in answer.get_data()


def test_the_scope_and_the_media_type_are_checked_first(lab, client):
    appointment = lab.appointment()
    body = oru(appointment.exam_code, ("GLU^^L", "5.5", "mmol/L")).encode()
    anonymous = client.post("/api/v1/hl7", data=body, headers={"Content-Type": ER7})
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"
    reader = client.post("/api/v1/hl7", data=body, headers={**bearer("fhir:read", name="HIS"), "Content-Type": ER7})
    assert reader.status_code == 403
    as_json = client.post("/api/v1/hl7", json={"message": "x"}, headers=bearer("results:write"))
    assert as_json.status_code == 415 and as_json.get_json()["status"] == 415
    assert Result.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "hl7.received").count() == 0
