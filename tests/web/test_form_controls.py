"""templates/_forms.html prints inputs with checkup/web/form_controls.form_control: byte for byte what
WTForms' own widgets print, for every stock widget our forms use, filled in or not, with errors or not."""

import datetime

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import DecimalField, FileField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import (
    CheckboxInput,
    ListWidget,
    NumberInput,
    PasswordInput,
    RadioInput,
    Select,
    TextArea,
    TextInput,
)

from checkup.web.form_controls import form_control


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EveryControl(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)], render_kw={"autocomplete": "name"})
    email = EmailField("Email", validators=[Optional(), Length(min=3, max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10)])
    code = HiddenField()
    agree = BooleanField("I agree")
    count = IntegerField("Count", validators=[NumberRange(min=0, max=500)], widget=NumberInput(step=1, min=0))
    price = DecimalField("Price", places=2, render_kw={"inputmode": "decimal"})
    born = DateField("Born", validators=[Optional()], render_kw={"max": "2100-01-01"})
    at = TimeField("At")
    when = DateTimeLocalField("When", format="%Y-%m-%dT%H:%M")
    note = TextAreaField("Note", validators=[Length(max=500)], render_kw={"rows": 3})
    sex = SelectField("Sex", choices=[("", "—"), ("F", "Female"), ("M", 'Male "m" <b>')])
    sized = SelectField("Size", coerce=int, choices=[(1, "one"), (2, "two")], validators=[DataRequired()])
    flag = SelectField("Flag", choices=[(True, "yes"), (False, "no")])
    tags = SelectMultipleField("Tags", choices=[("a", "A"), ("b", "B & C")])
    # values that need escaping, one of them markup with a double quote in it
    odd = SelectField("Odd", choices=[('q"&<', "quote"), (Markup('<i title="t">m</i>'), "markup"), (None, "none")])
    grouped = SelectField(
        "Grouped",
        choices=[SelectChoice("apple", "Apple", optgroup="Fruit"), SelectChoice("leek", "Leek", optgroup="Veg")],
    )
    styled = SelectField("Styled", choices=[SelectChoice("x", "X", render_kw={"data_tone": "warm", "class_": "hot"})])
    roles = CheckboxList("Roles", choices=[("admin", "Admin"), ("hr", "HR")])
    upload = FileField("File")
    kind = RadioField("Kind", choices=[("a", "A"), ("b", "B")])


ATTRS = [
    {},
    {"autocomplete": "new-password", "autofocus": True},
    {"aria-describedby": "x-hint x-error", "aria-invalid": "true", "required": True},
    {"class_": "wide", "data_role": "search", "aria_label": 'say "hi"', "size": 6, "form": "slot-1-form"},
    {"value": "<given>", "min": 1, "inputmode": "numeric", "disabled": False, "readonly": None},
    {"max": Markup('2100-"01"-01'), "rows": 5},
]

FILLED = MultiDict(
    [
        ("name", 'Lin "Jr" <script>'),
        ("email", "a&b@example.com"),
        ("password", "secret-secret"),
        ("code", "X&Y"),
        ("agree", "y"),
        ("count", "12"),
        ("price", "1.5"),
        ("born", "1990-02-03"),
        ("at", "08:30"),
        ("when", "2026-01-02T08:30"),
        ("note", "line one\r\n<line two>"),
        ("sex", "M"),
        ("sized", "2"),
        ("flag", "True"),
        ("tags", "a"),
        ("tags", "b"),
        ("odd", 'q"&<'),
        ("grouped", "leek"),
        ("roles", "hr"),
        ("kind", "b"),
    ]
)


def forms():
    blank = EveryControl()
    filled = EveryControl(FILLED)
    invalid = EveryControl(MultiDict([("name", ""), ("count", "x"), ("born", "not a date")]))
    invalid.validate()
    preset = EveryControl(data={"born": datetime.date(2001, 5, 6), "count": 3, "sex": "F", "agree": True})
    return [blank, filled, invalid, preset]


def wtforms_printed(field, attrs):
    """What WTForms itself prints for ``field(**attrs)``: once the app is made, ``Field.__call__`` goes through
    form_control too (web/form_controls.print_fields_quickly), so the comparison asks the form's meta."""
    return field.meta.render_field(field, dict(attrs))


@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_every_control_prints_what_wtforms_prints(attrs):
    checked = 0
    for form in forms():
        for field in form:
            expected = wtforms_printed(field, attrs)
            printed = form_control(field, dict(attrs))
            assert printed == expected, field.name
            assert isinstance(printed, Markup)
            checked += 1
    assert checked == 4 * len(EveryControl()._fields)


@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_each_radio_of_a_group_prints_what_wtforms_prints(attrs):
    radios = 0
    for form in forms():
        for option in form.kind:  # templates/_forms.html radio_group prints them one by one
            assert form_control(option, dict(attrs)) == wtforms_printed(option, attrs)
            radios += 1
    assert radios == 8


def test_the_callers_attributes_are_not_changed():
    field = EveryControl().name
    attrs = {"aria-describedby": "name-hint"}
    form_control(field, attrs)
    assert attrs == {"aria-describedby": "name-hint"}


def test_a_second_name_is_refused_as_wtforms_refuses_it():
    field = EveryControl().name
    with pytest.raises(TypeError):
        field(name="other")
    with pytest.raises(TypeError):
        form_control(field, {"name": "other"})


def test_stock_widgets_are_printed_without_calling_wtforms(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("WTForms' widget was called")

    for widget in (TextInput, PasswordInput, TextArea, Select, RadioInput):
        monkeypatch.setattr(widget, "__call__", refuse)
    form = EveryControl(FILLED)
    assert 'value="Lin &#34;Jr&#34; &lt;script&gt;"' in form_control(form.name, {})
    assert form_control(form.password, {}).startswith('<input id="password" minlength="10" name="password" required')
    assert "&lt;line two&gt;</textarea>" in form_control(form.note, {})
    assert '<option selected value="M">' in form_control(form.sex, {})
    assert form_control(list(form.kind)[1], {}) == '<input checked id="kind-1" name="kind" type="radio" value="b">'


def test_a_field_printed_whole_in_a_template_is_printed_the_same(app):
    # {{ form.field }} (every form's CSRF token) goes through form_control once the app is made
    for form in forms():
        for field in form:
            assert field.__html__() == wtforms_printed(field, {}), field.name
