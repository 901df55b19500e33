"""An ORU^R01 reporting in another unit than the catalog's: converted where the catalog knows the analyte (the
same table as the REST API, services/catalog/units.py), stored and flagged in the catalog's unit; refused at
OBX-6 with an ERR naming the unit, and nothing stored from the message, where no conversion is known."""

import hl7
import pytest

from checkup.core.audit import Actor
from checkup.models import CriticalAlert, Result, ResultConflict
from checkup.services.integrations import clients
from checkup.services.interop import hl7_results
from tests.factories import row_counts
from tests.interop.hl7_helpers import lab_with_loinc, msa, oru

pytestmark = pytest.mark.both_dbs

LIS = Actor(None, "10.0.0.7")


@pytest.fixture
def lab(app):
    return lab_with_loinc()


def test_glucose_in_mg_dl_lands_in_mmol_l_and_is_flagged_there(lab):
    appointment = lab.appointment()
    message = oru(appointment.exam_code, ("2345-7^Glucose^LN", "99", "mg/dL"), ("HB^Haemoglobin^L", "12.8", "g/dL"))
    outcome = hl7_results.receive_oru(LIS, message.encode())
    assert (outcome.code, outcome.stored, outcome.refusals) == ("AA", 2, [])
    stored = {
        r.item.code: (r.value_text, r.unit, r.flag) for r in Result.select().where(Result.appointment == appointment.id)
    }
    assert stored == {"GLU": ("5.50", "mmol/L", "N"), "HB": ("128", "g/L", "N")}


def test_a_converted_critical_value_raises_its_alert(lab):
    appointment = lab.appointment()
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "45", "mg/dL")).encode())
    assert (outcome.code, outcome.critical) == ("AA", 1)
    [alert] = CriticalAlert.select()
    assert (alert.result.value_text, alert.result.flag) == ("2.50", "LL")


def test_an_unknown_unit_is_refused_at_obx_6_and_nothing_of_the_message_is_stored(lab):
    appointment = lab.appointment()
    before = row_counts(Result, CriticalAlert, ResultConflict)
    message = oru(
        appointment.exam_code,
        ("GLU^^L", "1.9", "mmol/L"),  # acceptable on its own, and critical: neither it nor its alert may stay
        ("GLU^^L", "99", "mmol/mol"),
    )
    outcome = hl7_results.receive_oru(LIS, message.encode())
    assert outcome.code == "AE"
    ack = hl7.parse(outcome.ack.decode())
    [err] = ack.segments("ERR")
    assert (str(err[2]), str(err[3][0][0])) == ("OBX^2^6", "102")
    assert "mmol/mol" in str(err[8]) and "no conversion" in str(err[8])
    assert row_counts(Result, CriticalAlert, ResultConflict) == before


def test_over_http_an_unknown_unit_is_answered_ae_with_its_err(lab, client):
    appointment = lab.appointment()
    token = clients.register_client(Actor(), "LIS", ["results:write"]).token
    body = oru(appointment.exam_code, ("HB^^L", "8.4", "mmol/L")).encode()
    response = client.post(
        "/api/v1/hl7", data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    )
    assert (response.status_code, msa(response.get_data())) == (200, ("AE", "MSG0001"))
    assert b"ERR|OBX^1^6^102" in response.get_data()
    assert Result.select().count() == 0
