"""FHIR R4 out: a checkup's resources parse with fhir.resources (R4B, the R4 line it ships) without one error,
carry what a hospital reads (LOINC, ranges, interpretation, status, the signed PDF), and /fhir answers only
a token with fhir:read, audited, with OperationOutcome for every error."""

import base64
from decimal import Decimal

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from checkup.core.audit import Actor
from checkup.models import AuditEvent, ExamItem, Report, Result
from checkup.services.exam import reports, results
from checkup.services.integrations import clients
from checkup.services.interop import fhir
from tests import factories
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs
HIS = Actor(None, "10.0.0.9")


@pytest.fixture
def world(app):
    world = ReportWorld()
    ExamItem.update(loinc="1558-6").where(ExamItem.id == world.glu.id).execute()
    factories.make_range(world.glu, low="3.9", high="6.1", critical_high=Decimal("25"))
    return world


def enter_all(world):
    actor = world.actor()
    appointment = world.appointment.id
    results.record_result(actor, appointment, "WBC", "6.2")
    results.record_result(actor, appointment, "GLU", "25.1")
    results.record_result(actor, appointment, "ALT", None, skipped=True, skip_reason="declined")
    results.record_result(actor, appointment, "US-LIVER", "Fatty liver, mild", abnormal=True)


def by_type(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def parse_every_resource(bundle):
    """Each resource through its own fhir.resources model, then the Bundle as a whole (raises on any error)."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return Bundle.model_validate(bundle)


def test_the_bundle_of_a_signed_checkup_parses_as_fhir_and_says_what_a_hospital_reads(world):
    enter_all(world)
    report = reports.sign(world.actor(), world.appointment.id, "Glucose critical; fatty liver.", "See a doctor.")
    bundle = fhir.everything(HIS, world.appointment.id)
    parsed = parse_every_resource(bundle)
    assert parsed.type == "searchset" and len(parsed.entry) == bundle["total"]
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:3] == ["Encounter", "Patient", "Organization"]
    assert kinds.count("Observation") == 4 and kinds.count("DiagnosticReport") == 1 and "Practitioner" in kinds

    glu = next(o for o in by_type(bundle, "Observation") if o["code"]["coding"][-1]["code"] == "GLU")
    assert glu["code"]["coding"][0] == {"system": "http://loinc.org", "code": "1558-6", "display": "Fasting glucose"}
    assert glu["status"] == "final"
    assert glu["valueQuantity"] == {"value": 25.1, "unit": "mmol/L"}
    assert glu["interpretation"][0]["coding"][0]["code"] == "HH"
    assert glu["subject"] == {"reference": f"Patient/{world.client.id}"}
    wbc = next(o for o in by_type(bundle, "Observation") if o["code"]["coding"][-1]["code"] == "WBC")
    assert len(wbc["code"]["coding"]) == 1 and wbc["code"]["coding"][0]["system"].endswith("/CodeSystem/exam-item")
    alt = next(o for o in by_type(bundle, "Observation") if o["code"]["coding"][-1]["code"] == "ALT")
    assert alt["dataAbsentReason"]["coding"][0]["code"] == "not-performed" and "valueQuantity" not in alt
    liver = next(o for o in by_type(bundle, "Observation") if o["code"]["coding"][-1]["code"] == "US-LIVER")
    assert (liver["valueString"], liver["interpretation"][0]["coding"][0]["code"]) == ("Fatty liver, mild", "A")

    [diagnostic] = by_type(bundle, "DiagnosticReport")
    assert (diagnostic["id"], diagnostic["status"]) == (str(report.id), "final")
    assert diagnostic["conclusion"] == "Glucose critical; fatty liver."
    assert len(diagnostic["result"]) == 4
    [pdf] = diagnostic["presentedForm"]
    assert pdf["contentType"] == "application/pdf" and base64.b64decode(pdf["data"]).startswith(b"%PDF")
    [patient] = by_type(bundle, "Patient")
    assert patient["name"] == [{"text": "王芳"}] and patient["gender"] == "female"
    assert "national" not in str(patient).lower()
    [event] = AuditEvent.select().where(AuditEvent.action == "fhir.read")
    assert event.client_id == world.client.id and "$everything" in event.detail


def test_ranges_come_from_the_entry_and_results_before_signing_are_preliminary(world):
    results.record_result(world.actor(), world.appointment.id, "GLU", "5.0")
    _appointment, resources = fhir.checkup_resources(world.appointment.id)
    [glu] = [r for r in resources if r["resourceType"] == "Observation"]
    assert glu["status"] == "preliminary"
    assert glu["referenceRange"] == [
        {"low": {"value": 3.9, "unit": "mmol/L"}, "high": {"value": 6.1, "unit": "mmol/L"}}
    ]
    assert glu["interpretation"][0]["coding"][0]["code"] == "N"
    assert not [r for r in resources if r["resourceType"] == "DiagnosticReport"]
    get_fhir_model_class("Observation").model_validate(glu)


def test_an_amended_value_is_amended_and_the_report_too(world):
    enter_all(world)
    first = reports.sign(world.actor(), world.appointment.id, "Glucose critical.", "")
    glu = Result.get(Result.item == world.glu.id)
    second = reports.amend(
        world.actor(), first.id, "Re-tested", "Glucose normal.", "", changes=[{"result_id": glu.id, "value": "5.2"}]
    )
    bundle = fhir.everything(HIS, world.appointment.id)
    parse_every_resource(bundle)
    statuses = {o["code"]["coding"][-1]["code"]: o["status"] for o in by_type(bundle, "Observation")}
    assert statuses == {"GLU": "amended", "WBC": "final", "ALT": "final", "US-LIVER": "final"}
    [diagnostic] = by_type(bundle, "DiagnosticReport")
    assert (diagnostic["id"], diagnostic["status"]) == (str(second.id), "amended")
    with pytest.raises(Exception) as missing:
        fhir.read_diagnostic_report(HIS, first.id)  # the superseded version is not served
    assert "could not find" in str(missing.value)
    assert Report.get_by_id(first.id).status == "superseded"


@pytest.fixture
def token(app):
    def issue(*scopes, name="HIS"):
        return clients.register_client(Actor(), name, list(scopes)).token

    return issue


def test_fhir_reads_need_the_scope_answer_fhir_json_and_are_audited(world, client, token):
    enter_all(world)
    reports.sign(world.actor(), world.appointment.id, "Summary.", "")
    good = {"Authorization": f"Bearer {token('fhir:read')}"}
    response = client.get(f"/fhir/Encounter/{world.appointment.id}/$everything", headers=good)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    parse_every_resource(response.get_json())
    glu = Result.get(Result.item == world.glu.id)
    for path, kind in [
        (f"/fhir/Patient/{world.client.id}", "Patient"),
        (f"/fhir/Observation/{glu.id}", "Observation"),
        (f"/fhir/Encounter/{world.appointment.id}", "Encounter"),
        ("/fhir/Organization/center", "Organization"),
        (f"/fhir/Practitioner/{world.physician.id}", "Practitioner"),
        (f"/fhir/DiagnosticReport/{Report.get().id}", "DiagnosticReport"),
    ]:
        answer = client.get(path, headers=good)
        assert answer.status_code == 200, path
        assert answer.get_json()["resourceType"] == kind
        get_fhir_model_class(kind).model_validate(answer.get_json())
    reads = AuditEvent.select().where(AuditEvent.action == "fhir.read").count()
    assert reads == 7
    assert AuditEvent.select().where(AuditEvent.action == "api.call").count() == 7

    for path in ["/fhir/Patient/999999", "/fhir/Observation/abc", f"/fhir/Practitioner/{world.client_user.id}"]:
        missing = client.get(path, headers=good)
        assert missing.status_code == 404 and missing.mimetype == "application/fhir+json"
        assert missing.get_json()["issue"][0]["code"] == "not-found"
        get_fhir_model_class("OperationOutcome").model_validate(missing.get_json())

    anonymous = client.get(f"/fhir/Patient/{world.client.id}")
    assert anonymous.status_code == 401 and anonymous.get_json()["resourceType"] == "OperationOutcome"
    wrong_scope = {"Authorization": f"Bearer {token('results:write', name='LIS')}"}
    forbidden = client.get(f"/fhir/Patient/{world.client.id}", headers=wrong_scope)
    assert forbidden.status_code == 403 and forbidden.get_json()["issue"][0]["code"] == "forbidden"
    assert AuditEvent.select().where(AuditEvent.action == "fhir.read").count() == 7  # refused reads read nothing


def test_the_demo_checkup_bundle_parses_as_fhir(app):
    """The same Bundle the HAPI validator checks (tests/interop/test_hapi_validator.py), through fhir.resources."""
    from checkup.demo import demo
    from checkup.models import Appointment

    demo.seed(history=False)
    signed = Appointment.select().join(Report).where(Report.status.in_(fhir.SIGNED_STATUSES)).first()
    _appointment, resources = fhir.checkup_resources(signed.id)
    parsed = parse_every_resource(fhir.bundle(resources))
    assert len(parsed.entry) == len(resources) > 10
    assert sum(1 for r in resources if r["resourceType"] == "Observation") >= 10
