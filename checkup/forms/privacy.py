"""The privacy page's forms: consent checkboxes (also on the manage link; never ticked unless consent is in
force), and the requests to correct or delete one's data. Rules are in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField

from checkup.models.care import CONSENT_PURPOSES
from checkup.services.accounts.consents import PURPOSE_LABELS, SOURCE_LABELS, STAFF_SOURCES
from checkup.services.privacy.data_rights import DETAILS_MAX, FIELD_LABELS


class ConsentForm(FlaskForm):
    service_reminders = BooleanField(PURPOSE_LABELS["service_reminders"], default=False)
    marketing_email = BooleanField(PURPOSE_LABELS["marketing_email"], default=False)
    health_targeting = BooleanField(PURPOSE_LABELS["health_targeting"], default=False)

    def answers(self):
        return {purpose: bool(getattr(self, purpose).data) for purpose in CONSENT_PURPOSES}

    @classmethod
    def for_client(cls, answers_in_force):
        """A form showing the answers in force; a purpose never asked is unticked."""
        return cls(formdata=None, data={p: bool(answers_in_force.get(p)) for p in CONSENT_PURPOSES})


class StaffConsentForm(ConsentForm):
    """What a client told our staff, recorded on the client's page with how they said it."""

    source = RadioField(
        _l("How did the client give these answers?"),
        choices=[(s, SOURCE_LABELS[s]) for s in STAFF_SOURCES],
        validate_choice=False,
    )
    version = HiddenField()  # consents.answers_version when the page was shown
    confirmed = BooleanField(
        _l("The client gave these answers themselves (signed form, at the desk or on the phone)"), default=False
    )

    def seen_version(self):
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() and len(text) < 19 else -1


class CorrectionForm(FlaskForm):
    field = SelectField(_l("What is wrong?"), choices=[("", "—")] + list(FIELD_LABELS.items()), validate_choice=False)
    details = TextAreaField(
        _l("What is wrong, and what should it be?"),
        render_kw={"maxlength": DETAILS_MAX, "rows": 5},
        description=_l("For example: my phone number is 139 1234 5678, not 138 1234 5678."),
    )


class DeletionForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), render_kw={"maxlength": DETAILS_MAX, "rows": 3})
    confirmed = BooleanField(
        _l("I understand what is deleted and what is kept, and I want my data deleted."), default=False
    )
