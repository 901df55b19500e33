"""Consultation forms: parsing and rendering only; every rule (ownership, lengths, times) is in the service,
so another client's report answers 404 whatever else the form holds."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField

from checkup.services.care.consultations import MAX_NOTES, MAX_PREFERRED, MAX_QUESTION, MAX_REASON, MODE_LABELS, MODES


class RequestForm(FlaskForm):
    report = SelectField(_l("Report to discuss"), choices=[], validate_choice=False)
    mode = RadioField(
        _l("How would you like to talk?"),
        choices=[(m, MODE_LABELS[m]) for m in MODES],
        validate_choice=False,
        default="phone",
    )
    preferred_times = StringField(
        _l("When suits you?"),
        render_kw={"maxlength": MAX_PREFERRED},
        description=_l("For example: weekday mornings, or Tuesday after 3 pm."),
    )
    question = TextAreaField(_l("Your question"), render_kw={"maxlength": MAX_QUESTION, "rows": 5})


class ScheduleForm(FlaskForm):
    physician = SelectField(_l("Physician"), choices=[], validate_choice=False)
    scheduled_at = StringField(_l("Date and time (center time)"), render_kw={"type": "datetime-local"})


class CompleteForm(FlaskForm):
    notes = TextAreaField(_l("Notes (kept on the client's record)"), render_kw={"maxlength": MAX_NOTES, "rows": 6})


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), render_kw={"maxlength": MAX_REASON})


class ClientCancelForm(FlaskForm):
    """Only the CSRF token: the client cancels their own request."""
