from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Email, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from checkup.core.labels import ROLE_LABELS
from checkup.forms import max_len, required
from checkup.forms.auth import PHONE
from checkup.models.accounts import HR, STAFF_ROLES


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    return [(role, ROLE_LABELS[role]) for role in STAFF_ROLES + (HR,)]


class AccountForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[required(), max_len(100)])
    email = EmailField(
        _l("Email"),
        validators=[
            required(),
            max_len(254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE])
    roles = CheckboxList(_l("Roles"), choices=[], validate_choice=False)
    organization = SelectField(
        _l("Organization (HR contacts only)"), choices=[], coerce=str, validators=[Optional()], validate_choice=False
    )


class RolesForm(FlaskForm):
    roles = CheckboxList(_l("Roles"), choices=[], validate_choice=False)
    organization = SelectField(
        _l("Organization (HR contacts only)"), choices=[], coerce=str, validators=[Optional()], validate_choice=False
    )
