"""Forms for organizations and client records. Uniqueness and ID-number rules live in the services."""

import datetime
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, NumberRange, Optional, ValidationError

from checkup.core.labels import choices
from checkup.forms import max_len, required
from checkup.forms.auth import PHONE
from checkup.services.accounts.organizations import LONG_TEXT_MAX, MAX_EMPLOYEES, is_web_address

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """Trim, and drop control characters (PostgreSQL refuses NUL; none belongs in a record)."""
    return _CONTROL.sub("", value).strip() if isinstance(value, str) else value


def _email():
    return [Optional(), max_len(254), Email(message=_l("Enter a valid email address."), check_deliverability=False)]


def _phone():
    return [Optional(), max_len(30), PHONE]


def _web_address(form, field):
    if field.data and not is_web_address(field.data):
        raise ValidationError(_l("Enter a web address starting with http:// or https://."))


class SecretTextField(StringField):
    """A text input that never writes its value back into the page (national ID numbers)."""

    def _value(self):
        return ""


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), max_len(200)], filters=[clean_text])
    address = StringField(_l("Address"), validators=[max_len(300)], filters=[clean_text])
    phone = StringField(_l("Phone"), validators=_phone(), filters=[clean_text])
    fax = StringField(_l("Fax"), validators=_phone(), filters=[clean_text])
    website = StringField(
        _l("Website"),
        validators=[Optional(), max_len(200), _web_address],
        filters=[clean_text],
        description=_l("Starting with http:// or https://"),
    )
    email = EmailField(_l("Email"), validators=_email(), filters=[clean_text])
    manager = StringField(_l("Manager"), validators=[max_len(100)], filters=[clean_text])
    business_scope = TextAreaField(_l("Business scope"), validators=[max_len(LONG_TEXT_MAX)], filters=[clean_text])
    employee_count = IntegerField(
        _l("Number of employees"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_EMPLOYEES, message=_l("Enter a whole number from 0 to %(max)d.", max=MAX_EMPLOYEES)
            ),
        ],
        render_kw={"min": 0, "max": MAX_EMPLOYEES, "inputmode": "numeric"},
    )
    health_contact = StringField(
        _l("Health contact"),
        validators=[max_len(100)],
        filters=[clean_text],
        description=_l("The person who arranges checkups on the company's side"),
    )
    relationship_notes = TextAreaField(
        _l("Relationship notes"), validators=[max_len(LONG_TEXT_MAX)], filters=[clean_text]
    )
    size_tier = SelectField(_l("Size"), choices=choices("size_tier"), default="medium")
    value_tier = SelectField(_l("Value tier"), choices=choices("value_tier"), default="general")
    account_manager = StringField(_l("Account manager at the center"), validators=[max_len(100)], filters=[clean_text])

    def values(self):
        return {
            name: self[name].data
            for name in (
                "name",
                "address",
                "phone",
                "fax",
                "website",
                "email",
                "manager",
                "business_scope",
                "employee_count",
                "health_contact",
                "relationship_notes",
                "size_tier",
                "value_tier",
                "account_manager",
            )
        }


class ClientForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[required(), max_len(100)], filters=[clean_text])
    sex = SelectField(_l("Sex"), choices=[("", "—")] + choices("sex", ["male", "female"]), validators=[required()])
    birth_date = DateField(
        _l("Date of birth"),
        validators=[InputRequired(message=_l("This field is required."))],
        render_kw={"max": "2100-01-01"},
    )
    national_id = SecretTextField(
        _l("National ID number"),
        validators=[Optional(), max_len(30)],
        filters=[clean_text],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 30},
    )
    remove_national_id = BooleanField(_l("Remove the recorded ID number"))
    phone = StringField(_l("Phone"), validators=_phone(), filters=[clean_text])
    email = EmailField(_l("Email"), validators=_email(), filters=[clean_text])
    address = StringField(_l("Address"), validators=[max_len(300)], filters=[clean_text])
    occupation = StringField(_l("Occupation"), validators=[max_len(100)], filters=[clean_text])
    notes = TextAreaField(_l("Notes and hobbies"), validators=[max_len(LONG_TEXT_MAX)], filters=[clean_text])
    organization = SelectField(_l("Organization"), choices=[("", "—")], coerce=str, default="")
    employee_no = StringField(_l("Employee number"), validators=[max_len(50)], filters=[clean_text])
    department = StringField(_l("Company department"), validators=[max_len(100)], filters=[clean_text])
    value_tier = SelectField(_l("Value tier"), choices=choices("value_tier"), default="general")
    tags = StringField(
        _l("Tags"),
        validators=[max_len(300)],
        filters=[clean_text],
        description=_l("Separate tags with commas, e.g. diabetes, annual, VIP"),
    )

    def set_organizations(self, pairs):
        self.organization.choices = [("", "—")] + [(str(pk), name) for pk, name in pairs]
        return self

    def validate_birth_date(self, field):
        if field.data and not (datetime.date(1900, 1, 1) <= field.data <= datetime.date.today()):
            raise ValidationError(_l("Enter a real date of birth."))

    def values(self):
        data = {
            name: self[name].data
            for name in (
                "name",
                "sex",
                "birth_date",
                "national_id",
                "remove_national_id",
                "phone",
                "email",
                "address",
                "occupation",
                "notes",
                "employee_no",
                "department",
                "value_tier",
                "tags",
            )
        }
        chosen = self.organization.data or ""
        data["organization"] = int(chosen) if chosen.isascii() and chosen.isdigit() else None
        return data
