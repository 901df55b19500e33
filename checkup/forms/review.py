"""Forms of the chief physician's review: summary and advice, sign-off, amendment; station conclusions and
their reopening."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Optional

from checkup.forms import max_len, required

TEXT_LIMIT = 5000
# "B: text" or "B：text" (a full-width colon, as typed with a Chinese keyboard): a finding with follow-up level B
LEVEL_PREFIX = re.compile(r"^\s*([ABCabc])\s*[:：]\s*(.*)$")


def observation_lines(text):
    """[(level or "", text)] of the observations field: one finding a line, an optional "A:", "B:" or "C:"."""
    found = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = LEVEL_PREFIX.match(line)
        found.append((match.group(1).upper(), match.group(2).strip()) if match else ("", line))
    return [(level, words) for level, words in found if words]


def observations_text(observations):
    """The observations field for the physician's findings already written, [(level or "", text)]: one a line,
    "B: text" or the text alone."""
    return "\n".join(f"{level}: {text}" if level else text for level, text in observations)


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
        description=_l(
            "One per line. Start a line with A:, B: or C: for a follow-up of that level; a line without one "
            "is a finding with no follow-up."
        ),
    )

    def observation_list(self):
        return observation_lines(self.observations.data)


class SignForm(ReportTextForm):
    summary = TextAreaField(_l("Summary"), validators=[required(), max_len(TEXT_LIMIT)], render_kw={"rows": 5})


class AmendForm(SignForm):
    reason = StringField(
        _l("Reason for the amendment (internal)"),
        validators=[required(), max_len(500)],
        description=_l("Required. For the center's records and the audit log; never shown to the client."),
    )
    # a real center tells the client why their report changed, in words written for them (更正说明)
    client_note = TextAreaField(
        _l("Note to the client"),
        validators=[required(), max_len(500)],
        render_kw={"rows": 2},
        description=_l(
            "Required. Printed on the amended report's cover next to the date, in words for the client "
            "(e.g. “Liver function re-tested; values corrected.”)."
        ),
    )


class StationConclusionForm(FlaskForm):
    text = TextAreaField(_l("Station conclusion"), validators=[Optional(), max_len(2000)], render_kw={"rows": 4})


# the reopen form's field as the review page prints it once per signed station (blueprints/exam/review_rows),
# without a form made for its label
REOPEN_REASON_LABEL = _l("Reason for reopening")
REOPEN_REASON_HINT = _l("Required. The station doctor sees it and the audit log keeps it.")


class ReopenForm(FlaskForm):
    reason = StringField(REOPEN_REASON_LABEL, validators=[required(), max_len(500)], description=REOPEN_REASON_HINT)
