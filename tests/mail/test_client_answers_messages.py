"""The staff client page reads the client's consent answers and latest messages in one statement
(messages.client_answers_and_messages): the same answers as consents.latest_rows and the same messages as
messages.client_messages, field for field, and the page prints them as before."""

import datetime

import pytest

from checkup.models import Message
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.mail import messages
from tests.factories import make_client, make_user, sign_in_directly

pytestmark = pytest.mark.both_dbs

RETRY = datetime.datetime(2026, 3, 4, 5, 6, 7)


def _message(person, number, status="sent", retry_at=None):
    return Message.create(
        client=person.id,
        kind=("reenrollment", "survey", "campaign")[number % 3],
        dedupe_key=f"test-{person.id}-{number}",
        email="someone@example.com",
        subject=f"Subject <{number}> & more",
        status=status,
        retry_at=retry_at,
    )


def _same(person):
    answers, sent = messages.client_answers_and_messages(person.id)
    old_answers, old_sent = consents.latest_rows(person.id), messages.client_messages(person.id)
    assert list(answers) == list(old_answers)
    for purpose, row in old_answers.items():
        if row is None:
            assert answers[purpose] is None
        else:
            assert answers[purpose] == (row.id, row.purpose, row.granted, row.at)
            assert isinstance(answers[purpose].granted, bool) and isinstance(answers[purpose].at, datetime.datetime)
    assert [tuple(m) for m in sent] == [(m.id, m.kind, m.subject, m.status, m.created_at, m.retry_at) for m in old_sent]
    return answers, sent


def test_a_client_without_answers_or_messages(app):
    answers, sent = _same(make_client(name="Nobody"))
    assert set(answers.values()) == {None} and sent == []
    assert messages.client_answers_and_messages(0) == (dict.fromkeys(answers), [])


def test_the_latest_answer_of_each_purpose_and_the_latest_messages(app):
    person = make_client(name="Many")
    consents.record(None, person.id, SERVICE_REMINDERS, True, "staff")
    consents.record(None, person.id, MARKETING_EMAIL, True, "staff")
    consents.record(None, person.id, MARKETING_EMAIL, False, "unsubscribe_link")
    consents.record(None, person.id, SERVICE_REMINDERS, False, "staff")
    consents.record(None, person.id, SERVICE_REMINDERS, True, "staff")
    for number in range(messages.CLIENT_MESSAGES_SHOWN + 5):
        _message(person, number)
    _message(person, 100, "failed", RETRY)
    _message(person, 101, "failed")
    _message(make_client(name="Other"), 102)
    answers, sent = _same(person)
    assert answers[SERVICE_REMINDERS].granted is True and answers[MARKETING_EMAIL].granted is False
    assert answers[HEALTH_TARGETING] is None
    assert len(sent) == messages.CLIENT_MESSAGES_SHOWN and sent[0].subject == "Subject <101> & more"
    assert sent[1].retry_at == RETRY


def test_the_page_prints_them(app, client):
    person = make_client(name="Page")
    consents.record(None, person.id, MARKETING_EMAIL, False, "staff")
    _message(person, 1, "failed", RETRY)
    _message(person, 2, "failed")
    sign_in_directly(client, make_user("counselor"))
    page = client.get(f"/directory/clients/{person.id}").get_data(as_text=True)
    section = page.split('id="messages-heading"')[1].split("</section>")[0]
    rows = section.split("<tbody>")[1].split("</tr>")
    assert "Subject &lt;2&gt; &amp; more" in rows[0] and "not tried again" in rows[0]
    assert "Subject &lt;1&gt; &amp; more" in rows[1] and "next try" in rows[1]
    choices = page.split('id="consents-heading"')[1].split("</section>")[0]
    assert choices.count("Withdrawn") == 1 and choices.count("Not given") == 2
