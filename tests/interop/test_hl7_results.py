"""An ORU^R01 from the LIS lands on the instrument path (stored and flagged, the same value a no-op, a different
one a conflict, a critical one an alert) and is answered with an ACK naming whatever was refused."""

import hl7
import pytest

from checkup.core.audit import Actor
from checkup.models import AuditEvent, CriticalAlert, Result, ResultConflict
from checkup.services.exam import results
from checkup.services.interop import hl7_results
from tests.factories import row_counts
from tests.interop.hl7_helpers import lab_with_loinc, oru

pytestmark = pytest.mark.both_dbs

LIS = Actor(None, "10.0.0.7")


@pytest.fixture
def lab(app):
    return lab_with_loinc()


def ack_of(outcome, encoding="utf-8"):
    return hl7.parse(outcome.ack.decode(encoding))


def errors_of(outcome):
    return [(str(e[2]), str(e[3][0][0])) for e in ack_of(outcome).segments("ERR")] if outcome.refusals else []


def test_a_final_value_is_stored_flagged_and_acknowledged(lab):
    appointment = lab.appointment()
    message = oru(appointment.exam_code, ("GLU^Glucose^L", "5.4", "mmol/L"), ("HB^Haemoglobin^L", "128", "g/L"))
    outcome = hl7_results.receive_oru(LIS, message.encode("utf-8"))
    assert (outcome.code, outcome.stored, outcome.refusals) == ("AA", 2, [])
    glu = Result.get(Result.item == lab.glu.id)
    assert (glu.value_text, glu.flag, glu.source, glu.appointment_id) == ("5.4", "N", "instrument", appointment.id)
    ack = ack_of(outcome)
    assert str(ack.segment("MSH")[9]) == "ACK^R01^ACK"
    assert (str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2])) == ("AA", "MSG0001")
    assert "2 stored" in str(ack.segment("MSA")[3])
    [event] = AuditEvent.select().where(AuditEvent.action == "hl7.received")
    assert '"ack": "AA"' in event.detail and '"control_id": "MSG0001"' in event.detail
    assert event.client_id == appointment.client_id


def test_loinc_in_obx_3_finds_the_item_and_a_label_barcode_finds_the_checkup(lab):
    appointment = lab.appointment()
    message = oru(f"{appointment.exam_code}-FLU", ("2345-7^Glucose [Moles/volume]^LN", "6.0", "mmol/L"))
    outcome = hl7_results.receive_oru(LIS, message.encode("utf-8"))
    assert outcome.code == "AA"
    assert Result.get(Result.item == lab.glu.id).value_text == "6.0"


def test_without_an_obr_the_exam_code_in_pid_3_names_the_checkup(lab):
    appointment = lab.appointment()
    message = oru("", ("GLU^^L", "4.9", "mmol/L"), pid_code=appointment.exam_code, obr=False)
    outcome = hl7_results.receive_oru(LIS, message.encode("utf-8"))
    assert (outcome.code, outcome.stored) == ("AA", 1)


def test_gb18030_named_in_msh_18_is_read_and_answered_in_gb18030(lab):
    appointment = lab.appointment()
    message = oru(appointment.exam_code, ("GLU^空腹血糖^L", "5.0", "mmol/L"), charset="GB 18030-2000")
    outcome = hl7_results.receive_oru(LIS, message.encode("gb18030"))
    assert (outcome.code, outcome.charset) == ("AA", "gb18030")
    assert str(ack_of(outcome, "gb18030").segment("MSH")[18]) == "GB 18030-2000"


def test_bytes_that_are_not_utf8_and_name_no_charset_are_read_as_gb18030(lab):
    appointment = lab.appointment()
    message = oru(appointment.exam_code, ("GLU^空腹血糖^L", "5.0", "mmol/L"), charset="")
    raw = message.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    outcome = hl7_results.receive_oru(LIS, raw)
    assert (outcome.code, outcome.charset, outcome.stored) == ("AA", "gb18030", 1)


def test_a_message_claiming_utf8_whose_bytes_are_not_is_rejected_at_msh_18(lab):
    appointment = lab.appointment()
    raw = oru(appointment.exam_code, ("GLU^空腹血糖^L", "5.0", "mmol/L")).encode("gb18030")
    outcome = hl7_results.receive_oru(LIS, raw)
    assert outcome.code == "AR"
    assert errors_of(outcome) == [("MSH^1^18", "102")]
    assert Result.select().count() == 0


def test_a_critical_value_raises_its_alert_at_once(lab):
    appointment = lab.appointment()
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "1.9", "mmol/L")).encode())
    assert (outcome.code, outcome.critical) == ("AA", 1)
    [alert] = CriticalAlert.select()
    assert (alert.appointment_id, alert.result.flag) == (appointment.id, "LL")


def test_a_value_differing_from_the_entered_one_waits_in_the_conflict_list(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "7.9", "mmol/L")).encode())
    assert (outcome.code, outcome.conflicts, outcome.stored) == ("AA", 1, 0)
    assert Result.get_by_id(entered.id).value_text == "5.4"
    [conflict] = ResultConflict.select()
    assert (conflict.instrument_value, conflict.source) == ("7.9", "hl7")
    assert conflict.source_ref.startswith("MSG0001 OBX-1 COBAS-1")
    again = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "5.40", "mmol/L")).encode())
    assert (again.code, again.unchanged) == ("AA", 1)


def test_one_refused_obx_stores_nothing_and_the_ack_names_it(lab):
    appointment = lab.appointment()
    before = row_counts(Result, CriticalAlert, ResultConflict)
    message = oru(
        appointment.exam_code,
        ("GLU^^L", "1.9", "mmol/L"),  # critical: its alert must not stay either
        ("NOPE^Unknown^L", "1", "U/L"),
        ("HB^^L", "12x", "g/L"),
        ("HB^^L", "128", "mg/dL"),
    )
    outcome = hl7_results.receive_oru(LIS, message.encode())
    assert outcome.code == "AE"
    assert errors_of(outcome) == [("OBX^2^3", "204"), ("OBX^3^5", "102"), ("OBX^4^6", "102")]
    assert row_counts(Result, CriticalAlert, ResultConflict) == before
    err = ack_of(outcome).segments("ERR")[0]
    assert "NOPE" in str(err[8]) and str(err[4]) == "E"
    assert str(ack_of(outcome).segment("MSA")[1]) == "AE"


def test_an_unknown_exam_code_is_refused_at_obr_2(lab):
    lab.appointment()
    outcome = hl7_results.receive_oru(LIS, oru("NO-SUCH-CODE", ("GLU^^L", "5.0", "mmol/L")).encode())
    assert (outcome.code, errors_of(outcome)) == ("AE", [("OBR^1^2", "204")])


def test_results_of_a_signed_report_are_locked(lab):
    appointment = lab.appointment()
    lab.sign(appointment)
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "5.0", "mmol/L")).encode())
    assert (outcome.code, errors_of(outcome)) == ("AE", [("OBR^1^2", "206")])
    assert Result.select().count() == 0


def test_preliminary_results_are_passed_over_and_other_statuses_refused(lab):
    appointment = lab.appointment()
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "5.0", "mmol/L", "P")).encode())
    assert (outcome.code, outcome.passed_over, Result.select().count()) == ("AA", 1, 0)
    deleted = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "5.0", "mmol/L", "D")).encode())
    assert (deleted.code, errors_of(deleted)) == ("AE", [("OBX^1^11", "103")])


def test_a_structured_numeric_without_comparator_is_a_number_and_with_one_is_refused(lab):
    appointment = lab.appointment()
    plain = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("GLU^^L", "^5.2", "mmol/L", "F", "SN")).encode())
    assert (plain.code, Result.get().value_text) == ("AA", "5.2")
    other = lab.appointment(name="李四")
    below = hl7_results.receive_oru(LIS, oru(other.exam_code, ("HB^^L", "<^50", "g/L", "F", "SN")).encode())
    assert (below.code, errors_of(below)) == ("AE", [("OBX^1^5", "102")])


def test_a_text_item_is_refused_for_the_station_to_enter(lab):
    appointment = lab.appointment()
    outcome = hl7_results.receive_oru(LIS, oru(appointment.exam_code, ("URO^^L", "negative", "", "F", "ST")).encode())
    assert (outcome.code, errors_of(outcome)) == ("AE", [("OBX^1^3", "102")])


@pytest.mark.parametrize(
    "raw, location, condition",
    [
        (b"", "MSH^1^0", "100"),
        (b"PID|1||X\r", "MSH^1^0", "100"),
        (b"MSH|^~\\&|HIS|H|CHECKUP|C|20250301||ADT^A01|A1|P|2.5.1\rPID|1||X\r", "MSH^1^9", "200"),
        (b"MSH|^~\\&|LIS|L|CHECKUP|C|20250301||ORU^R30|A2|P|2.5.1\r", "MSH^1^9", "201"),
        (b"MSH|^~\\&|LIS|L|CHECKUP|C|20250301||ORU^R01||P|2.5.1\r", "MSH^1^10", "101"),
        (b"MSH|^~\\&|LIS|L|CHECKUP|C|20250301||ORU^R01|A3|P|2.5.1||||||KOI8-R\r", "MSH^1^18", "103"),
    ],
)
def test_what_is_not_an_oru_r01_we_can_read_is_rejected(lab, raw, location, condition):
    outcome = hl7_results.receive_oru(LIS, raw)
    assert outcome.code == "AR"
    ack = ack_of(outcome)
    assert str(ack.segment("MSA")[1]) == "AR"
    assert (str(ack.segment("ERR")[2]), str(ack.segment("ERR")[3][0][0])) == (location, condition)
    assert AuditEvent.select().where(AuditEvent.action == "hl7.received").count() == 1
