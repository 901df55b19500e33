"""The client's form for joining an earlier record to the account made from an invitation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length

from checkup.forms import required


class EarlierRecordForm(FlaskForm):
    birth_date = DateField(
        _l("Date of birth"),
        validators=[InputRequired(message=_l("This field is required."))],
        render_kw={"max": "2100-01-01"},
    )
    id_last4 = StringField(
        _l("Last 4 characters of your ID number"),
        validators=[required(), Length(min=4, max=4, message=_l("Enter exactly 4 characters."))],
        render_kw={"autocomplete": "off", "inputmode": "text", "maxlength": "4"},
        description=_l("As on the ID card you showed at the center before, such as 123X."),
    )
