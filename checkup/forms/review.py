"""Forms of the chief physician's review: summary and advice, sign-off, amendment."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional

from checkup.forms import max_len, required

TEXT_LIMIT = 5000


class ReportTextForm(FlaskForm):
    """A draft: summary and advice may still be empty."""

    summary = TextAreaField(_l("Summary"), validators=[Optional(), max_len(TEXT_LIMIT)], render_kw={"rows": 5})
    advice = TextAreaField(
        _l("Advice"),
        validators=[Optional(), max_len(TEXT_LIMIT)],
        render_kw={"rows": 8},
        description=_l("Pre-filled from the advice library for the abnormal results; edit freely."),
    )
    observations = TextAreaField(
        _l("Physician's observations"),
        validators=[Optional(), max_len(TEXT_LIMIT)],
        render_kw={"rows": 3},
        description=_l("One per line. Each becomes a finding with a follow-up."),
    )

    def observation_list(self):
        return [line.strip() for line in (self.observations.data or "").splitlines() if line.strip()]


class SignForm(ReportTextForm):
    summary = TextAreaField(_l("Summary"), validators=[required(), max_len(TEXT_LIMIT)], render_kw={"rows": 5})


class AmendForm(SignForm):
    reason = StringField(
        _l("Reason for the amendment"),
        validators=[required(), max_len(500)],
        description=_l("Required. The client is told that the report was amended."),
    )
