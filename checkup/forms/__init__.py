"""WTForms classes: parsing and field-level messages. Business rules stay in services."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length


def required():
    return DataRequired(message=_l("This field is required."))


def max_len(n):
    return Length(max=n, message=_l("Use at most %(max)d characters."))


def apply_errors(form, error):
    """Put a service's field errors next to the fields; returns True if any were placed."""
    placed = False
    for name, message in error.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [message]
            placed = True
    return placed
