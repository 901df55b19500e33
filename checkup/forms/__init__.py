"""WTForms classes: parsing and field-level messages. Business rules stay in services."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length

# re-exported: it lives with the form round trip (checkup/web/form_round_trip.py)
from checkup.web.form_round_trip import apply_errors as apply_errors


def required():
    return DataRequired(message=_l("This field is required."))


def max_len(n):
    return Length(max=n, message=_l("Use at most %(max)d characters."))
