"""Forms of the follow-up worklist, referrals and the admin's assignment settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from checkup.forms import max_len, required
from checkup.models.care import CONTACT_CHANNELS, CONTACT_OUTCOMES
from checkup.services.care.followup_actions import CLOSING_OUTCOMES
from checkup.services.care.followup_assignment import ASSIGNMENT_MODES, MAX_UNREACHABLE_AFTER, MODE_LABELS
from checkup.services.care.followups import LABELS


def _choices(kind, codes):
    return [(code, LABELS[kind][code]) for code in codes]


class AttemptForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=_choices("channel", CONTACT_CHANNELS), validators=[required()])
    outcome = SelectField(_l("Outcome"), choices=_choices("contact_outcome", CONTACT_OUTCOMES), validators=[required()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), max_len(2000)])


class CloseForm(FlaskForm):
    outcome_code = SelectField(
        _l("Outcome"), choices=[("", "—")] + _choices("outcome_code", CLOSING_OUTCOMES), validators=[required()]
    )
    note = TextAreaField(_l("Closing note"), validators=[required(), max_len(500)])


class AssignForm(FlaskForm):
    """The assignee select; its choices (counselors, or the pool as "") are set by the view."""

    assignee = SelectField(_l("Assign to"), choices=[], validate_choice=False)


class ReferralForm(FlaskForm):
    target_kind = RadioField(
        _l("Refer to"),
        choices=_choices("target_kind", ("internal", "external")),
        default="internal",
        validators=[required()],
    )
    department = SelectField(_l("Department"), choices=[], coerce=str, validate_choice=False, validators=[Optional()])
    hospital = StringField(_l("Hospital"), validators=[Optional(), max_len(200)])
    hospital_department = StringField(_l("Hospital department"), validators=[Optional(), max_len(100)])
    reason = TextAreaField(_l("Reason"), validators=[required(), max_len(4000)])


class ScheduleForm(FlaskForm):
    scheduled_for = DateTimeLocalField(
        _l("Specialist appointment"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter the date and time of the specialist appointment."))],
    )


class OutcomeForm(FlaskForm):
    outcome = TextAreaField(_l("Outcome"), validators=[required(), max_len(4000)])


class DeclineForm(FlaskForm):
    outcome = TextAreaField(_l("Why it was declined (optional)"), validators=[Optional(), max_len(4000)])


class RecheckForm(FlaskForm):
    slot = IntegerField(_l("Time"), validators=[InputRequired(message=_l("Choose a time from the list."))])
    idempotency_key = HiddenField(validators=[Optional(), Length(max=64)])


class AssignmentSettingsForm(FlaskForm):
    mode = SelectField(
        _l("Assign new follow-ups"), choices=[(m, MODE_LABELS[m]) for m in ASSIGNMENT_MODES], validators=[required()]
    )
    unreachable_after = IntegerField(
        _l('Contact attempts before "unreachable" may close a follow-up'),
        validators=[
            InputRequired(message=_l("Enter a whole number.")),
            NumberRange(
                min=1,
                max=MAX_UNREACHABLE_AFTER,
                message=_l("Enter a whole number from 1 to %(max)s.", max=MAX_UNREACHABLE_AFTER),
            ),
        ],
    )


class StaffDepartmentForm(FlaskForm):
    user = SelectField(_l("Counselor"), choices=[], coerce=str, validate_choice=False, validators=[required()])
    department = SelectField(_l("Department"), choices=[], coerce=str, validate_choice=False, validators=[required()])
    is_head = BooleanField(_l("Heads this department"))
