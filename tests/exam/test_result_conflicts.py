"""Instrument values never overwrite silently: the same value is a no-op, a different one waits in the
station's conflict list, where the station doctor keeps the entered value or takes the instrument's."""

from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, CriticalAlert, Result, ResultConflict
from checkup.services.access.care_access import NoCareRelationship
from checkup.services.exam import result_conflicts, results, results_import
from tests import factories
from tests.factories import row_counts
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs

HEADER = "exam_code,item_code,value,unit,time\n"


@pytest.fixture
def lab(app):
    return Lab()


def csv_bytes(*rows):
    return (HEADER + "".join(line + "\n" for line in rows)).encode("utf-8")


def actions(prefix):
    return [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)]


def test_the_same_value_changes_nothing(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    before = row_counts(Result, ResultConflict, CriticalAlert)
    outcome = results_import.import_instrument_csv(
        lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,5.40,mmol/L,")
    )
    assert (outcome.created, outcome.unchanged, outcome.conflicts) == (0, 1, 0)
    assert row_counts(Result, ResultConflict, CriticalAlert) == before
    again = Result.get_by_id(entered.id)
    assert (again.value_text, again.source, again.entered_at) == ("5.4", "station", entered.entered_at)


def test_a_different_value_waits_as_a_conflict_and_the_entered_one_stays(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    data = csv_bytes(f"{appointment.exam_code},GLU,7.9,mmol/L,08:15")
    outcome = results_import.import_instrument_csv(lab.actor, "cobas-0302.csv", data)
    assert (outcome.created, outcome.unchanged, outcome.conflicts) == (0, 0, 1)
    assert Result.get_by_id(entered.id).value_text == "5.4"
    [conflict] = ResultConflict.select()
    assert (conflict.result_id, conflict.open_result, conflict.appointment_id) == (
        entered.id,
        entered.id,
        appointment.id,
    )
    assert (conflict.entered_value, conflict.instrument_value, conflict.instrument_num) == (
        "5.4",
        "7.9",
        Decimal("7.9"),
    )
    assert (conflict.source, conflict.source_ref, conflict.entered_source) == (
        "instrument",
        "cobas-0302.csv",
        "station",
    )
    assert (conflict.department_id, conflict.day, conflict.choice, conflict.resolved_at) == (
        lab.lab.id,
        appointment.day,
        "",
        None,
    )
    assert conflict.created_by_id == lab.physician.id
    assert actions("results.conflict") == ["results.conflict"]


def test_a_value_for_an_empty_result_is_entered_as_before(lab):
    appointment = lab.appointment()
    outcome = results_import.import_instrument_csv(
        lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,1.2,mmol/L,")
    )
    assert (outcome.created, outcome.critical) == (1, 1)
    result = Result.get()
    assert (result.value_text, result.flag, result.source) == ("1.2", "LL", "instrument")
    assert ResultConflict.select().count() == 0


def test_one_conflict_is_open_per_result_and_a_newer_instrument_value_replaces_it(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    row = f"{appointment.exam_code},GLU,7.9,mmol/L,"
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(row))
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(row))  # the same file twice
    assert ResultConflict.select().count() == 1 and actions("results.conflict") == ["results.conflict"]
    results_import.import_instrument_csv(lab.actor, "b.csv", csv_bytes(f"{appointment.exam_code},GLU,8.1,mmol/L,"))
    [conflict] = ResultConflict.select()
    assert (conflict.instrument_value, conflict.source_ref) == ("8.1", "b.csv")


def test_an_item_the_station_skipped_is_not_filled_in_by_the_instrument(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", None, skipped=True, skip_reason="declined")
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,5.0,mmol/L,"))
    [conflict] = ResultConflict.select()
    assert (conflict.entered_value, conflict.entered_skipped) == ("", "declined")
    assert Result.get().skipped


def test_keeping_the_entered_value_closes_the_conflict_audited_and_only_once(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,7.9,mmol/L,"))
    conflict = ResultConflict.get()
    resolved = result_conflicts.resolve_conflict(lab.actor, conflict.id, "keep")
    assert (resolved.choice, resolved.resolved_by_id, resolved.open_result) == ("keep", lab.physician.id, None)
    assert resolved.resolved_at is not None and Result.get_by_id(entered.id).value_text == "5.4"
    event = AuditEvent.get(AuditEvent.action == "results.conflict_resolved")
    assert '"choice": "keep"' in event.detail and event.client_id == appointment.client_id
    with pytest.raises(Conflict):
        result_conflicts.resolve_conflict(lab.actor, conflict.id, "take")
    assert Result.get_by_id(entered.id).value_text == "5.4"
    # resolved, the result may meet a new differing value: a new conflict opens
    results_import.import_instrument_csv(lab.actor, "b.csv", csv_bytes(f"{appointment.exam_code},GLU,8.0,mmol/L,"))
    assert ResultConflict.select().where(ResultConflict.choice == "").count() == 1


def test_taking_the_instrument_value_reflags_it_and_opens_an_alert_when_critical(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,26.0,mmol/L,"))
    conflict = ResultConflict.get()
    result_conflicts.resolve_conflict(lab.actor, conflict.id, "take")
    taken = Result.get_by_id(entered.id)
    assert (taken.value_text, taken.flag, taken.source) == ("26.0", "HH", "instrument")
    assert CriticalAlert.get().result_id == taken.id
    assert '"choice": "take"' in AuditEvent.get(AuditEvent.action == "results.conflict_resolved").detail


def test_after_signing_the_instrument_value_cannot_be_taken_but_can_be_dismissed(lab):
    appointment = lab.appointment(day=clock.today())  # examined today: the doctor still cares for the client
    results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,7.9,mmol/L,"))
    conflict = ResultConflict.get()
    lab.sign(appointment)
    with pytest.raises(ValidationError) as caught:
        result_conflicts.resolve_conflict(lab.actor, conflict.id, "take")
    assert "amendment" in str(caught.value.message)
    assert ResultConflict.get_by_id(conflict.id).choice == ""  # nothing changed
    assert result_conflicts.resolve_conflict(lab.actor, conflict.id, "keep").choice == "keep"


def test_an_unknown_choice_or_conflict_is_refused(lab):
    with pytest.raises(ValidationError):
        result_conflicts.resolve_conflict(lab.actor, 1, "both")
    with pytest.raises(NotFound):
        result_conflicts.resolve_conflict(lab.actor, 987654, "keep")


def test_an_interface_other_than_the_csv_applies_the_same_rule_with_its_own_source(lab):
    appointment = lab.appointment()
    first = result_conflicts.receive_instrument_result(lab.actor, appointment.id, "GLU", "5.4", "hl7", "MSG-1")
    assert first.kind == "new" and first.result.source == "instrument"
    assert result_conflicts.receive_instrument_result(lab.actor, appointment.id, "GLU", "5.40", "hl7").kind == "same"
    differing = result_conflicts.receive_instrument_result(lab.actor, appointment.id, "GLU", "6.6", "hl7", "MSG-2")
    assert differing.kind == "conflict"
    assert (differing.conflict.source, differing.conflict.source_ref) == ("hl7", "MSG-2")
    with pytest.raises(ValidationError):
        result_conflicts.receive_instrument_result(lab.actor, appointment.id, "URO", "1", "hl7")
    assert Result.get(Result.appointment == appointment.id).value_text == "5.4"


def test_the_import_preview_counts_new_unchanged_conflicting_and_ignored_rows_and_writes_nothing(lab):
    factories.make_item("BMI", lab.lab, unit="kg/m²")  # a computed item: an analyser row for it is ignored
    appointment = lab.appointment()
    other = lab.appointment(name="乙")
    results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    results.record_result(lab.actor, appointment.id, "HB", "120")
    data = csv_bytes(
        f"{appointment.exam_code},GLU,5.4,mmol/L,",
        f"{appointment.exam_code},HB,131,g/L,",
        f"{other.exam_code},GLU,5.0,mmol/L,",
        f"{other.exam_code},BMI,22.0,kg/m²,",
    )
    before = row_counts(Result, ResultConflict, AuditEvent)
    preview = results_import.preview_instrument_csv("a.csv", data)
    assert (preview.rows, preview.new, preview.unchanged, preview.conflicts, preview.ignored) == (3, 1, 1, 1, 1)
    assert preview.appointments == 2
    assert row_counts(Result, ResultConflict, AuditEvent) == before
    outcome = results_import.import_instrument_csv(lab.actor, "a.csv", data)
    assert (outcome.created, outcome.unchanged, outcome.conflicts, outcome.ignored) == (1, 1, 1, 1)


def test_a_doctor_without_a_care_relationship_cannot_resolve(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    results_import.import_instrument_csv(lab.actor, "a.csv", csv_bytes(f"{appointment.exam_code},GLU,7.9,mmol/L,"))
    lab.sign(appointment)  # signed by someone else, on another day: no relationship left for this doctor
    stranger = factories.make_user("physician", name="Dr. Other")
    with pytest.raises(NoCareRelationship):
        result_conflicts.resolve_conflict(Actor(stranger, "127.0.0.1"), ResultConflict.get().id, "keep")
    assert ResultConflict.get().choice == ""
