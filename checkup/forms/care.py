"""Forms of the care and management screens that belong to no single worklist."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from checkup.forms import max_len


class RenewalDoneForm(FlaskForm):
    note = TextAreaField(
        _l("What was agreed"),
        validators=[InputRequired(message=_l("Write what was agreed with the company.")), max_len(1000)],
    )


class RunReenrollmentForm(FlaskForm):
    """Just the CSRF token: sending now is one button."""
