"""Catalog forms: parsing and field-level messages. Codes, overlaps and cross-field rules are in the services."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional, StopValidation

from checkup.core.labels import choices as label_choices
from checkup.forms import max_len, required
from checkup.models import AddonModule, ExamItem, Package, Resource
from checkup.services.catalog import containers
from checkup.services.catalog.catalog import AGE_LIMIT, CAPACITY_LIMIT, DESCRIPTION_LIMIT, MONEY_LIMIT, parse_number

FALSE_VALUES = (False, "false", "", "0", "off")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def text(label, model_field=None, limit=None, is_required=False, area=False, **kwargs):
    """A stripped text field whose length limit is the model column's."""
    limit = limit or model_field.max_length
    validators = [required() if is_required else Optional(), max_len(limit)]
    kind = TextAreaField if area else StringField
    return kind(label, validators=validators, filters=[strip], **kwargs)


class NumberRequired:
    """Blank is an error; a parse error already reported is not repeated."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None and not field.process_errors:
            raise StopValidation(_l("This field is required."))


class NumberField(StringField):
    """A number typed as text and parsed strictly (no NaN, exponents or '1_000'); blank is None."""

    def __init__(self, label=None, validators=None, whole=False, places=2, minimum=None, maximum=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric" if whole else "decimal"})
        super().__init__(label, validators, **kwargs)
        self.bounds = {"whole": whole, "places": places, "minimum": minimum, "maximum": maximum}

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None
            self.data = parse_number(valuelist[0], **self.bounds)  # ValueError becomes the field's message

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        if self.bounds["whole"]:
            return str(self.data)
        if self.bounds["places"] == 2:  # money: always two places, whatever the database hands back
            return format(Decimal(self.data).quantize(Decimal("0.01")), "f")
        return _plain(self.data)


def _plain(value):
    """Decimal('1.5000') -> '1.5', Decimal('100.0000') -> '100'."""
    text_value = format(value, "f")
    return text_value.rstrip("0").rstrip(".") if "." in text_value else text_value


def money(label, **kwargs):
    return NumberField(label, [NumberRequired()], places=2, minimum=0, maximum=MONEY_LIMIT, **kwargs)


def whole(label, minimum, maximum, **kwargs):
    return NumberField(label, [NumberRequired()], whole=True, minimum=minimum, maximum=maximum, **kwargs)


def active_field():
    return BooleanField(_l("Active"), default=True, false_values=FALSE_VALUES)


CODE_HINT = _l("Letters, digits, '-', '_' or '.'; unique.")


class ItemForm(FlaskForm):
    code = text(_l("Code"), ExamItem.code, is_required=True, description=CODE_HINT)
    name_en = text(_l("Name (English)"), ExamItem.name_en, is_required=True)
    name_zh = text(_l("Name (Chinese)"), ExamItem.name_zh)
    department = SelectField(_l("Department / station"), choices=[], validate_choice=False, validators=[required()])
    unit = text(_l("Unit"), ExamItem.unit, description=_l("For numeric results, e.g. mmol/L."))
    result_type = SelectField(_l("Result type"), choices=label_choices("result_type"), validators=[required()])
    choices = text(
        _l("Choices"),
        ExamItem.choices,
        description=_l("For choice items: the options separated by |, e.g. Normal|Abnormal."),
    )
    price = money(_l("Price"), description=_l("In yuan, up to 2 decimal places."))
    prep_note_en = text(
        _l("Preparation note (English)"),
        ExamItem.prep_note_en,
        area=True,
        description=_l("Shown to clients before the exam, e.g. fasting for 8 hours."),
    )
    prep_note_zh = text(_l("Preparation note (Chinese)"), ExamItem.prep_note_zh, area=True)
    resource = SelectField(
        _l("Limited resource"),
        choices=[],
        validate_choice=False,
        description=_l("The scarce equipment or room this item takes (CT, gastroscopy, …), if any."),
    )
    container = SelectField(
        _l("Specimen container"),
        choices=[],
        validate_choice=False,
        description=_l("The tube or cup it is collected into; none for physical and imaging examinations."),
    )
    station = SelectField(
        _l("Station"),
        choices=[],
        validate_choice=False,
        description=_l("Where the client goes for it, when not its department's own room (lab panels: blood draw)."),
    )
    fasting = BooleanField(
        _l("Done fasting"),
        default=False,
        false_values=FALSE_VALUES,
        description=_l("Its station comes before breakfast on the guide sheet."),
    )
    # optional: a form posted without them (an older page, a script) keeps "any sex, every age"
    sex = SelectField(
        _l("Eligible sex"),
        choices=label_choices("sex", ["any", "male", "female"]),
        validators=[Optional()],
        validate_choice=False,
    )
    age_min = NumberField(_l("From age"), [Optional()], whole=True, minimum=0, maximum=AGE_LIMIT, default=0)
    age_max = NumberField(_l("To age"), [Optional()], whole=True, minimum=0, maximum=AGE_LIMIT, default=120)
    active = active_field()


class QuickItemForm(FlaskForm):
    """The small fields edited inline in the items list (the form is prefixed per row)."""

    name_en = text(_l("Name (English)"), ExamItem.name_en, is_required=True)
    name_zh = text(_l("Name (Chinese)"), ExamItem.name_zh)
    unit = text(_l("Unit"), ExamItem.unit)
    price = money(_l("Price"))
    active = active_field()


def _bound_value(label, **kwargs):
    return NumberField(label, [Optional()], places=4, minimum=-99999999, maximum=99999999, **kwargs)


class RangeForm(FlaskForm):
    sex = SelectField(_l("Sex"), choices=label_choices("sex", ["any", "male", "female"]), validators=[required()])
    age_min = whole(_l("From age"), 0, AGE_LIMIT, default=0)
    age_max = whole(_l("To age"), 0, AGE_LIMIT, default=120)
    low = _bound_value(_l("Low"))
    high = _bound_value(_l("High"))
    critical_low = _bound_value(_l("Critical low"))
    critical_high = _bound_value(_l("Critical high"))


class PackageForm(FlaskForm):
    code = text(_l("Code"), Package.code, is_required=True, description=CODE_HINT)
    name_en = text(_l("Name (English)"), Package.name_en, is_required=True)
    name_zh = text(_l("Name (Chinese)"), Package.name_zh)
    description_en = text(_l("Description (English)"), limit=DESCRIPTION_LIMIT, area=True)
    description_zh = text(_l("Description (Chinese)"), limit=DESCRIPTION_LIMIT, area=True)
    sex = SelectField(
        _l("Eligible sex"), choices=label_choices("sex", ["any", "male", "female"]), validators=[required()]
    )
    age_min = whole(_l("From age"), 0, AGE_LIMIT, default=0)
    age_max = whole(_l("To age"), 0, AGE_LIMIT, default=120)
    price = money(_l("Package price"), description=_l("What the client pays for the whole package."))
    items = SelectMultipleField(_l("Items"), choices=[], validate_choice=False)
    active = active_field()


class ModuleForm(FlaskForm):
    code = text(_l("Code"), AddonModule.code, is_required=True, description=CODE_HINT)
    name_en = text(_l("Name (English)"), AddonModule.name_en, is_required=True)
    name_zh = text(_l("Name (Chinese)"), AddonModule.name_zh)
    description_en = text(_l("Description (English)"), limit=DESCRIPTION_LIMIT, area=True)
    description_zh = text(_l("Description (Chinese)"), limit=DESCRIPTION_LIMIT, area=True)
    sex = SelectField(
        _l("Eligible sex"), choices=label_choices("sex", ["any", "male", "female"]), validators=[required()]
    )
    age_min = whole(_l("From age"), 0, AGE_LIMIT, default=0)
    age_max = whole(_l("To age"), 0, AGE_LIMIT, default=120)
    price = money(_l("Module price"), description=_l("What the client pays for the add-on."))
    sort_order = NumberField(_l("Order in the list"), [Optional()], whole=True, minimum=0, maximum=10000, default=0)
    items = SelectMultipleField(_l("Items"), choices=[], validate_choice=False)
    active = active_field()


class OrderRuleForm(FlaskForm):
    before = SelectField(_l("This station first"), choices=[], validate_choice=False, validators=[required()])
    after = SelectField(_l("Then this station"), choices=[], validate_choice=False, validators=[required()])
    note_en = text(_l("Why (English)"), limit=200)
    note_zh = text(_l("Why (Chinese)"), limit=200)


def container_choices():
    return containers.choices()


class ResourceForm(FlaskForm):
    code = text(_l("Code"), Resource.code, is_required=True, description=CODE_HINT)
    name_en = text(_l("Name (English)"), Resource.name_en, is_required=True)
    name_zh = text(_l("Name (Chinese)"), Resource.name_zh)
    daily_capacity = whole(
        _l("Default daily capacity"),
        0,
        CAPACITY_LIMIT,
        description=_l("How many exams it can take a day, 0 to %(n)d.", n=CAPACITY_LIMIT),
    )
    active = active_field()


def values_of(form, names):
    """The parsed values of ``names`` for a service call."""
    return {name: form[name].data for name in names if name in form._fields}
