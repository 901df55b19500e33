"""The LIS round trip of #14 as one journey on PostgreSQL: an integration client subscribes to report.signed,
pulls the worklist, posts results as JSON and as HL7 ORU^R01 over HTTP and over a real MLLP socket; the value
differing from the station doctor's lands in the conflict list, the critical one raises its alert; the doctor
resolves the conflict and signs the stations, the chief signs; a real local HTTP server receives
`report.signed` signed with HMAC-SHA256; the checkup's FHIR Bundle parses with fhir.resources without one
error and its Observations carry LOINC codes, ranges and interpretation codes.

The HAPI FHIR validator step is tests/interop/test_hapi_validator.py (skipped where Maven Central cannot be
reached). Webhook deliveries run as tasks in this process at commit (the API tests' pattern: no Redis in
tests, tasks.defer runs the task after the transaction), the same handler a worker runs.
"""

import json
from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from checkup.core.audit import SYSTEM, Actor
from checkup.models import CriticalAlert, ExamItem, PackageItem, Result
from checkup.models.integrations import DELIVERED, WebhookDelivery
from checkup.models.result_conflicts import TAKE_INSTRUMENT, ResultConflict
from checkup.services.exam import chief_review, result_conflicts, results, station_conclusions
from checkup.services.integrations import webhooks
from tests import factories
from tests.api.api_helpers import bearer, post_json, token_for
from tests.api.test_webhooks import Receiver
from tests.interop.hl7_helpers import msa, oru
from tests.results_helpers import Lab
from tests.support.mllp_link import mllp_listeners, send_and_read_ack

ER7 = "x-application/hl7-v2+er7"


@pytest.fixture
def lab(app):
    lab = Lab()
    ExamItem.update(loinc="2345-7").where(ExamItem.id == lab.glu.id).execute()
    ExamItem.update(loinc="718-7").where(ExamItem.id == lab.hb.id).execute()
    lab.crea = factories.make_item("CREA", lab.lab, unit="µmol/L", name_en="Creatinine")
    ExamItem.update(loinc="2160-0").where(ExamItem.id == lab.crea.id).execute()
    factories.make_range(lab.crea, low="41", high="81")
    lab.ua = factories.make_item("UA", lab.lab, unit="µmol/L", name_en="Uric acid")
    ExamItem.update(loinc="3084-1").where(ExamItem.id == lab.ua.id).execute()
    factories.make_range(lab.ua, low="155", high="357")
    for item in (lab.crea, lab.ua):
        PackageItem.create(package=lab.package, item=item)
    return lab


@pytest.fixture
def mllp_listener(app):
    with mllp_listeners(app) as start:
        yield start


def parse_every_resource(bundle):
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return Bundle.model_validate(bundle)


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_a_lis_round_trip_from_worklist_to_a_signed_report_and_its_fhir_bundle(app, client, lab, mllp_listener):
    appointment = lab.appointment(name="王芳")
    doctor = Actor(lab.physician, "127.0.0.1")
    lis, token = token_for("orders:read", "results:write", "fhir:read", name="Roche LIS")
    with Receiver() as receiver:
        _endpoint, secret = webhooks.add_endpoint(SYSTEM, lis.id, receiver.url, ["report.signed"])

        # the LIS pulls the day's worklist: this checkup with its LOINC-coded items and barcodes
        worklist = client.get(f"/api/v1/worklist?day={appointment.day}", headers=bearer(token))
        assert worklist.status_code == 200
        [order] = worklist.get_json()["data"]
        assert order["exam_code"] == appointment.exam_code
        assert {i["code"]: i["loinc"] for i in order["items"] if i["loinc"]} == {
            "GLU": "2345-7",
            "HB": "718-7",
            "CREA": "2160-0",
            "UA": "3084-1",
        }

        # the station doctor typed haemoglobin before the analyser reported
        results.record_result(doctor, appointment.id, "HB", "128")

        # JSON batch: haemoglobin differs from the entered value; uric acid is new, sent in mg/dL
        batch = post_json(
            client,
            "/api/v1/results",
            token,
            {
                "exam_code": order["exam_code"],
                "results": [
                    {"external_id": "LIS-HB-1", "loinc": "718-7", "value": "135", "unit": "g/L"},
                    {"external_id": "LIS-UA-1", "item_code": "UA", "value": "5.06", "unit": "mg/dL"},
                ],
            },
        )
        assert batch.status_code == 200
        outcomes = {o["external_id"]: o for o in batch.get_json()["results"]}
        assert outcomes["LIS-HB-1"]["outcome"] == "conflict"
        assert outcomes["LIS-UA-1"]["outcome"] == "stored" and outcomes["LIS-UA-1"]["flag"] == "N"
        assert (outcomes["LIS-UA-1"]["value"], outcomes["LIS-UA-1"]["unit"]) == ("301", "µmol/L")  # from mg/dL
        conflict = ResultConflict.get_by_id(outcomes["LIS-HB-1"]["conflict_id"])
        assert conflict.instrument_value == "135" and conflict.resolved_at is None
        assert Result.get(Result.appointment == appointment.id, Result.item == lab.hb.id).value_text == "128"

        # HL7 ORU^R01 over HTTP: a critical glucose raises its alert at once
        message = oru(appointment.exam_code, ("2345-7^Glucose^LN", "26.3", "mmol/L"), control="HTTP-1")
        ack = client.post("/api/v1/hl7", data=message.encode(), headers=bearer(token, **{"Content-Type": ER7}))
        assert ack.status_code == 200 and msa(ack.get_data()) == ("AA", "HTTP-1")
        glu = Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id)
        assert glu.value_text == "26.3" and glu.flag == "HH"
        [alert] = CriticalAlert.select().where(CriticalAlert.result == glu.id)

        # HL7 ORU^R01 over MLLP, a real socket to the listener
        port = mllp_listener(lis.name)
        framed = oru(appointment.exam_code, ("2160-0^Creatinine^LN", "96", "µmol/L"), control="MLLP-1").encode()
        [mllp_ack] = send_and_read_ack(port, framed)
        assert msa(mllp_ack) == ("AA", "MLLP-1"), mllp_ack
        crea = Result.get(Result.appointment == appointment.id, Result.item == lab.crea.id)
        assert crea.value_text == "96" and crea.flag == "H"

        # the conflict list shows the haemoglobin; the station doctor takes the analyser's value
        assert result_conflicts.open_count(lab.lab.id, appointment.day) == 1
        result_conflicts.resolve_conflict(doctor, conflict.id, TAKE_INSTRUMENT)
        assert Result.get(Result.appointment == appointment.id, Result.item == lab.hb.id).value_text == "135"
        assert result_conflicts.open_count(lab.lab.id, appointment.day) == 0

        # urine protein and the abdomen are entered at their stations; each station signs its conclusion
        results.record_result(doctor, appointment.id, "URO", "negative")
        results.record_result(doctor, appointment.id, "ABD", "Normal")
        station_conclusions.save(doctor, appointment.id, lab.lab.id, "Glucose critical; creatinine high.", sign=True)
        station_conclusions.save(doctor, appointment.id, lab.internal.id, "Abdomen normal.", sign=True)
        assert receiver.requests == []

        # the chief physician signs the checkup: the receiver gets report.signed, signed with the secret
        chief = Actor(factories.make_user("chief", email="chief@example.com", name="郑主任"), "127.0.0.1")
        report = chief_review.sign(chief, appointment.id, "Critical glucose; see endocrinology.", "Recheck.")
        assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert webhooks.verify(secret, headers["X-Checkup-Signature"], body)
    assert not webhooks.verify("whsec_not-this-one", headers["X-Checkup-Signature"], body)
    payload = json.loads(body)
    assert payload["event"] == headers["X-Checkup-Event"] == "report.signed"
    assert payload["data"]["report_id"] == report.id and payload["data"]["exam_code"] == appointment.exam_code
    [delivery] = WebhookDelivery.select()
    assert delivery.state == DELIVERED and delivery.event_id == headers["X-Checkup-Delivery"]
    assert CriticalAlert.get_by_id(alert.id).result_id == glu.id

    # the FHIR Bundle of this checkup: zero errors in fhir.resources; LOINC, ranges, interpretation
    answer = client.get(f"/fhir/Encounter/{appointment.id}/$everything", headers=bearer(token))
    assert answer.status_code == 200
    bundle = json.loads(answer.get_data())
    parsed = parse_every_resource(bundle)
    assert len(parsed.entry) == bundle["total"]
    observations = {
        o["code"]["coding"][-1]["code"]: o
        for o in (e["resource"] for e in bundle["entry"])
        if o["resourceType"] == "Observation"
    }
    assert set(observations) == {"GLU", "HB", "URO", "CREA", "UA", "ABD"}
    expected = {"GLU": ("2345-7", "HH"), "HB": ("718-7", "N"), "CREA": ("2160-0", "H"), "UA": ("3084-1", "N")}
    for code, (loinc, interpretation) in expected.items():
        observation = observations[code]
        assert observation["code"]["coding"][0]["system"] == "http://loinc.org"
        assert observation["code"]["coding"][0]["code"] == loinc
        assert observation["status"] == "final"
        assert observation["interpretation"][0]["coding"][0]["code"] == interpretation
        assert observation["referenceRange"][0]["low"]["value"] is not None
    assert observations["HB"]["valueQuantity"] == {"value": 135, "unit": "g/L"}
    assert observations["CREA"]["referenceRange"] == [
        {"low": {"value": 41, "unit": "µmol/L"}, "high": {"value": 81, "unit": "µmol/L"}}
    ]
    assert Decimal(str(observations["GLU"]["valueQuantity"]["value"])) == Decimal("26.3")
    [diagnostic] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"]
    assert diagnostic["status"] == "final" and diagnostic["conclusion"].startswith("Critical glucose")
