"""The campaign form: the message and its segment. Existence and consent rules live in the services."""

import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from checkup.core.labels import choices
from checkup.forms import max_len, required
from checkup.forms.directory import clean_text
from checkup.models.directory import VALUE_TIERS
from checkup.services.care.campaign_segments import LAST_EXAM_LABELS, LAST_EXAM_MODES, MAX_AGE
from checkup.services.care.campaigns import BODY_MAX, KIND_LABELS, KINDS

SEGMENT_FIELDS = (
    "age_min",
    "age_max",
    "sex",
    "organization_id",
    "value_tiers",
    "last_exam",
    "last_exam_date",
    "tags",
    "finding_item_id",
)
MESSAGE_FIELDS = ("name", "kind", "subject", "body")


def _age(label):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_AGE, message=_l("Enter a whole number from %(low)d to %(high)d.", low=0, high=MAX_AGE)
            ),
        ],
        render_kw={"min": 0, "max": MAX_AGE, "inputmode": "numeric"},
    )


class CampaignForm(FlaskForm):
    name = StringField(
        _l("Campaign name"),
        validators=[required(), max_len(200)],
        filters=[clean_text],
        description=_l("For the staff only; clients see the subject."),
    )
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS], default="newsletter")
    subject = StringField(_l("Email subject"), validators=[required(), max_len(200)], filters=[clean_text])
    body = TextAreaField(
        _l("Email text"),
        validators=[required(), max_len(BODY_MAX)],
        filters=[clean_text],
        description=_l(
            "Plain text. A link to manage email preferences and unsubscribe is added at the end of every message."
        ),
        render_kw={"rows": 10},
    )
    age_min = _age(_l("Age from"))
    age_max = _age(_l("Age up to"))
    sex = SelectField(_l("Sex"), choices=[("", _l("Any"))] + choices("sex", ["male", "female"]), default="")
    organization_id = SelectField(_l("Organization"), choices=[], default="", validate_choice=False)
    value_tiers = SelectMultipleField(
        _l("Value tier"), choices=choices("value_tier", list(VALUE_TIERS)), validate_choice=False
    )
    last_exam = SelectField(_l("Last checkup"), choices=[(m, LAST_EXAM_LABELS[m]) for m in LAST_EXAM_MODES], default="")
    last_exam_date = DateField(
        _l("Compared with the date"), validators=[Optional()], render_kw={"min": "1900-01-01", "max": "2100-12-31"}
    )
    tags = StringField(
        _l("Tags (any of)"),
        validators=[max_len(300)],
        filters=[clean_text],
        description=_l("Separate tags with commas; a client with any of them matches."),
    )
    finding_item_id = SelectField(
        _l("Finding in the latest report on"),
        choices=[],
        default="",
        validate_choice=False,
        description=_l("Only clients who agreed to offers chosen using their findings can match this."),
    )

    def set_choices(self, organizations, items):
        """``organizations``: (id, name) pairs; ``items``: (id, label) pairs."""
        self.organization_id.choices = [("", _l("Any"))] + [(str(i), name) for i, name in organizations]
        self.finding_item_id.choices = [("", _l("No health criterion"))] + [(str(i), label) for i, label in items]

    def message_values(self):
        return {name: getattr(self, name).data for name in MESSAGE_FIELDS}

    def segment_values(self):
        return {name: getattr(self, name).data for name in SEGMENT_FIELDS}

    @classmethod
    def for_campaign(cls, campaign, segment):
        data = {name: getattr(campaign, name) for name in MESSAGE_FIELDS}
        if segment:
            data.update(segment)
            data["tags"] = ", ".join(segment["tags"])
            data["organization_id"] = str(segment["organization_id"] or "")
            data["finding_item_id"] = str(segment["finding_item_id"] or "")
            data["last_exam_date"] = (
                datetime.date.fromisoformat(segment["last_exam_date"]) if segment["last_exam_date"] else None
            )
        return cls(formdata=None, data=data)
