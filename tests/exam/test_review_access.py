"""A chief physician reaches a checkup's review (page, draft, sign, amend) only through a relationship to it:
it waits in the review queue, or they claimed it with a draft, or they signed a version of it. A year-old
published report another chief physician signed — or an abandoned checkup out of the queue's window — is
behind the break-the-glass form, exactly as for a physician, and nothing about it is shown or written."""

import datetime

import pytest

from checkup.core import clock
from checkup.models import Appointment, AuditEvent, ChiefReview, Report, Result
from checkup.models.appointments import CHECKED_IN
from checkup.services.access import care_access
from checkup.services.exam import chief_review, report_review, review_queue
from tests import factories
from tests.factories import sign_in_directly
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    return world


def signed_in(app, user):
    http = app.test_client()
    sign_in_directly(http, user)
    return http


def other_chief():
    return factories.make_user("chief", email="chief2@example.com", name="钱主任")


def viewed_by(user):
    return AuditEvent.select().where(AuditEvent.action == "results.viewed", AuditEvent.user == user.id).count()


def year_old_published(world):
    """The checkup signed by the first chief physician, its appointment moved a year back."""
    report = chief_review.sign(world.actor(world.chief_user()), world.appointment.id, "总检结论", "建议")
    year_ago = clock.today() - datetime.timedelta(days=365)
    Appointment.update(day=year_ago).where(Appointment.id == world.appointment.id).execute()
    assert Report.get_by_id(report.id).status == "published"
    return report


def test_another_chief_gets_the_break_the_glass_form_for_a_year_old_report_and_nothing_else(app, world):
    report = year_old_published(world)
    stranger = other_chief()
    http = signed_in(app, stranger)
    glu = Result.get(Result.item == world.glu.id)
    answers = [
        http.get(f"/exam/review/{world.appointment.id}"),
        http.get(f"/exam/review/reports/{report.id}/amend"),
        http.post(
            f"/exam/review/reports/{report.id}/amend",
            data={"reason": "Look", "summary": "Changed", "advice": "", f"value-{glu.id}": "5.0"},
        ),
        http.post(f"/exam/review/{world.appointment.id}/draft", data={"summary": "Mine now"}),
        http.post(f"/exam/review/{world.appointment.id}/sign", data={"summary": "Mine now"}),
    ]
    for answer in answers:
        body = answer.get_data(as_text=True)
        assert answer.status_code == 403, body[:300]
        assert "No care relationship" in body
        assert world.client.name not in body and "25.1" not in body and "总检结论" not in body
    assert viewed_by(stranger) == 0
    assert Report.select().count() == 1 and Result.get_by_id(glu.id).value_text == "25.1"
    assert ChiefReview.select().count() == 0
    with pytest.raises(care_access.NoCareRelationship):
        report_review.review_for(world.actor(stranger), world.appointment.id)
    with pytest.raises(care_access.NoCareRelationship):
        chief_review.amend(world.actor(stranger), report.id, "Look", "Changed", "")

    # the chief physician who signed it still opens it, and it is audited
    own = signed_in(app, world.chief_user()).get(f"/exam/review/{world.appointment.id}")
    assert own.status_code == 200 and world.client.name in own.get_data(as_text=True)
    assert viewed_by(world.chief_user()) == 1

    # breaking the glass (a reason, audited, time-limited) opens it to the other chief physician
    opened = http.post(f"/access/clients/{world.client.id}/break-glass", data={"reason": "Second opinion"})
    assert opened.status_code == 303
    page = http.get(f"/exam/review/{world.appointment.id}")
    assert page.status_code == 200 and "25.1" in page.get_data(as_text=True)
    assert report_review.review_relationship(stranger, world.appointment) == "break_glass"
    assert viewed_by(stranger) == 1


def test_a_checkup_in_the_queue_is_open_to_every_chief_and_a_claim_keeps_it_open(app, world):
    stranger = other_chief()
    assert report_review.review_relationship(stranger, world.appointment) == "review_queue"
    assert signed_in(app, stranger).get(f"/exam/review/{world.appointment.id}").status_code == 200
    chief_review.save_draft(world.actor(stranger), world.appointment.id, "草稿", "")
    # a station reopens its conclusion: out of the queue, but the chief who claimed it keeps it
    from checkup.models import StationConclusion

    StationConclusion.update(status="draft").where(StationConclusion.department == world.glu.department_id).execute()
    assert report_review.review_relationship(stranger, world.appointment) == "review_claim"
    assert report_review.review_relationship(world.chief_user(), world.appointment) is None
    assert signed_in(app, world.chief_user()).get(f"/exam/review/{world.appointment.id}").status_code == 403


def test_an_abandoned_checkup_out_of_the_window_is_not_in_the_queue_nor_open(app, world):
    old = clock.today() - datetime.timedelta(days=review_queue.REVIEW_WINDOW_DAYS + 1)
    Appointment.update(day=old).where(Appointment.id == world.appointment.id).execute()
    assert Appointment.get_by_id(world.appointment.id).status == CHECKED_IN
    assert review_queue.ready_for_review() == []
    assert report_review.review_relationship(world.chief_user(), world.appointment) is None
    assert signed_in(app, world.chief_user()).get(f"/exam/review/{world.appointment.id}").status_code == 403
    edge = clock.today() - datetime.timedelta(days=review_queue.REVIEW_WINDOW_DAYS)
    Appointment.update(day=edge).where(Appointment.id == world.appointment.id).execute()
    assert [a.id for a in review_queue.ready_for_review()] == [world.appointment.id]
    page = signed_in(app, world.chief_user()).get("/exam/review")
    assert f"last {review_queue.REVIEW_WINDOW_DAYS} days" in page.get_data(as_text=True)


def test_a_missing_checkup_is_not_found_for_a_chief(app, world):
    http = signed_in(app, world.chief_user())
    assert http.get("/exam/review/987654").status_code == 404
    assert http.get("/exam/review/reports/987654/amend").status_code == 404
