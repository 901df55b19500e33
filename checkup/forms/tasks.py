"""Forms of the admin's "Background work" page: retry (a button) and discard (a button with a reason)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from checkup.forms import max_len
from checkup.services.admin.task_overview import MAX_REASON, REASON_MISSING


class RetryTaskForm(FlaskForm):
    """Nothing to fill in: the form carries the CSRF token."""


class DiscardTaskForm(FlaskForm):
    reason = TextAreaField(_l("Why discard it"), validators=[DataRequired(message=REASON_MISSING), max_len(MAX_REASON)])
