"""The staff consents page reads the answers in force from the history's newest rows (consents.answers_and_history):
the same answers as consents.latest_rows and the same history as consents.history, in one statement while the
history is not capped; a capped history still gets latest_rows' own answers."""

import pytest

from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from tests.factories import make_client

pytestmark = pytest.mark.both_dbs


def _fields(row):
    return None if row is None else (row.id, row.purpose, row.granted, row.at, row.source, row.recorded_by_id)


def _same(client_id, limit):
    answers, history = consents.answers_and_history(client_id, limit)
    old = consents.latest_rows(client_id)
    assert list(answers) == list(old)
    assert {p: _fields(r) for p, r in answers.items()} == {p: _fields(r) for p, r in old.items()}
    assert [_fields(r) for r in history] == [_fields(r) for r in consents.history(client_id, limit)]
    assert consents.version_of(answers) == consents.answers_version(client_id)
    return answers, history


def _answer(person, purpose, granted):
    assert consents.record(None, person.id, purpose, granted, "staff")


def test_no_answers(app):
    answers, history = _same(make_client(name="Nobody").id, 200)
    assert set(answers.values()) == {None} and history == []


@pytest.mark.parametrize("limit", [200, 6, 5, 3, 1])
def test_the_answers_in_force_with_a_whole_or_capped_history(app, limit):
    person = make_client(name="Many")
    other = make_client(name="Other")
    _answer(person, HEALTH_TARGETING, True)  # the oldest: left out of a history capped at 5 or fewer
    _answer(other, HEALTH_TARGETING, True)
    for granted in (True, False, True):
        _answer(person, MARKETING_EMAIL, granted)
    _answer(person, SERVICE_REMINDERS, True)
    _answer(person, MARKETING_EMAIL, False)
    answers, history = _same(person.id, limit)
    assert answers[HEALTH_TARGETING].granted is True and answers[MARKETING_EMAIL].granted is False
    assert answers[SERVICE_REMINDERS].granted is True
    assert len(history) == min(limit, 6)
