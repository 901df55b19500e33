import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from checkup.core.labels import choices
from checkup.core.passwords import MAX_LENGTH, MIN_LENGTH
from checkup.forms import max_len, required

PHONE = Regexp(r"^\+?[0-9][0-9 \-]{6,19}$", message=_l("Enter a phone number, digits only (e.g. 13800138000)."))


def _email():
    return [required(), max_len(254), _email_address]


def _email_address(form, field):
    """A well-formed address; the reserved `test` domain only where the config allows it (the demo)."""
    Email(
        message=_l("Enter a valid email address."),
        check_deliverability=False,
        test_environment=current_app.config.get("ALLOW_TEST_EMAIL_DOMAINS", False),
    )(form, field)


def _new_password():
    return [required(), Length(min=MIN_LENGTH, max=MAX_LENGTH, message=_l("Use %(min)d to %(max)d characters."))]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[required(), max_len(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_len(MAX_LENGTH)])


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[required(), max_len(100)])
    email = EmailField(_l("Email"), validators=_email())
    phone = StringField(_l("Mobile phone"), validators=[required(), PHONE])
    sex = SelectField(_l("Sex"), choices=[("", "—")] + choices("sex", ["male", "female"]), validators=[required()])
    birth_date = DateField(
        _l("Date of birth"),
        validators=[InputRequired(message=_l("This field is required."))],
        render_kw={"max": "2100-01-01"},
    )
    password = PasswordField(
        _l("Password"), validators=_new_password(), description=_l("At least %(n)d characters.", n=MIN_LENGTH)
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords do not match."))],
    )
    # optional consents: never ticked in advance; only a ticked box is recorded
    consent_service_reminders = BooleanField(_l("Remind me by email when my yearly checkup is due"), default=False)
    consent_marketing_email = BooleanField(
        _l("Send me the health newsletter, lecture invitations and seasonal offers by email"), default=False
    )

    def consent_answers(self):
        """{purpose: True} for each box ticked (an unticked box records nothing)."""
        return {
            purpose: True
            for purpose in ("service_reminders", "marketing_email")
            if getattr(self, f"consent_{purpose}").data
        }

    def validate_birth_date(self, field):
        if field.data and not (datetime.date(1900, 1, 1) <= field.data <= datetime.date.today()):
            raise ValidationError(_l("Enter a real date of birth."))


class ConfirmRegistrationForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[required(), max_len(MAX_LENGTH)],
        description=_l("The password you chose when registering."),
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=_email())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=_new_password(), description=_l("At least %(n)d characters.", n=MIN_LENGTH)
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords do not match."))],
    )


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[required(), max_len(100)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), PHONE])
    locale = SelectField(
        _l("Language"),
        choices=[("", _l("Same as my browser")), ("en", "English"), ("zh", "简体中文")],
        validators=[Optional()],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), max_len(MAX_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=_new_password())
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[required(), EqualTo("new_password", message=_l("The two passwords do not match."))],
    )
