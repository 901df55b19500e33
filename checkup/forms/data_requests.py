"""Forms of the staff queue of data requests: "done" with a note, "refuse" with a reason (both required,
checked by the service)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from checkup.services.privacy.data_rights import NOTE_MAX


class CompleteRequestForm(FlaskForm):
    note = TextAreaField(_l("What was done (the client reads this)"), render_kw={"maxlength": NOTE_MAX, "rows": 4})


class RefuseRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is refused (the client reads this)"), render_kw={"maxlength": NOTE_MAX, "rows": 4}
    )
