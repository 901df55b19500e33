"""Exam station forms: the instrument import upload, a conflict's choice, acknowledging a critical alert."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf

from checkup.forms import max_len


class InstrumentImportForm(FlaskForm):
    file = FileField(
        _l("Analyser CSV export"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        render_kw={"accept": ".csv,text/csv"},
        description=_l("Columns: exam_code, item_code, value, unit, time. At most 20,000 rows and 2 MB."),
    )


class AcknowledgeForm(FlaskForm):
    note = StringField(_l("Note (action taken)"), validators=[max_len(500)])
    next = HiddenField()


class ResolveConflictForm(FlaskForm):
    """The station doctor's choice for an instrument value that differs from the entered one (the choice
    comes from the button pressed: keep | take)."""

    choice = HiddenField(
        validators=[
            AnyOf(("keep", "take"), message=_l("Choose to keep the entered value or to take the instrument value."))
        ]
    )
    next = HiddenField()
