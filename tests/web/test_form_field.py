"""checkup/web/form_controls.form_field prints what the ``field`` macro of templates/_forms.html printed when
it was written in the template: for every stock control, blank, filled, invalid and preset, with and without
a hint and the caller's attributes (compared with whitespace between tags ignored)."""

import re

import jinja2
import pytest
from markupsafe import Markup

from checkup.web.form_controls import form_control, form_field
from tests.web.test_form_controls import EveryControl, forms

# the macro as it stood in templates/_forms.html before it called form_field
MACRO = """
{% macro field(f, hint=None, attrs={}) %}
{% set err_id = f.id ~ '-error' %}
{% set hint_id = f.id ~ '-hint' %}
{% set described = [] %}
{% if f.description or hint %}{% set _ = described.append(hint_id) %}{% endif %}
{% if f.errors %}{% set _ = described.append(err_id) %}{% endif %}
{% set kw = dict(attrs) %}
{% if described %}{% set _ = kw.update({'aria-describedby': described|join(' ')}) %}{% endif %}
{% if f.errors %}{% set _ = kw.update({'aria-invalid': 'true'}) %}{% endif %}
{% if f.flags.required %}{% set _ = kw.update({'required': True}) %}{% endif %}
<div class="field" id="{{ f.id }}-field">
{% if f.type == 'BooleanField' %}
  <label for="{{ f.id }}">{{ form_control(f, kw) }} {{ f.label.text }}</label>
{% else %}
  <label for="{{ f.id }}">{{ f.label.text }}{% if f.flags.required %} <span aria-hidden="true">*</span>{% endif %}</label>
  {{ form_control(f, kw) }}
{% endif %}
  {% if f.description or hint %}<small id="{{ hint_id }}" class="muted">{{ hint or f.description }}</small>{% endif %}
  {% if f.errors %}<small id="{{ err_id }}" class="field-error">{{ f.errors|join(' ') }}</small>{% endif %}
</div>
{% endmacro %}
"""

ENVIRONMENT = jinja2.Environment(autoescape=True)
ENVIRONMENT.globals["form_control"] = form_control
OLD_FIELD = ENVIRONMENT.from_string(MACRO).module.field


def _tags(html):
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


CASES = [
    (None, None),
    ("Shown under the field <as text>", None),
    (None, {"autocomplete": "username", "autofocus": True}),
    (Markup("A <em>marked</em> hint"), {"class_": "wide", "data_role": "search"}),
]


@pytest.mark.parametrize(("hint", "attrs"), CASES, ids=range(len(CASES)))
def test_form_field_prints_what_the_template_macro_printed(hint, attrs):
    checked = 0
    for form in forms():
        for field in form:
            if field.type in ("RadioField", "CSRFTokenField"):
                continue  # a radio group has its own macro
            expected = OLD_FIELD(field, hint, attrs or {})
            printed = form_field(field, hint, attrs)
            assert isinstance(printed, Markup)
            assert _tags(printed) == _tags(expected), field.name
            checked += 1
    assert checked == 4 * (len(EveryControl()._fields) - 1)


def test_a_described_field_keeps_its_own_description_and_the_callers_attributes_unchanged():
    form = EveryControl()
    form.name.description = "As on the ID card"
    attrs = {"autocomplete": "name"}
    printed = form_field(form.name, None, attrs)
    assert 'aria-describedby="name-hint"' in printed and "As on the ID card" in printed
    assert attrs == {"autocomplete": "name"}
