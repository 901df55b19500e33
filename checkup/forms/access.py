"""Break the glass (a reason to open a record without a care relationship) and its review."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from checkup.forms import max_len
from checkup.services.access.care_access import REASON_MAX


class BreakGlassForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you need to open this record?"),
        validators=[DataRequired(message=_l("Say why you need to open this record.")), max_len(REASON_MAX)],
    )
    next = HiddenField()


class ReviewAccessForm(FlaskForm):
    note = TextAreaField(_l("Review note (optional)"), validators=[max_len(500)])
