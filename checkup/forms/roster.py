"""The roster upload form (the commit and discard buttons need only the CSRF token CSRFProtect checks)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("Roster file (CSV or XLSX)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        render_kw={"accept": ACCEPT},
    )  # the hint (columns, limits) comes from the page
