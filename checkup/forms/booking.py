from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from checkup.forms import max_len, required

CANCEL_REASONS = [
    ("", "—"),
    ("schedule", _l("My schedule changed")),
    ("ill", _l("I am unwell")),
    ("elsewhere", _l("I will have the checkup elsewhere")),
    ("price", _l("The price")),
    ("other", _l("Another reason")),
]


class ConfirmForm(FlaskForm):
    slot = IntegerField(validators=[InputRequired(message=_l("Choose a time from the list."))])
    idempotency_key = HiddenField(validators=[Optional(), Length(max=64)])


class CancelForm(FlaskForm):
    reason = SelectField(_l("Why are you cancelling?"), choices=CANCEL_REASONS, validators=[required()])
    details = TextAreaField(_l("Anything else we should know? (optional)"), validators=[Optional(), max_len(250)])

    def reason_text(self):
        label = dict(CANCEL_REASONS).get(self.reason.data, self.reason.data)
        return f"{label}: {self.details.data}" if self.details.data else str(label)


class RescheduleForm(FlaskForm):
    slot = IntegerField(validators=[InputRequired(message=_l("Choose a time from the list."))])


class WaitlistForm(FlaskForm):
    day = HiddenField(validators=[required()])


class ClaimForm(FlaskForm):
    """Only the CSRF token: claiming an offer needs no other input."""


class StaffCancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[required(), max_len(300)])


class DeskBookingForm(FlaskForm):
    package = SelectField(_l("Package"), choices=[], validators=[required()], validate_choice=True)
    day = DateField(_l("Day"), validators=[Optional()])
    slot = IntegerField(_l("Time"), validators=[InputRequired(message=_l("Choose a time from the list."))])
    idempotency_key = HiddenField(validators=[Optional(), Length(max=64)])
    # add-on modules by code; the booking service checks them (eligibility, the package's own items)
    addons = SelectMultipleField(_l("Add-on modules"), choices=[], validate_choice=False)
    allow_second = BooleanField(
        _l("Book a second checkup"),
        description=_l("Only when the client asks for it: they already have an upcoming checkup. This is logged."),
    )
