"""The one form round trip every form view uses (checkup/web/form_round_trip.py)."""

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.web.form_round_trip import submit


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired()])


def _round_trip(app, method, data, action, **kwargs):
    with app.test_request_context("/", method=method, data=data):
        form = NameForm()
        return form, submit(form, action, **kwargs)


def test_a_form_shown_for_the_first_time_calls_nothing_and_answers_200(app):
    called = []
    form, outcome = _round_trip(app, "GET", None, lambda: called.append(1))
    assert (outcome.submitted, outcome.done, outcome.status, called) == (False, False, 200, [])
    assert not outcome.invalid and form.errors == {}


def test_a_form_that_does_not_parse_never_reaches_the_service(app):
    called = []
    form, outcome = _round_trip(app, "POST", {"name": ""}, lambda: called.append(1))
    assert outcome.invalid and outcome.status == 422 and called == []
    assert "name" in form.errors


def test_an_accepted_submission_carries_the_service_result(app):
    form, outcome = _round_trip(app, "POST", {"name": "Lin"}, lambda: {"saved": form_name()})
    assert outcome.done and outcome.status == 200 and outcome.result == {"saved": "Lin"}


def form_name():
    return NameForm().name.data


def test_a_field_refusal_lands_beside_its_field_and_leaves_no_form_message(app):
    def refuse():
        raise ValidationError("Fix the marked fields.", {"name": "This name is taken."})

    form, outcome = _round_trip(app, "POST", {"name": "Lin"}, refuse)
    assert form.name.errors == ["This name is taken."]
    assert outcome.form_error is None and outcome.status == 422 and not outcome.done and not outcome.invalid


def test_a_refusal_no_field_owns_becomes_the_form_message(app):
    def refuse():
        raise ValidationError("The day is full.", {"unknown_field": "x"})

    form, outcome = _round_trip(app, "POST", {"name": "Lin"}, refuse)
    assert outcome.form_error == "The day is full." and form.name.errors == []


def test_only_the_listed_refusals_are_placed_others_go_on_to_the_error_pages(app):
    def conflict():
        raise Conflict("Changed meanwhile.")

    _, outcome = _round_trip(app, "POST", {"name": "Lin"}, conflict, refusals=(ValidationError, Conflict))
    assert outcome.form_error == "Changed meanwhile." and outcome.status == 422
    with pytest.raises(NotFound):
        _round_trip(app, "POST", {"name": "Lin"}, lambda: (_ for _ in ()).throw(NotFound("gone")))
    with pytest.raises(Conflict):
        _round_trip(app, "POST", {"name": "Lin"}, conflict)
