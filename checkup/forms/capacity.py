"""Capacity forms: inline capacities, closing a day, the weekly template, the import upload."""

import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, Form, FormField, StringField, TimeField
from wtforms.validators import InputRequired, Optional

from checkup.forms import max_len
from checkup.forms.accounts import CheckboxList
from checkup.forms.catalog import NumberField, NumberRequired
from checkup.services.booking.capacity import DEFAULT_SLOTS, MAX_CAPACITY, SlotSpec

TEMPLATE_ROWS = 8  # slot rows on the template form: the defaults and room to add more
MAX_TEMPLATE_ROWS = 24
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send 07:30, some 07:30:00
WEEKDAYS = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]
WORKING_DAYS = [0, 1, 2, 3, 4]


def capacity_field(label=None):
    return NumberField(
        label or _l("Capacity"),
        [NumberRequired()],
        whole=True,
        minimum=0,
        maximum=MAX_CAPACITY,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


def date_required():
    return InputRequired(message=_l("This field is required."))


class CapacityForm(FlaskForm):
    """One slot's or resource day's capacity, edited in its row (prefix: slot-<id> / resource-<id>)."""

    capacity = capacity_field()


class CloseDayForm(FlaskForm):
    note = StringField(
        _l("Reason (shown in the audit log)"),
        validators=[Optional(), max_len(200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description=_l("For example: public holiday, equipment maintenance."),
    )


class ReopenDayForm(FlaskForm):
    pass


class SlotRowForm(Form):
    """A template row: all three filled, or all blank (then it is ignored)."""

    start = TimeField(_l("Start"), format=TIME_FORMATS, validators=[Optional()])
    end = TimeField(_l("End"), format=TIME_FORMATS, validators=[Optional()])
    capacity = NumberField(_l("Capacity"), whole=True, minimum=0, maximum=MAX_CAPACITY)

    @property
    def is_blank(self):
        return all(
            not (f.raw_data and str(f.raw_data[0]).strip()) and f.data is None
            for f in (self.start, self.end, self.capacity)
        )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not ok or self.is_blank:
            return ok
        for name in ("start", "end", "capacity"):
            if self[name].data is None:
                self[name].errors = list(self[name].errors) + [
                    _l("Fill in start, end and capacity, or leave the whole row empty.")
                ]
                ok = False
        return ok


class TemplateForm(FlaskForm):
    start = DateField(_l("From"), validators=[date_required()])
    end = DateField(_l("To"), validators=[date_required()])
    weekdays = CheckboxList(_l("Weekdays"), choices=WEEKDAYS, coerce=int, default=WORKING_DAYS)
    slots = FieldList(FormField(SlotRowForm), min_entries=TEMPLATE_ROWS, max_entries=MAX_TEMPLATE_ROWS)

    resource_names = ()  # the "resource_<id>" fields a subclass adds, in display order

    def filled_rows(self):
        """[(row index, SlotSpec)] of the rows that are not blank."""
        return [
            (index, SlotSpec(entry.form.start.data, entry.form.end.data, entry.form.capacity.data))
            for index, entry in enumerate(self.slots)
            if not entry.form.is_blank
        ]

    def resource_capacities(self):
        return {int(name.split("_", 1)[1]): self[name].data for name in self.resource_names}

    @property
    def resource_fields(self):
        return [self[name] for name in self.resource_names]


# {((resource id, label), ...): its form class}: a class is made once per set of resources and labels
_TEMPLATE_FORM_CLASSES: dict[tuple, type] = {}
_TEMPLATE_FORM_CLASS_LIMIT = 64


def _template_form_class(resources, labels):
    key = tuple((r.id, labels[r.id]) for r in resources)
    form_class = _TEMPLATE_FORM_CLASSES.get(key)
    if form_class is None:
        names = tuple(f"resource_{r.id}" for r in resources)
        fields = {f"resource_{r.id}": capacity_field(labels[r.id]) for r in resources}
        form_class = type("ResourceTemplateForm", (TemplateForm,), dict(fields, resource_names=names))
        if len(_TEMPLATE_FORM_CLASSES) >= _TEMPLATE_FORM_CLASS_LIMIT:
            _TEMPLATE_FORM_CLASSES.clear()
        _TEMPLATE_FORM_CLASSES[key] = form_class
    return form_class


def template_form(resources, labels, formdata=None, today=None):
    """A TemplateForm with one capacity field per active resource (prefilled with its daily capacity).

    ``labels`` maps resource id → label; with ``formdata=None`` the form shows the defaults. The form's
    class is made once per set of resources and labels.
    """
    form_class = _template_form_class(resources, labels)
    if formdata is not None:
        form = form_class(formdata=formdata)
    else:
        today = today or datetime.date.today()
        data = {
            "start": today + datetime.timedelta(days=1),
            "end": today + datetime.timedelta(days=28),
            "weekdays": WORKING_DAYS,
            "slots": [{"start": s, "end": e, "capacity": c} for s, e, c in DEFAULT_SLOTS],
        }
        data.update({f"resource_{r.id}": r.daily_capacity for r in resources})
        form = form_class(formdata=None, data=data)
    # labels that say which row (read by screen readers), each pattern translated once
    start, end, capacity = (
        gettext("Start of slot %(n)s"),
        gettext("End of slot %(n)s"),
        gettext("Capacity of slot %(n)s"),
    )
    for number, entry in enumerate(form.slots, 1):
        row = {"n": number}
        entry.form.start.label.text = start % row
        entry.form.end.label.text = end % row
        entry.form.capacity.label.text = capacity % row
    return form


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        description=_l("Columns: date (YYYY-MM-DD), start and end (HH:MM), capacity. At most 5000 rows and 2 MB."),
    )
