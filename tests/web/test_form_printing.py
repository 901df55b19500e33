"""Form printing without WTForms' per-choice objects and markupsafe's per-value Markup: a select's (value,
label) pairs printed straight from the pairs, plain text escaped by checkup/web/html_text.escaped, and
``{{ field(**attrs) }}`` printed by form_control too. Byte for byte what WTForms and markupsafe print, for
every kind of choices (pairs, triples, SelectChoice, groups, a callable, a dict), labels that are lazy,
empty, markup or numbers, in English and in Chinese."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectChoice, SelectField, SelectMultipleField
from wtforms.meta import DefaultMeta
from wtforms.widgets import Select

from checkup.web.form_controls import form_control, form_field
from checkup.web.html_text import escaped
from tests.web.test_form_controls import ATTRS, forms


def wtforms_prints(field, attrs):
    """What WTForms' own ``field(**attrs)`` printed before form_controls took it over."""
    return DefaultMeta.render_field(field.meta, field, dict(attrs))


TEXTS = ["", "plain", "all <five> & \"quoted\" 'too'", "&amp; already", "中文 <b>", "a" * 300]
OTHERS = [
    Markup('<i title="t">kept</i>'),
    0,
    12,
    -3,
    True,
    None,
    Decimal("25.50"),
    1.5,
    _l("Active"),
    _l("Use at most %(max)d characters.", max=4),
]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_escaped_text_is_what_escape_prints(app, language):
    with app.test_request_context("/"), force_locale(language):
        for value in TEXTS + OTHERS:
            assert escaped(value) == str(escape(value)), repr(value)
            assert type(escaped(value)) is str


class Choices(Form):
    pairs = SelectField("Pairs", choices=[("", "—"), ("a&b", 'A "and" <B>'), ("c", "C")])
    lazy = SelectField("Lazy", choices=[("any", _l("Any")), ("male", _l("Male")), ("female", _l("Female"))])
    empty_labels = SelectField("Empty", choices=[("x", ""), ("y", None), ("z", _l("Active"))])
    numbers = SelectField("Numbers", coerce=int, choices=[(1, "one"), (2, 0), (3, Markup("<b>three</b>"))])
    flags = SelectField("Flags", choices=[(True, "yes"), (False, "no")])
    triples = SelectField("Triples", choices=[("a", "A", {"data_x": "1"}), ("b", "B", {})])
    declared = SelectField("Declared", choices=[SelectChoice("a", "A"), SelectChoice("b")])
    grouped = SelectField(
        "Grouped", choices=[SelectChoice("p", "P", optgroup="Fruit"), SelectChoice("q", "Q", optgroup="Veg")]
    )
    by_dict = SelectField("Dict", choices={"Fruit": [("p", "P")], "Veg": [("q", "Q")]})
    made = SelectField("Made", choices=lambda: [("m", "M"), ("n", "N")])  # a callable, read once
    listed = SelectField("Listed", choices=(("t", "T"), ("u", "U")))  # a tuple of pairs: WTForms keeps a list
    none = SelectField("None", choices=None, validate_choice=False)
    many = SelectMultipleField("Many", choices=[("a", "A"), ("b", "B & C"), ("c", _l("Active"))])
    many_numbers = SelectMultipleField("Many numbers", coerce=int, choices=[(1, "one"), (2, "two")])
    radio = RadioField("Radio", choices=[("a", "A"), ("b", _l("Active"))])


def choice_forms():
    blank = Choices()
    filled = Choices(
        MultiDict(
            [
                ("pairs", "a&b"),
                ("lazy", "male"),
                ("empty_labels", "y"),
                ("numbers", "2"),
                ("flags", "False"),
                ("triples", "a"),
                ("declared", "b"),
                ("grouped", "q"),
                ("by_dict", "p"),
                ("made", "n"),
                ("listed", "u"),
                ("many", "a"),
                ("many", "c"),
                ("many_numbers", "2"),
                ("radio", "b"),
            ]
        )
    )
    invalid = Choices(MultiDict([("numbers", "x"), ("pairs", "nope"), ("many_numbers", "y")]))
    invalid.validate()
    preset = Choices(data={"pairs": "c", "numbers": 3, "many": ["b"], "many_numbers": [1, 2], "flags": True})
    return [blank, filled, invalid, preset]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("attrs", ATTRS, ids=range(len(ATTRS)))
def test_every_kind_of_choices_prints_what_wtforms_prints(app, language, attrs):
    checked = 0
    with app.test_request_context("/"), force_locale(language):
        for form in choice_forms():
            for field in form:
                if field.type == "RadioField":
                    continue  # its widget is a list: WTForms prints it, each radio through form_control
                assert form_control(field, dict(attrs)) == wtforms_prints(field, attrs), field.name
                checked += 1
    assert checked == 4 * (len(Choices()._fields) - 1)


def test_pairs_are_printed_without_wtforms_choice_objects(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("WTForms listed the choices")

    expected = {name: wtforms_prints(field, {}) for name, field in Choices(data={"many": ["a"]})._fields.items()}
    # what iter_choices and has_groups both call to make a SelectChoice of every pair
    monkeypatch.setattr(SelectField, "_choices_from_input", refuse)
    monkeypatch.setattr(Select, "__call__", refuse)
    form = Choices(data={"many": ["a"]})
    for name in ("pairs", "lazy", "empty_labels", "numbers", "flags", "made", "many", "many_numbers"):
        assert form_control(form[name], {}) == expected[name], name
    assert '<option value="x">x</option><option value="y">y</option>' in expected["empty_labels"]


def test_a_field_called_in_a_template_prints_through_form_control(app, monkeypatch):
    # {{ field(**attrs) }} (a radio of a group, a checkbox of a list, a hidden field) once the app is made
    for attrs in ATTRS:
        for form in forms() + choice_forms():
            for field in form:
                assert field(**attrs) == wtforms_prints(field, attrs), field.name
    expected = wtforms_prints(Choices().pairs, {"class_": "x"})
    monkeypatch.setattr(Select, "__call__", lambda *args, **kwargs: pytest.fail("WTForms' widget was called"))
    assert Choices().pairs(class_="x") == expected


@pytest.mark.parametrize("language", ["en", "zh"])
def test_labels_hints_and_errors_print_as_escape_prints_them(app, language):
    with app.test_request_context("/"), force_locale(language):
        for form in choice_forms():
            for field in form:
                if field.type == "RadioField":
                    continue
                field.description = _l("Active")
                printed = form_field(field)
                assert f"{escape(field.label.text)}" in printed
                assert f'<small id="{field.id}-hint" class="muted">{escape(_l("Active"))}</small>' in printed
                for error in field.errors:
                    assert str(escape(error)) in printed
