"""Review and sign-off: findings and follow-ups by the rule table, locked results, amendments."""

import datetime
import json
from decimal import Decimal

import pytest

from checkup.core.errors import Conflict, DomainError, ValidationError
from checkup.models import Appointment, AuditEvent, Finding, FollowUp, FollowUpRule, Report, Result
from checkup.services.catalog import care_rules
from checkup.services.exam import report_review, reports, review_queue
from tests.report_helpers import ReportWorld


@pytest.fixture
def world(app):
    return ReportWorld()


@pytest.mark.parametrize(
    "flag, value, low, high, kind",
    [
        ("HH", "25", "3.9", "6.1", "critical"),
        ("LL", "1.0", "3.9", "6.1", "critical"),
        ("A", None, None, None, "significant"),
        ("H", "50.1", "9", "50", "mild"),  # just above the bound
        ("H", "58.2", "9", "50", "mild"),  # 8.2 over a width of 41 is exactly 20 %: still mild
        ("H", "58.3", "9", "50", "significant"),  # beyond 20 % of the range width
        ("L", "3.1", "3.5", "9.5", "mild"),
        ("L", "2.2", "3.5", "9.5", "significant"),
        ("H", "5.9", None, "5", "mild"),  # one-sided range: 20 % of the bound itself
        ("H", "6.1", None, "5", "significant"),
        ("H", None, "1", "2", "mild"),  # no number to measure: the milder reading
        ("N", "5", "1", "10", None),
        ("", "5", None, None, None),  # no range: not flagged, not a finding
    ],
)
def test_finding_kind_follows_the_twenty_percent_rule(flag, value, low, high, kind):
    as_decimal = lambda v: Decimal(v) if v is not None else None
    assert report_review.finding_kind(flag, as_decimal(value), as_decimal(low), as_decimal(high)) == kind


@pytest.mark.both_dbs
def test_signing_creates_findings_and_follow_ups_by_the_rule_table_and_locks_results(app, world, outbox):
    world.all_results()
    report = reports.sign(
        world.actor(),
        world.appointment.id,
        "Glucose critically high.",
        "See a doctor today.",
        findings=["Thyroid nodule palpable"],
    )

    report = Report.get_by_id(report.id)
    assert (report.status, report.version) == ("published", 1)  # inline job: the PDF is ready, so published
    assert report.pdf_state == "ready"
    assert report.verification_code and report.signed_by_id == world.physician.id
    snapshot = {row["code"]: row for row in json.loads(report.results_snapshot)["rows"]}
    assert snapshot["GLU"]["value"] == "25.1" and snapshot["GLU"]["flag"] == "HH"

    findings = {(f.item_id, f.source): f.level for f in Finding.select().where(Finding.report == report.id)}
    assert findings == {
        (world.glu.id, "auto"): "A",
        (world.liver.id, "auto"): "B",
        (world.alt.id, "auto"): "C",
        (None, "physician"): "C",
    }
    follow_ups = {f.level: f for f in FollowUp.select().where(FollowUp.report == report.id)}
    assert set(follow_ups) == {"A", "B", "C"}
    assert follow_ups["A"].due_at == report.signed_at + datetime.timedelta(hours=24)
    assert follow_ups["B"].due_at == report.signed_at + datetime.timedelta(days=7)
    assert follow_ups["C"].due_at == report.signed_at + datetime.timedelta(days=30)
    assert "Fasting glucose" in follow_ups["A"].summary
    assert "Thyroid nodule palpable" in follow_ups["C"].summary and "Alanine" in follow_ups["C"].summary
    assert all(f.client_id == world.client.id and f.status == "open" for f in follow_ups.values())

    appointment = Appointment.get_by_id(world.appointment.id)
    assert appointment.status == "completed" and appointment.live_day is None
    [event] = AuditEvent.select().where(AuditEvent.action == "report.signed")
    assert event.user_id == world.physician.id and event.object_id == str(report.id)

    from checkup.services.exam import results

    assert results.is_locked(world.appointment.id)
    with pytest.raises(DomainError):
        results.record_result(world.actor(), world.appointment.id, world.wbc.id, "7.0")
    assert Result.get(Result.item == world.wbc.id).value_text == "6.2"
    with pytest.raises(Conflict):
        reports.sign(world.actor(), world.appointment.id, "Again", "")


@pytest.mark.both_dbs
def test_an_edited_rule_table_is_used_and_missing_kinds_fall_back_to_defaults(app, world):
    FollowUpRule.delete().execute()
    FollowUpRule.create(kind="mild", level="B", due_hours=48)
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 6.3, flag="H", low=3.9, high=6.1)  # mild
    world.result(world.alt, 30, low=9, high=50)
    world.result(world.liver, value_text="Normal")
    report = reports.sign(world.actor(), world.appointment.id, "Slightly high glucose.", "")
    [follow_up] = FollowUp.select().where(FollowUp.report == report.id)
    assert (follow_up.level, follow_up.due_at) == ("B", report.signed_at + datetime.timedelta(hours=48))
    assert care_rules.follow_up_rules()["critical"] == ("A", 24)


def test_a_normal_checkup_signs_without_follow_ups(app, world):
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 5.0, low=3.9, high=6.1)
    world.result(world.alt, 30, low=9, high=50)
    world.result(world.liver, value_text="Normal")
    report = reports.sign(world.actor(), world.appointment.id, "All normal.", "Keep it up.")
    assert Finding.select().where(Finding.report == report.id).count() == 0
    assert FollowUp.select().count() == 0


def test_signing_needs_every_item_resulted_or_skipped_and_a_summary(app, world):
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 5.0, low=3.9, high=6.1)
    world.result(world.alt, None, skipped=True)
    with pytest.raises(ValidationError) as pending:
        reports.sign(world.actor(), world.appointment.id, "Summary", "")
    assert "US-LIVER" in str(pending.value.message)
    world.result(world.liver, value_text="Normal")
    with pytest.raises(ValidationError) as no_summary:
        reports.sign(world.actor(), world.appointment.id, "  ", "")
    assert "summary" in no_summary.value.field_errors
    assert Report.select().count() == 0
    report = reports.sign(world.actor(), world.appointment.id, "Fine; ALT declined.", "")
    assert Report.get_by_id(report.id).status == "published"


def test_a_booked_appointment_cannot_be_signed(app, world):
    Appointment.update(status="booked").where(Appointment.id == world.appointment.id).execute()
    world.all_results()
    with pytest.raises(Conflict):
        reports.sign(world.actor(), world.appointment.id, "Summary", "")


def test_a_draft_keeps_summary_and_becomes_version_one_when_signed(app, world):
    world.all_results()
    draft = reports.save_draft(world.actor(), world.appointment.id, "Draft summary", "Draft advice")
    assert (draft.status, draft.version) == ("draft", 1)
    report = reports.sign(world.actor(), world.appointment.id, "Final summary", "Final advice")
    assert report.id == draft.id
    assert Report.select().count() == 1
    with pytest.raises(Conflict):
        reports.save_draft(world.actor(), world.appointment.id, "late", "")


@pytest.mark.both_dbs
def test_an_amendment_needs_a_reason_keeps_the_old_version_and_notifies_the_client(app, world, outbox):
    world.all_results()
    first = reports.sign(world.actor(), world.appointment.id, "Glucose critical.", "Act now.")
    glu = Result.get(Result.item == world.glu.id)

    with pytest.raises(ValidationError) as no_reason:
        reports.amend(world.actor(), first.id, "  ", "Summary", "", changes=[{"result_id": glu.id, "value": "5.2"}])
    assert "reason" in no_reason.value.field_errors
    assert Result.get_by_id(glu.id).value_text == "25.1"

    second = reports.amend(
        world.actor(),
        first.id,
        "Sample was haemolysed; re-tested",
        "Glucose normal on re-test.",
        "",
        changes=[{"result_id": glu.id, "value": "5.2"}],
    )
    old, new = Report.get_by_id(first.id), Report.get_by_id(second.id)
    assert (old.status, old.version) == ("superseded", 1)
    assert (new.status, new.version, new.amendment_reason) == ("published", 2, "Sample was haemolysed; re-tested")
    assert new.verification_code != old.verification_code
    amended = Result.get_by_id(glu.id)
    assert (amended.value_text, amended.value_num) == ("5.2", Decimal("5.2"))
    assert json.loads(old.results_snapshot)["rows"][0]["value"] == "25.1"  # the old version still says what it said
    new_rows = {row["code"]: row for row in json.loads(new.results_snapshot)["rows"]}
    assert new_rows["GLU"]["value"] == "5.2"
    assert {f.item_id for f in Finding.select().where(Finding.report == new.id)} == {world.alt.id, world.liver.id}
    # the follow-ups of levels still called for move to the new version; none is duplicated
    assert FollowUp.select().where(FollowUp.level == "B").count() == 1
    assert FollowUp.get(FollowUp.level == "B").report_id == new.id

    [event] = AuditEvent.select().where(AuditEvent.action == "report.amended")
    detail = json.loads(event.detail)
    assert detail["reason"] == "Sample was haemolysed; re-tested" and detail["changes"][0]["item"] == "GLU"
    subjects = [m["Subject"] for m in outbox()]
    assert "Your checkup report was amended" in subjects
    amended_mail = next(m for m in outbox() if m["Subject"] == "Your checkup report was amended")
    assert amended_mail["To"] == world.client_user.email and "25.1" not in amended_mail.get_content()

    with pytest.raises(Conflict):
        reports.amend(world.actor(), first.id, "Again", "Summary", "")  # a superseded version
    with pytest.raises(ValidationError):
        reports.amend(world.actor(), second.id, "Typo", "Summary", "", changes=[{"result_id": glu.id, "value": "five"}])
    assert Report.get_by_id(second.id).status == "published"


def test_review_data_puts_abnormal_first_with_previous_values_in_a_fixed_number_of_queries(app, world, count_queries):
    world.all_results()
    world.sign_stations()
    world.last_year({world.glu: 5.5, world.alt: 60, world.wbc: 6.2})
    with count_queries() as q:
        data = report_review.review_data(world.appointment.id)
        [(row.item.code, row.kind, row.previous_value, row.trend) for row in data.rows]
    assert q.count <= 10  # and the station conclusions, the advice library's rules, the chief physician on it
    assert [row.item.code for row in data.rows] == ["GLU", "US-LIVER", "ALT", "WBC"]
    by_code = {row.item.code: row for row in data.rows}
    assert (by_code["GLU"].previous_value, by_code["GLU"].trend) == ("5.5", "↑")
    assert (by_code["ALT"].previous_value, by_code["ALT"].trend) == ("60", "↓")
    assert by_code["WBC"].trend == "→" and by_code["US-LIVER"].trend == ""
    assert data.can_sign


def test_ready_for_review_lists_only_complete_unsigned_checkups(app, world):
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    assert review_queue.ready_for_review() == []
    world.result(world.glu, 5.0, low=3.9, high=6.1)
    world.result(world.alt, None, skipped=True)
    world.result(world.liver, value_text="Normal")
    assert review_queue.ready_for_review() == []  # every result in; the stations have not signed yet
    world.sign_stations()
    assert [a.id for a in review_queue.ready_for_review()] == [world.appointment.id]
    reports.sign(world.actor(), world.appointment.id, "Fine.", "")
    assert review_queue.ready_for_review() == []
    assert [r.appointment_id for r in review_queue.recently_signed()] == [world.appointment.id]
