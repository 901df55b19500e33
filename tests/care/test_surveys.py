"""Satisfaction surveys: sent once per checkup when its report is published, single use, expiry,
score validation, service recovery on a low score, and the dashboard's figures."""

import datetime
import hashlib

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AuditEvent, Client, FollowUp, FollowUpRule, Message, Report, Survey, User
from checkup.models.base import utcnow
from checkup.services.care import surveys
from checkup.services.exam import reports
from tests.report_helpers import ReportWorld
from tests.survey_helpers import answered, published_report, sent_survey, survey_mails, token_from

pytestmark = pytest.mark.both_dbs

GOOD = {
    "overall": "5",
    "booking": "4",
    "front_desk": "5",
    "stations": "4",
    "report_clarity": "5",
    "staff_attitude": "5",
    "comment": "Quick and friendly.",
}


@pytest.fixture
def world(app):
    return ReportWorld()


def move_clock(monkeypatch, **delta):
    moment = clock.now() + datetime.timedelta(**delta)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def test_publishing_a_report_sends_one_survey_per_checkup_even_after_an_amendment(app, world, outbox):
    world.all_results()
    first = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    assert Report.get_by_id(first.id).status == "published"  # inline job: PDF ready, published, survey sent
    [mail] = survey_mails(outbox)
    assert mail["To"] == world.client_user.email
    token = token_from(mail)
    assert "25.1" not in mail.get_content()  # no results in the email
    survey = Survey.get()
    assert (survey.report_id, survey.client_id) == (first.id, world.client.id)
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in survey.token_hash
    assert survey.sent_at is not None and survey.answered_at is None
    assert datetime.timedelta(days=29, hours=23) < survey.expires_at - survey.sent_at <= datetime.timedelta(days=30)
    message = Message.get(Message.kind == "survey")
    assert (message.kind, message.dedupe_key, message.status) == ("survey", f"survey:{world.appointment.id}", "sent")

    second = reports.amend(world.actor(), first.id, "Typo in the advice", "Summary", "Better advice")
    assert Report.get_by_id(second.id).status == "published"
    assert len(survey_mails(outbox)) == 1 and Survey.select().count() == 1
    assert surveys.send_survey(first.id) is None and surveys.send_survey(second.id) is None  # a retried job
    assert len(survey_mails(outbox)) == 1 and Message.select().where(Message.kind == "survey").count() == 1


def test_no_survey_for_a_client_without_any_email_or_for_an_old_checkup(app, world, outbox, monkeypatch):
    User.update(client=None).where(User.id == world.client_user.id).execute()
    Client.update(email="").where(Client.id == world.client.id).execute()
    report = published_report(world)
    assert surveys.send_survey(report.id) is None
    assert Survey.select().count() == 0 and survey_mails(outbox) == []

    Client.update(email="wang@example.com").where(Client.id == world.client.id).execute()
    old = published_report(world, day=clock.today() - datetime.timedelta(days=surveys.SEND_WITHIN_DAYS + 1))
    assert surveys.send_survey(old.id) is None
    draft = published_report(world, status="signed")
    assert surveys.send_survey(draft.id) is None  # only a published report
    assert Survey.select().count() == 0 and survey_mails(outbox) == []
    assert surveys.send_survey(report.id) is not None  # the record's own email is enough (no account)
    assert [m["To"] for m in survey_mails(outbox)] == ["wang@example.com"]


def test_the_link_is_single_use(app, world, outbox):
    survey, token = sent_survey(world, outbox)
    assert surveys.survey_for_token(token).id == survey.id
    surveys.answer(Actor(), token, GOOD)
    stored = Survey.get_by_id(survey.id)
    assert (stored.overall, stored.booking, stored.comment) == (5, 4, "Quick and friendly.")
    assert stored.answered_at is not None
    with pytest.raises(surveys.SurveyClosed) as closed:
        surveys.answer(Actor(), token, dict(GOOD, overall="1", comment="Second try"))
    assert closed.value.reason == "answered" and closed.value.status == 410
    with pytest.raises(surveys.SurveyClosed):
        surveys.survey_for_token(token)
    again = Survey.get_by_id(survey.id)
    assert (again.overall, again.comment, again.answered_at) == (5, "Quick and friendly.", stored.answered_at)
    assert FollowUp.select().where(FollowUp.kind == "service").count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "survey.answered").count() == 1


def test_an_expired_link_answers_nothing(app, world, outbox, monkeypatch):
    survey, token = sent_survey(world, outbox)
    move_clock(monkeypatch, days=29, hours=23)
    assert surveys.survey_for_token(token).id == survey.id  # still open on the last day
    move_clock(monkeypatch, hours=2)
    with pytest.raises(surveys.SurveyClosed) as closed:
        surveys.answer(Actor(), token, GOOD)
    assert closed.value.reason == "expired"
    assert Survey.get_by_id(survey.id).answered_at is None


@pytest.mark.parametrize("token", ["", "nope", "x" * 500, "../../etc"])
def test_an_unknown_token_is_not_found(app, token):
    with pytest.raises(NotFound):
        surveys.survey_for_token(token)


@pytest.mark.parametrize(
    "field,value",
    [
        ("overall", ""),
        ("overall", "0"),
        ("overall", "6"),
        ("overall", "abc"),
        ("overall", "3.5"),
        ("overall", "-1"),
        ("overall", "99999999999999999999999"),
        ("booking", "7"),
        ("staff_attitude", "two"),
        ("comment", "x" * 2001),
    ],
)
def test_scores_must_be_whole_numbers_from_1_to_5_and_comments_short(app, world, outbox, field, value):
    survey, token = sent_survey(world, outbox)
    with pytest.raises(ValidationError) as invalid:
        surveys.answer(Actor(), token, dict(GOOD, **{field: value}))
    assert field in invalid.value.field_errors
    stored = Survey.get_by_id(survey.id)
    assert (stored.answered_at, stored.overall, stored.comment) == (None, None, "")  # nothing written


def test_areas_are_optional_and_a_long_comment_at_the_limit_is_kept(app, world, outbox):
    survey, token = sent_survey(world, outbox)
    surveys.answer(Actor(), token, {"overall": "4", "comment": "y" * 2000})
    stored = Survey.get_by_id(survey.id)
    assert (stored.overall, stored.booking, len(stored.comment)) == (4, None, 2000)


def test_a_low_score_opens_one_service_recovery_follow_up(app, world, outbox):
    survey, token = sent_survey(world, outbox)
    before = utcnow()
    comment = "Waited ninety minutes at the front desk. " + "a" * 300
    surveys.answer(Actor(None, "10.0.0.9"), token, dict(GOOD, overall="3", front_desk="1", comment=comment))
    [follow_up] = FollowUp.select().where(FollowUp.kind == "service")
    assert (follow_up.client_id, follow_up.report_id, follow_up.level, follow_up.status) == (
        world.client.id,
        survey.report_id,
        "B",
        "open",
    )
    due = follow_up.due_at - before
    assert datetime.timedelta(hours=71) < due <= datetime.timedelta(hours=72, minutes=1)
    assert "Front desk 1/5" in follow_up.summary and "Overall" not in follow_up.summary
    assert comment[:200] in follow_up.summary and comment[:201] not in follow_up.summary
    assert Survey.get_by_id(survey.id).follow_up_id == follow_up.id
    assert AuditEvent.select().where(AuditEvent.action == "followup.service_recovery_opened").count() == 1
    with pytest.raises(surveys.SurveyClosed):  # a second submission opens nothing more
        surveys.answer(Actor(), token, dict(GOOD, overall="1"))
    assert FollowUp.select().where(FollowUp.kind == "service").count() == 1


def test_an_overall_score_of_two_is_low_and_three_is_not(app, world, outbox):
    _survey, token = sent_survey(world, outbox)
    surveys.answer(Actor(), token, {"overall": "3", "booking": "3"})
    assert FollowUp.select().where(FollowUp.kind == "service").count() == 0
    survey, token = sent_survey(world, outbox)
    surveys.answer(Actor(), token, {"overall": "2"})
    [follow_up] = FollowUp.select().where(FollowUp.kind == "service")
    assert "Overall 2/5" in follow_up.summary and Survey.get_by_id(survey.id).follow_up_id == follow_up.id


def test_an_admin_service_rule_sets_the_recovery_level_and_due_time(app, world, outbox):
    FollowUpRule.create(kind="service", level="A", due_hours=24)
    _survey, token = sent_survey(world, outbox)
    before = utcnow()
    surveys.answer(Actor(), token, {"overall": "1"})
    follow_up = FollowUp.get(FollowUp.kind == "service")
    assert follow_up.level == "A" and follow_up.due_at - before <= datetime.timedelta(hours=24, minutes=1)


def test_a_low_score_goes_to_a_counselor_by_the_assignment_rule(app, world, outbox, make_user):
    counselor = make_user("counselor")
    _survey, token = sent_survey(world, outbox)
    surveys.answer(Actor(), token, {"overall": "1"})
    assert FollowUp.get(FollowUp.kind == "service").assignee_id == counselor.id


def _utc(day, hour, minute=0):
    return clock.local(day, datetime.time(hour, minute)).astimezone(datetime.UTC).replace(tzinfo=None)


def test_the_dashboard_averages_by_area_and_center_time_month(app, world, monkeypatch, count_queries):
    june = datetime.date(2025, 6, 15)
    monkeypatch.setattr(clock, "now", lambda: clock.local(june, datetime.time(12, 0)))
    empty = surveys.dashboard()
    assert [m["month"] for m in empty["months"]][0] == datetime.date(2024, 7, 1)
    assert empty["months"][-1]["month"] == datetime.date(2025, 6, 1) and len(empty["months"]) == 12
    assert (empty["sent"], empty["answered"], empty["response_rate"], empty["low_count"]) == (0, 0, None, 0)

    answered(world, _utc(datetime.date(2025, 6, 1), 0, 30), 5, booking=4, comment="Lovely")  # 16:30 UTC on May 31
    answered(world, _utc(datetime.date(2025, 6, 10), 9), 3, booking=5)
    answered(world, _utc(datetime.date(2025, 5, 31), 23, 30), 4)
    low = answered(world, _utc(datetime.date(2025, 4, 2), 9), 2, booking=1, comment="Rude at booking")
    answered(world, _utc(datetime.date(2024, 6, 20), 9), 1)  # 12 months back: outside the window
    unanswered = published_report(world)
    Survey.create(
        report=unanswered,
        client=world.client,
        sent_at=_utc(datetime.date(2025, 6, 12), 9),
        expires_at=_utc(datetime.date(2025, 7, 12), 9),
    )

    with count_queries() as counted:
        data = surveys.dashboard()
    assert counted.count == 4  # months, counts, comments, low scores: whatever the number of rows
    by_month = {m["month"]: m for m in data["months"]}
    assert by_month[datetime.date(2025, 6, 1)]["responses"] == 2
    assert by_month[datetime.date(2025, 6, 1)]["averages"]["overall"] == 4.0
    assert by_month[datetime.date(2025, 6, 1)]["averages"]["booking"] == 4.5
    assert by_month[datetime.date(2025, 6, 1)]["averages"]["front_desk"] is None
    assert by_month[datetime.date(2025, 5, 1)]["averages"]["overall"] == 4.0
    assert by_month[datetime.date(2025, 4, 1)]["averages"] == {
        "overall": 2.0,
        "booking": 1.0,
        "front_desk": None,
        "stations": None,
        "report_clarity": None,
        "staff_attitude": None,
    }
    assert by_month[datetime.date(2025, 3, 1)]["responses"] == 0
    areas = {a["field"]: a for a in data["areas"]}
    assert (areas["overall"]["average"], areas["overall"]["responses"]) == (3.5, 4)
    assert (areas["booking"]["average"], areas["booking"]["responses"]) == (3.33, 3)
    assert (data["sent"], data["answered"], data["response_rate"]) == (5, 4, 80.0)
    assert data["low_count"] == 1 and [s.id for s in data["low"]] == [low.id]
    assert [s.comment for s in data["comments"]] == ["Lovely", "Rude at booking"]
    assert data["comments"][0].client.name == "王芳"
