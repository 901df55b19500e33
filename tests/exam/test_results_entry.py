"""Result entry at the stations: who may write what and when, critical alerts, worklists, progress."""

import datetime
from decimal import Decimal

import pytest

from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, CriticalAlert, Result
from checkup.services.exam import results, stations
from tests import factories
from tests.factories import row_counts
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    return Lab()


def audit_actions():
    return [
        e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("results.")).order_by(AuditEvent.id)
    ]


def test_a_value_is_stored_with_its_flag_range_unit_and_author(lab):
    appointment = lab.appointment()
    result = results.record_result(lab.actor, appointment.id, "GLU", "6.5")
    stored = Result.get_by_id(result.id)
    assert (stored.value_num, stored.value_text, stored.flag, stored.unit) == (Decimal("6.5"), "6.5", "H", "mmol/L")
    assert (stored.ref_low, stored.ref_high) == (Decimal("3.9"), Decimal("6.1"))
    assert stored.entered_by_id == lab.physician.id and stored.source == "station"
    assert audit_actions() == ["results.entered"]
    assert AuditEvent.get(AuditEvent.action == "results.entered").ip == "127.0.0.1"


def test_saving_again_updates_the_one_result(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, lab.glu.id, "6.5")
    results.record_result(lab.actor, appointment.id, "GLU", "5.0")
    [stored] = Result.select()
    assert (stored.value_num, stored.flag) == (Decimal("5"), "N")


def test_the_clients_sex_and_age_on_the_exam_day_choose_the_range(lab):
    man = lab.appointment(sex="male", birth_date=datetime.date(1980, 1, 1), name="张伟")
    boy = lab.appointment(sex="male", birth_date=lab.center.day - datetime.timedelta(days=365 * 10), name="小明")
    assert results.record_result(lab.actor, man.id, "HB", "128").flag == "L"  # men: 130–175
    assert results.record_result(lab.actor, boy.id, "HB", "128").flag == "N"  # any: 110–160
    assert Result.get(Result.appointment == man.id).ref_low == Decimal("130")


def test_an_item_not_in_the_appointment_is_refused(lab):
    appointment = lab.appointment()
    other = factories.make_item("CHOL", lab.lab)
    for item in ("CHOL", other.id, "NOPE", lab.center.ct_item.id):
        with pytest.raises(ValidationError) as caught:
            results.record_result(lab.actor, appointment.id, item, "5")
        assert "not part of" in str(caught.value.message)
    assert row_counts(Result, AuditEvent)["Result"] == 0


def test_unknown_appointment_is_not_found(lab):
    with pytest.raises(NotFound):
        results.record_result(lab.actor, 999999, "GLU", "5")


@pytest.mark.parametrize("status", ["booked", "cancelled", "no_show"])
def test_only_checked_in_clients_get_results(lab, status):
    appointment = lab.appointment(status=status)
    with pytest.raises(ValidationError) as caught:
        results.record_result(lab.actor, appointment.id, "GLU", "5")
    assert "checked-in" in str(caught.value.message)
    assert Result.select().count() == 0


def test_completed_appointment_stays_editable_until_a_report_is_signed(lab):
    appointment = lab.appointment(status="completed")
    lab.sign(appointment, status="draft")
    assert results.record_result(lab.actor, appointment.id, "GLU", "5").flag == "N"


@pytest.mark.parametrize("report_status", ["signed", "published", "superseded"])
@pytest.mark.parametrize("status", ["checked_in", "completed"])
def test_results_are_locked_once_a_report_is_signed(lab, report_status, status):
    appointment = lab.appointment(status=status)
    results.record_result(lab.actor, appointment.id, "GLU", "5")
    lab.sign(appointment, report_status)
    before = row_counts(Result, CriticalAlert, AuditEvent)
    with pytest.raises(ValidationError) as caught:
        results.record_result(lab.actor, appointment.id, "GLU", "1.0")
    assert "Results are locked; use an amendment" in str(caught.value.message)
    assert row_counts(Result, CriticalAlert, AuditEvent) == before
    assert Result.get().value_num == Decimal("5")


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "", "1.00001"])
def test_bad_numbers_write_nothing(lab, raw):
    appointment = lab.appointment()
    with pytest.raises(ValidationError):
        results.record_result(lab.actor, appointment.id, "GLU", raw)
    assert row_counts(Result, AuditEvent)["Result"] == 0 and audit_actions() == []


def test_choice_and_text_results(lab):
    appointment = lab.appointment()
    assert results.record_result(lab.actor, appointment.id, "URO", "positive", abnormal=True).flag == "A"
    assert results.record_result(lab.actor, appointment.id, "ABD", "Liver slightly enlarged").flag == "N"
    with pytest.raises(ValidationError) as caught:
        results.record_result(lab.actor, appointment.id, "URO", "very positive")
    assert "negative, trace, positive" in str(caught.value.message)
    with pytest.raises(ValidationError):
        results.record_result(lab.actor, appointment.id, "ABD", "x" * 501)


@pytest.mark.parametrize(
    "reason,stored",
    [
        ("declined", "declined"),
        ("pregnant", "pregnant"),
        ("not_possible", "not_possible"),
        ("  client   felt faint ", "client felt faint"),
    ],
)
def test_a_skipped_item_keeps_its_reason(lab, reason, stored):
    appointment = lab.appointment()
    result = results.record_result(lab.actor, appointment.id, "GLU", "", skipped=True, skip_reason=reason)
    assert (result.skipped, result.skip_reason, result.flag, result.value_num) == (True, stored, "", None)
    assert stations.appointment_progress(appointment.id).done == 1


@pytest.mark.parametrize("reason", ["", "   ", "other", "x" * 201])
def test_skipping_needs_a_reason(lab, reason):
    appointment = lab.appointment()
    with pytest.raises(ValidationError) as caught:
        results.record_result(lab.actor, appointment.id, "GLU", "", skipped=True, skip_reason=reason)
    assert "skip_reason" in caught.value.field_errors
    assert Result.select().count() == 0


# --- critical values ------------------------------------------------------------------------------


def test_a_critical_value_opens_an_alert_at_once(lab):
    appointment = lab.appointment()
    result = results.record_result(lab.actor, appointment.id, "GLU", "2.8")
    [alert] = CriticalAlert.select()
    assert (alert.result_id, alert.appointment_id, alert.acknowledged_at) == (result.id, appointment.id, None)
    assert result.new_alert.id == alert.id
    assert audit_actions() == ["results.critical", "results.entered"]
    assert [a.id for a in stations.open_alerts()] == [alert.id]


def test_one_alert_per_critical_value_change(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "30")
    results.record_result(lab.actor, appointment.id, "GLU", "30")  # saved again: same value, no new alert
    assert CriticalAlert.select().count() == 1
    results.record_result(lab.actor, appointment.id, "GLU", "31")  # a new critical value: a new alert
    results.record_result(lab.actor, appointment.id, "GLU", "5")  # normal: none
    assert CriticalAlert.select().count() == 2
    assert audit_actions().count("results.critical") == 2


def test_acknowledging_records_who_when_and_a_note(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "1.9")
    [alert] = stations.open_alerts()
    counselor = factories.make_user("counselor", name="Ms. Zhao")
    from checkup.core.audit import Actor

    done = stations.acknowledge_alert(Actor(counselor, "10.0.0.9"), alert.id, "  Called the client;  sent to ER ")
    assert (done.acknowledged_by_id, done.note) == (counselor.id, "Called the client; sent to ER")
    assert done.acknowledged_at is not None and stations.open_alerts() == []
    event = AuditEvent.get(AuditEvent.action == "results.alert_acknowledged")
    assert (event.user_id, event.ip, event.object_id) == (counselor.id, "10.0.0.9", str(alert.id))
    with pytest.raises(Conflict) as caught:
        stations.acknowledge_alert(lab.actor, alert.id, "again")
    assert "Ms. Zhao" in str(caught.value.message)
    assert CriticalAlert.get_by_id(alert.id).acknowledged_by_id == counselor.id


def test_acknowledging_unknown_alert_or_overlong_note(lab):
    with pytest.raises(NotFound):
        stations.acknowledge_alert(lab.actor, 999999, "")
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "40")
    [alert] = stations.open_alerts()
    with pytest.raises(ValidationError):
        stations.acknowledge_alert(lab.actor, alert.id, "x" * 501)
    assert CriticalAlert.get_by_id(alert.id).acknowledged_at is None


# --- worklists and progress -----------------------------------------------------------------------


def test_the_worklist_shows_checked_in_clients_with_pending_items_at_the_station(lab):
    day = lab.center.day
    waiting = lab.appointment(name="Waiting")
    half = lab.appointment(name="Half done")
    finished = lab.appointment(name="Finished here")
    lab.appointment(status="booked", name="Not arrived")
    lab.appointment(name="Other day", day=day + datetime.timedelta(days=1))
    results.record_result(lab.actor, half.id, "GLU", "5")
    results.record_result(lab.actor, half.id, "HB", "", skipped=True, skip_reason="declined")
    for code, value in (("GLU", "5"), ("HB", "120"), ("URO", "negative")):
        results.record_result(lab.actor, finished.id, code, value)
    rows = stations.station_worklist(lab.lab.id, day).items
    assert [(r.appointment.client.name, r.pending, r.done) for r in rows] == [("Waiting", 3, 0), ("Half done", 1, 2)]
    assert rows[0].appointment.id == waiting.id
    # the other station still waits for "Finished here"
    assert {r.appointment.client.name for r in stations.station_worklist(lab.internal.id, day).items} == {
        "Waiting",
        "Half done",
        "Finished here",
    }
    assert dict((d.code, n) for d, n in stations.station_overview(day))["LAB"] == 2


def test_the_worklist_takes_a_fixed_number_of_queries(lab, count_queries):
    day = lab.center.day
    lab.appointment(name="one")
    with count_queries() as few:
        assert len(stations.station_worklist(lab.lab.id, day).items) == 1
    for n in range(6):
        lab.appointment(name=f"client {n}")
    with count_queries() as many:
        rows = stations.station_worklist(lab.lab.id, day).items
        names = [(r.appointment.client.name, r.appointment.slot.start_time, r.pending) for r in rows]
    assert len(names) == 7
    assert few.count == many.count == 1
    with count_queries() as overview:
        stations.station_overview(day)
    assert overview.count == 2


def test_progress_counts_done_and_pending_items_per_station(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "GLU", "5")
    results.record_result(lab.actor, appointment.id, "ABD", "normal")
    progress = stations.appointment_progress(appointment.id)
    assert (progress.done, progress.pending, progress.total, progress.complete) == (2, 2, 4, False)
    assert [(d.code, done, total) for d, done, total in progress.by_department] == [("INT", 1, 1), ("LAB", 1, 3)]
