"""The consent checkboxes of the privacy page and of the manage link (never ticked unless consent is in force)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField

from checkup.models.care import CONSENT_PURPOSES
from checkup.services.consents import PURPOSE_LABELS, SOURCE_LABELS, STAFF_SOURCES


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

    source = RadioField(_l("How did the client give these answers?"),
                        choices=[(s, SOURCE_LABELS[s]) for s in STAFF_SOURCES], validate_choice=False)
    version = HiddenField()  # consents.answers_version when the page was shown
    confirmed = BooleanField(_l("The client gave these answers themselves (signed form, at the desk or on the phone)"),
                             default=False)

    def seen_version(self):
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() and len(text) < 19 else -1
