"""The public survey page (no sign-in, accessible radio groups, 404/410) and the counselors' dashboard."""

import datetime
import re

import pytest

from checkup.core import clock
from checkup.models import FollowUp, Survey
from tests import factories
from tests.report_helpers import ReportWorld
from tests.survey_helpers import answered, sent_survey

FIELDS = ("overall", "booking", "front_desk", "stations", "report_clarity", "staff_attitude")


@pytest.fixture
def world(app):
    return ReportWorld()


def test_the_survey_page_works_signed_out_with_a_labelled_radio_group_per_score(app, client, world, outbox):
    _survey, token = sent_survey(world, outbox)
    traded = client.get(f"/survey/{token}")  # the token leaves the address at once: kept in the session
    assert traded.status_code == 303 and traded.headers["Location"] == "/survey"
    response = client.get("/survey")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert token not in html and 'action="/survey"' in html
    assert html.count("<h1>") == 1 and "How was your checkup?" in html
    assert html.count("<fieldset") == len(FIELDS) and html.count("<legend>") == len(FIELDS)
    for name in FIELDS:
        for score in range(1, 6):
            assert (
                f'<label for="{name}-{score}"><input type="radio" id="{name}-{score}" name="{name}" '
                f'value="{score}"' in html
            )
    assert '<label for="comment">' in html and 'id="comment"' in html and 'maxlength="2000"' in html
    assert 'name="csrf_token"' in html and "<script>" not in html and "style=" not in html
    assert world.appointment.exam_code not in html and "25.1" not in html  # nothing private on a link page


def test_answering_thanks_the_client_and_the_link_then_answers_410(app, client, world, outbox):
    survey, token = sent_survey(world, outbox)
    client.get(f"/survey/{token}")
    response = client.post("/survey", data={"overall": "5", "booking": "4", "comment": "Great"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/survey/thanks")
    assert "Thank you" in client.get("/survey/thanks").get_data(as_text=True)
    assert Survey.get_by_id(survey.id).overall == 5
    used = client.get(f"/survey/{token}")
    assert used.status_code == 410 and "already been answered" in used.get_data(as_text=True)
    again = client.post("/survey", data={"overall": "1"})  # the session no longer holds it
    assert again.status_code == 404 and Survey.get_by_id(survey.id).overall == 5


def test_bad_answers_come_back_422_with_the_message_by_the_question_and_nothing_saved(app, client, world, outbox):
    survey, token = sent_survey(world, outbox)
    client.get(f"/survey/{token}")
    response = client.post("/survey", data={"overall": "9", "booking": "2", "comment": "x" * 2001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="overall-error"' in html and 'id="overall-error"' in html
    assert 'id="comment-error"' in html and "booking-error" not in html
    assert 'id="booking-2" name="booking" value="2" checked' in html  # what the client chose is kept
    assert Survey.get_by_id(survey.id).answered_at is None


@pytest.mark.parametrize("token", ["no-such-token", "x" * 300, "%00"])
def test_an_unknown_link_is_a_404(app, client, token):
    assert client.get(f"/survey/{token}").status_code in (400, 404)
    assert client.post("/survey", data={"overall": "5"}).status_code == 404  # nothing was kept


def test_an_expired_link_is_a_410(app, client, world, outbox, monkeypatch):
    survey, token = sent_survey(world, outbox)
    assert client.get(f"/survey/{token}").status_code == 303
    later = clock.now() + datetime.timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.get(f"/survey/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert client.post("/survey", data={"overall": "5"}).status_code == 410  # the kept token, checked again
    assert Survey.get_by_id(survey.id).answered_at is None


def test_a_low_score_appears_on_the_dashboard_with_its_follow_up(app, client, world, outbox):
    _survey, token = sent_survey(world, outbox)
    client.get(f"/survey/{token}")
    client.post("/survey", data={"overall": "2", "staff_attitude": "1", "comment": "Nobody listened"})
    follow_up = FollowUp.get(FollowUp.kind == "service")
    counselor = factories.make_user("counselor")
    factories.sign_in_directly(client, counselor)
    response = client.get("/care/surveys")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nobody listened" in html and "王芳" in html  # staff see who said what
    assert "Overall 2/5, Staff attitude 1/5" in html
    assert f"Level {follow_up.level}, due" in html
    assert re.search(r'<th scope="row">Overall</th>\s*<td class="num">2.00</td>', html)
    assert "<svg" in html and 'aria-hidden="true"' in html and "style=" not in html


def test_the_dashboard_page_runs_a_fixed_number_of_queries(app, client, world, count_queries):
    factories.sign_in_directly(client, factories.make_user("counselor"))
    now = clock.now().astimezone(datetime.UTC).replace(tzinfo=None)
    answered(world, now - datetime.timedelta(days=3), 2, comment="Slow")
    with count_queries() as few:
        assert client.get("/care/surveys").status_code == 200
    for day in range(4, 14):
        answered(world, now - datetime.timedelta(days=day), 1 + day % 5, comment=f"Comment {day}")
    with count_queries() as many:
        assert client.get("/care/surveys").status_code == 200
    assert many.count == few.count


def test_the_dashboard_is_for_client_care_and_admins(app, client, world):
    factories.sign_in_directly(client, factories.make_user("scheduler"))
    assert client.get("/care/surveys").status_code == 403
    factories.sign_in_directly(client, factories.make_user("admin"))
    assert client.get("/care/surveys").status_code == 200


def test_a_page_left_open_for_one_link_cannot_answer_the_survey_of_a_link_opened_later(app, client, world, outbox):
    first, first_token = sent_survey(world, outbox)
    second, second_token = sent_survey(world, outbox)
    client.get(f"/survey/{first_token}")
    stale = re.search(r'name="link" value="([0-9a-f]+)"', client.get("/survey").get_data(as_text=True)).group(1)
    client.get(f"/survey/{second_token}")  # another tab: the session now holds the second link
    refused = client.post("/survey", data={"link": stale, "overall": "1"})
    assert refused.status_code == 404 and Survey.get_by_id(second.id).answered_at is None
    fresh = re.search(r'name="link" value="([0-9a-f]+)"', client.get("/survey").get_data(as_text=True)).group(1)
    assert client.post("/survey", data={"link": fresh, "overall": "4"}).status_code == 303
    assert Survey.get_by_id(second.id).overall == 4 and Survey.get_by_id(first.id).answered_at is None
