"""Forms for group contracts, their categories and reserved places. The rules live in the services
(``contracts``, ``contract_categories``, ``contract_reservations``); these parse and label."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField
from wtforms.validators import InputRequired, Optional

from checkup.forms import required
from checkup.forms.catalog import FALSE_VALUES, NumberField, NumberRequired, text
from checkup.models import ContractCategory, GroupContract
from checkup.services.groups.contract_categories import AGE_LIMIT, POSITION_LIMIT
from checkup.services.groups.contract_reservations import MAX_PLACES
from checkup.services.groups.contracts import FIRST_YEAR, LAST_YEAR, MAX_RELEASE_DAYS, NOTES_LIMIT

SEX_CHOICES = [("", _l("Any")), ("male", _l("Male")), ("female", _l("Female"))]


def _date(label, **kwargs):
    return DateField(
        label,
        validators=[InputRequired(message=_l("This field is required."))],
        render_kw={"min": f"{FIRST_YEAR}-01-01", "max": f"{LAST_YEAR}-12-31"},
        **kwargs,
    )


def _percent(label, **kwargs):
    return NumberField(label, [NumberRequired()], places=2, minimum=0, maximum=100, default=0, **kwargs)


def _notes():
    return text(
        _l("Notes"),
        limit=NOTES_LIMIT,
        area=True,
        description=_l("Terms agreed with the company, contacts, anything the center should remember."),
    )


class ContractForm(FlaskForm):
    """Every field of a draft contract (the organization only when the center creates one)."""

    organization = SelectField(_l("Organization"), choices=[], validate_choice=False, validators=[required()])
    name = text(
        _l("Contract name"), GroupContract.name, is_required=True, description=_l("For example: Annual checkup 2025.")
    )
    year = NumberField(_l("Year"), [NumberRequired()], whole=True, minimum=FIRST_YEAR, maximum=LAST_YEAR)
    window_start = _date(_l("Booking window from"))
    window_end = _date(_l("Booking window to"))
    discount_percent = _percent(_l("Discount (%)"), description=_l("Off the package prices, 0 to 100."))
    no_show_charge_percent = _percent(
        _l("No-show charge (%)"), description=_l("Share of the package price the company pays for a no-show.")
    )
    reservation_release_days = NumberField(
        _l("Release reserved places (days before)"),
        [NumberRequired()],
        whole=True,
        minimum=0,
        maximum=MAX_RELEASE_DAYS,
        default=3,
        description=_l("Unused reserved places go back to everyone this many days before their day."),
    )
    notes = _notes()

    def without_organization(self):
        del self.organization
        return self


class ActiveContractForm(FlaskForm):
    """An active contract takes only a later end of its window and notes."""

    window_end = _date(_l("Booking window to"), description=_l("The window can be extended, not shortened."))
    notes = _notes()


class CategoryForm(FlaskForm):
    label = text(
        _l("Label"),
        ContractCategory.label,
        is_required=True,
        description=_l("For example: management, over 40, food handlers. Unique in the contract."),
    )
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES, default="")
    age_min = NumberField(
        _l("From age"),
        [Optional()],
        whole=True,
        minimum=0,
        maximum=AGE_LIMIT,
        description=_l("Leave blank for no lower limit."),
    )
    age_max = NumberField(
        _l("To age"),
        [Optional()],
        whole=True,
        minimum=0,
        maximum=AGE_LIMIT,
        description=_l("Leave blank for no upper limit."),
    )
    package = SelectField(_l("Package"), choices=[], validate_choice=False, validators=[required()])
    company_pays = BooleanField(_l("The company pays the package"), default=True, false_values=FALSE_VALUES)
    addons_allowed = BooleanField(_l("Employees may add self-paid items"), default=True, false_values=FALSE_VALUES)
    position = NumberField(
        _l("Position in the list"),
        [Optional()],
        whole=True,
        minimum=0,
        maximum=POSITION_LIMIT,
        description=_l("Leave blank to add it at the end."),
    )


class ReservationForm(FlaskForm):
    slot = SelectField(_l("Slot"), choices=[], validate_choice=False, validators=[required()])
    places = NumberField(_l("Places to reserve"), [NumberRequired()], whole=True, minimum=1, maximum=MAX_PLACES)


class ActionForm(FlaskForm):
    """A button that changes a status: only the CSRF token."""


class CloseForm(FlaskForm):
    understood = BooleanField(
        _l("I understand: unused reserved places go back to everyone and no more bookings are taken."),
        validators=[InputRequired(message=_l("Tick the box to confirm."))],
    )
