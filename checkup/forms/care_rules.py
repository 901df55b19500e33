from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from checkup.forms import max_len, required


class RuleForm(FlaskForm):
    level = SelectField(_l("Level"), choices=[("A", "A"), ("B", "B"), ("C", "C")], validators=[required()])
    due_hours = IntegerField(
        _l("Due within (hours)"),
        validators=[
            InputRequired(message=_l("Enter a whole number of hours.")),
            NumberRange(min=1, max=24 * 365, message=_l("Enter a whole number of hours from 1 to %(max)s.")),
        ],
    )


class SnippetForm(FlaskForm):
    key = StringField(
        _l("Item code and direction"),
        validators=[required(), max_len(40)],
        description=_l("For example GLU:H (glucose high), TSH:L, US-LIVER:A (abnormal)."),
    )
    text_en = TextAreaField(_l("Advice (English)"), validators=[Optional(), max_len(2000)])
    text_zh = TextAreaField(_l("Advice (Chinese)"), validators=[Optional(), max_len(2000)])
