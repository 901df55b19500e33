"""The desk booking page's package options, add-on boxes and free times printed in Python
(blueprints/desk/book_rows.py) are what the loops of templates/desk/book.html printed, byte for byte: markup in
codes and names, a Chinese name or none, the selected package or none, ticked and unticked add-ons, times
with free places; in English and Chinese."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.desk import book_rows

OLD_OPTIONS = (
    '{% for o in offers %}<option value="{{ o.package.code }}" {% if o.package.code == code %}selected{% endif %}>'
    "{{ localized(o.package) }} · ¥{{ o.package.price|money }}</option>{% endfor %}"
)
OLD_ADDONS = """    {% for module in modules %}
    <label for="addon-{{ module.code }}"><input type="checkbox" id="addon-{{ module.code }}" name="addons" value="{{ module.code }}" {% if module.code in chosen %}checked{% endif %}> {{ localized(module) }} <span class="muted">¥{{ module.offered_price|money }}</span></label>
    {% endfor %}
"""
NEW_ADDONS = """    {{ printed }}
"""
OLD_SLOTS = """  {% for slot, places in open_slots %}
  <label for="slot-{{ slot.id }}"><input type="radio" id="slot-{{ slot.id }}" name="slot" value="{{ slot.id }}" required> {{ slot.start_time.strftime('%H:%M') }}–{{ slot.end_time.strftime('%H:%M') }} ({{ _("%(n)s free", n=places) }})</label>
  {% endfor %}</fieldset>"""
NEW_SLOTS = "  {{ printed }}</fieldset>"


def _thing(code, name_en, name_zh, price, offered=None):
    return SimpleNamespace(code=code, name_en=name_en, name_zh=name_zh, price=price, offered_price=offered)


PACKAGES = [
    _thing("BASIC", "Basic <checkup>", "基础体检", Decimal("399.00")),
    _thing("A&B\"'", "Plain & simple", "", Decimal("0.5")),
    _thing("EXEC", "Executive", "高端体检", 4380),
]
MODULES = [
    _thing("CT<b>", "Chest CT & more", "胸部CT", Decimal("480.00"), Decimal("480.00")),
    _thing("EYE", 'Eye "test"', "", Decimal("15.00"), Decimal("7.5")),
    _thing("GYN", "Gynaecology", "妇科", Decimal("580.00"), Decimal("0")),
]
SLOTS = [
    (SimpleNamespace(id=7, start_time=datetime.time(7, 30), end_time=datetime.time(8, 30)), 1),
    (SimpleNamespace(id=1234567, start_time=datetime.time(13, 0), end_time=datetime.time(14, 5)), 25),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("code", ["BASIC", "A&B\"'", "", "NONE"])
def test_package_options_as_the_loop_printed_them(app, language, code):
    with app.test_request_context("/"), force_locale(language):
        offers = [SimpleNamespace(package=p) for p in PACKAGES]
        old = render_template_string(OLD_OPTIONS, offers=offers, code=code)
        assert render_template_string("{{ printed }}", printed=book_rows.package_options(PACKAGES, code)) == old
        assert book_rows.package_options([], code) == render_template_string(OLD_OPTIONS, offers=[], code=code) == ""


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("chosen", [[], ["EYE"], ["CT<b>", "GYN", "NOPE"]])
def test_addon_boxes_as_the_loop_printed_them(app, language, chosen):
    with app.test_request_context("/"), force_locale(language):
        for modules in (MODULES, MODULES[1:2], []):
            old = render_template_string(OLD_ADDONS, modules=modules, chosen=chosen)
            new = render_template_string(NEW_ADDONS, printed=book_rows.addon_boxes(modules, chosen))
            assert new == old


@pytest.mark.parametrize("language", ["en", "zh"])
def test_slot_radios_as_the_loop_printed_them(app, language):
    with app.test_request_context("/"), force_locale(language):
        for pairs in (SLOTS, SLOTS[:1], []):
            old = render_template_string(OLD_SLOTS, open_slots=pairs)
            new = render_template_string(NEW_SLOTS, printed=book_rows.slot_radios(pairs))
            assert new == old
