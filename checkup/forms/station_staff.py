"""The admin's form that puts a physician at a station (catalog → physicians at stations)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from checkup.core.i18n import localized
from checkup.forms import required


class StationStaffForm(FlaskForm):
    physician = SelectField(_l("Physician"), choices=[], validate_choice=False, validators=[required()])
    station = SelectField(_l("Station"), choices=[], validate_choice=False, validators=[required()])


def station_staff_form(listed, stations, form=None):
    """``form`` (or an empty one) offering the listed physicians (a counselor too is changed elsewhere) and
    the stations: the page's own rows, so the choices cost no query of their own."""
    form = form or StationStaffForm(formdata=None)
    chief = _l("Chief physician")
    form.physician.choices = [("", "—")] + [
        (
            str(row.physician.id),
            f"{row.physician.name} <{row.physician.email}>" + (f" · {chief}" if row.is_chief else ""),
        )
        for row in listed
        if not row.is_counselor
    ]
    form.station.choices = [("", "—")] + [(str(s.id), f"{s.code} · {localized(s)}") for s in stations]
    return form
