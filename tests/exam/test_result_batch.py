"""A batch of instrument values for one checkup goes through the same rule as values sent one by one, the new ones
in one INSERT: a value a station saved after the batch read its results meets that value (the same value is a
no-op, a different one waits as a conflict), exactly as it would alone."""

import threading

import pytest

from checkup.models import AuditEvent, CriticalAlert, Result, ResultConflict
from checkup.models.base import db
from checkup.services.exam import result_conflicts, results
from tests.factories import row_counts
from tests.results_helpers import Lab

NEW, SAME, CONFLICT = result_conflicts.NEW, result_conflicts.SAME, result_conflicts.CONFLICT


@pytest.fixture
def lab(app):
    return Lab()


def checked(lab, appointment, item, value):
    return results.check_entry(item, appointment.client, appointment, value)


def batch(lab, appointment, *values, existing=None):
    """The batch form, with ``existing`` as the caller read it (a stale read when the station saved since)."""
    appointment = results.get_appointment(appointment.id)
    pairs = [(checked(lab, appointment, item, value), f"REF-{n}") for n, (item, value) in enumerate(values)]
    received = result_conflicts.apply_instrument_values(lab.actor, appointment, pairs, existing or {}, source="LIS")
    return [r.kind for r in received], received


def statements(queries, verb):
    return sum(1 for q in queries if q.lstrip("('\"").upper().startswith(verb))


@pytest.mark.both_dbs
def test_new_values_are_stored_in_one_insert_without_a_savepoint_each(lab, count_queries):
    appointment = lab.appointment()
    with count_queries() as counted:
        kinds, received = batch(lab, appointment, (lab.glu, "5.0"), (lab.hb, "100"))
    assert kinds == [NEW, NEW]
    assert statements(counted.queries, 'INSERT INTO "RESULT"') == 1
    assert statements(counted.queries, "SAVEPOINT") == 0
    stored = {r.item_id: r for r in Result.select().where(Result.appointment == appointment.id)}
    assert {r.result.id for r in received} == {r.id for r in stored.values()}
    glu, hb = stored[lab.glu.id], stored[lab.hb.id]
    assert (glu.value_text, glu.flag, glu.source, glu.unit, glu.entered_by_id) == (
        "5.0",
        "N",
        "instrument",
        "mmol/L",
        lab.physician.id,
    )
    assert (hb.value_text, hb.flag, hb.ref_low, hb.ref_high) == ("100", "L", 115, 150)  # a woman of 41
    assert received[1].result.flag == "L" and received[1].alert is None


@pytest.mark.both_dbs
def test_a_critical_value_in_a_batch_opens_its_alert_at_once(lab):
    appointment = lab.appointment()
    kinds, received = batch(lab, appointment, (lab.hb, "128"), (lab.glu, "30"))
    assert kinds == [NEW, NEW]
    [alert] = CriticalAlert.select()
    assert received[1].alert.id == alert.id and received[0].alert is None
    assert (alert.result_id, alert.appointment_id, alert.result.flag) == (received[1].result.id, appointment.id, "HH")
    [audited] = AuditEvent.select().where(AuditEvent.action == "results.critical")
    assert (audited.object_id, audited.client_id) == (str(alert.result_id), appointment.client_id)


@pytest.mark.both_dbs
def test_a_later_value_for_an_item_meets_the_earlier_one_of_the_batch(lab):
    appointment = lab.appointment()
    kinds, received = batch(lab, appointment, (lab.glu, "5.2"), (lab.glu, "5.20"), (lab.glu, "6.1"))
    assert kinds == [NEW, SAME, CONFLICT]
    [stored] = Result.select()
    assert stored.value_text == "5.2" and received[1].result.id == stored.id
    [conflict] = ResultConflict.select()
    assert (conflict.result_id, conflict.entered_value, conflict.instrument_value, conflict.source_ref) == (
        stored.id,
        "5.2",
        "6.1",
        "REF-2",
    )


@pytest.mark.both_dbs
def test_a_value_already_entered_goes_through_the_rule_value_by_value(lab):
    appointment = lab.appointment()
    entered = results.record_result(lab.actor, appointment.id, "GLU", "5.4")
    kinds, received = batch(lab, appointment, (lab.glu, "7.9"), (lab.hb, "128"), existing={lab.glu.id: entered})
    assert kinds == [CONFLICT, NEW]
    assert received[0].conflict.entered_value == "5.4" and Result.get_by_id(entered.id).value_text == "5.4"


@pytest.mark.both_dbs
@pytest.mark.parametrize(("station", "instrument", "kind"), [("5.4", "5.40", SAME), ("5.4", "7.9", CONFLICT)])
def test_a_value_the_station_saved_after_the_read_meets_the_rule_as_it_would_alone(lab, station, instrument, kind):
    """The batch read no GLU result; the station saves one before the batch writes: the batch's GLU value is not
    stored over it but meets it, as the per-value path (apply_instrument_value) answers for the same race."""
    by_batch, alone = lab.appointment(name="甲"), lab.appointment(name="乙")
    for appointment in (by_batch, alone):
        results.record_result(lab.actor, appointment.id, "GLU", station)
    before = row_counts(Result, CriticalAlert)

    kinds, received = batch(lab, by_batch, (lab.glu, instrument), (lab.hb, "128"), (lab.glu, station), existing={})
    one = result_conflicts.apply_instrument_value(
        lab.actor, results.get_appointment(alone.id), checked(lab, alone, lab.glu, instrument), None, "LIS", "REF-0"
    )

    assert kinds == [kind, NEW, SAME] and one.kind == kind
    assert row_counts(Result, CriticalAlert) == {"Result": before["Result"] + 1, "CriticalAlert": 0}  # HB only
    for appointment in (by_batch, alone):
        glu = Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id)
        assert (glu.value_text, glu.source) == (station, "station")
    waiting = {c.appointment_id: c for c in ResultConflict.select()}
    if kind == SAME:
        assert waiting == {} and received[0].conflict is None
    else:
        assert set(waiting) == {by_batch.id, alone.id}
        for appointment in (by_batch, alone):
            conflict = waiting[appointment.id]
            assert (conflict.entered_value, conflict.entered_source, conflict.instrument_value) == (
                station,
                "station",
                instrument,
            )
        assert received[0].conflict.id == waiting[by_batch.id].id


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_a_station_saving_in_another_transaction_between_the_read_and_the_insert(app, lab):
    """Two real connections on PostgreSQL: the batch's transaction reads no GLU result, the station commits one,
    then the batch writes. Its GLU value waits as a conflict; its HB value is stored; no error."""
    appointment = lab.appointment()
    db.close()
    errors = []

    def station_saves():
        with app.app_context(), db.connection_context():
            try:
                results.record_result(lab.actor, appointment.id, "GLU", "5.4")
            except Exception as error:  # noqa: BLE001 - reported below: the test fails on any error
                errors.append(repr(error))

    db.connect()
    with db.atomic():
        current = results.get_appointment(appointment.id)
        read = {r.item_id: r for r in Result.select().where(Result.appointment == current.id)}
        assert read == {}
        station = threading.Thread(target=station_saves)
        station.start()
        station.join(timeout=30)
        kinds, received = batch(lab, current, (lab.glu, "7.9"), (lab.hb, "128"), existing=read)

    assert errors == [] and kinds == [CONFLICT, NEW]
    glu = Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id)
    assert (glu.value_text, glu.source) == ("5.4", "station")
    [conflict] = ResultConflict.select()
    assert (conflict.result_id, conflict.instrument_value, conflict.id) == (glu.id, "7.9", received[0].conflict.id)
