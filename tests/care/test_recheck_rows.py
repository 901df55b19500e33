"""The re-check booking page's lists printed in Python (blueprints/care/recheck_rows.py) are the markup the
loops of templates/care/followups_recheck.html printed, byte for byte: items ticked and not, with and
without a Chinese name, markup in names and codes, prices with and without cents; no items; the day's free
times; in English and Chinese."""

import datetime
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.care.recheck_rows import free_times, item_choices
from checkup.models import ExamItem, Slot

# the loops as they were before they moved to Python
OLD_ITEMS = """<legend>{{ _("Items to re-check") }}</legend>
    {% for item in items %}
    <label for="item-{{ item.id }}"><input type="checkbox" id="item-{{ item.id }}" name="items" value="{{ item.id }}" {% if item.id in chosen %}checked{% endif %}> {{ localized(item) }} ({{ item.code }}) · ¥{{ item.price|money }}</label>
    {% else %}
    <p class="muted">{{ _("This checkup has no items to re-check.") }}</p>
    {% endfor %}
  </fieldset>"""
NEW_ITEMS = """<legend>{{ _("Items to re-check") }}</legend>
    {{ item_choices }}
  </fieldset>"""
OLD_TIMES = """<fieldset><legend>{{ _("Free times on %(day)s", day=day.isoformat()) }}</legend>
  {% for slot, places in open_slots %}
  <label for="slot-{{ slot.id }}"><input type="radio" id="slot-{{ slot.id }}" name="slot" value="{{ slot.id }}" required> {{ slot.start_time.strftime('%H:%M') }}–{{ slot.end_time.strftime('%H:%M') }} ({{ _("%(n)s free", n=places) }})</label>
  {% endfor %}</fieldset>"""
NEW_TIMES = """<fieldset><legend>{{ _("Free times on %(day)s", day=day.isoformat()) }}</legend>
  {{ free_times }}</fieldset>"""


def _items():
    return [
        ExamItem(id=3, code="GLU", name_en="Glucose", name_zh="血糖", price=Decimal("25.00")),
        ExamItem(id=7, code="<X&Y>", name_en="Odd <b>item</b> & co", name_zh="", price=Decimal("120")),
        ExamItem(id=11, code="ALT", name_en="ALT", name_zh=None, price=Decimal("8.5")),
        ExamItem(id=12, code="US", name_en="Ultrasound", name_zh="超声 <腹部>", price=0),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_items_as_the_template_printed_them(app, language):
    items, chosen = _items(), {3, 11, 99}
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_ITEMS, items=items, chosen=chosen)
        new = render_template_string(NEW_ITEMS, item_choices=item_choices(items, chosen))
        none_old = render_template_string(OLD_ITEMS, items=[], chosen=set())
        none_new = render_template_string(NEW_ITEMS, item_choices=item_choices([], set()))
    assert new == old
    assert new.count(" checked>") == 2 and "&lt;b&gt;item" in new and "¥120.00" in new
    assert none_new == none_old and 'class="muted"' in none_new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_free_times_as_the_template_printed_them(app, language):
    day = datetime.date(2026, 12, 9)
    slots = [
        (Slot(id=5, day=day, start_time=datetime.time(8, 0), end_time=datetime.time(8, 30)), 1),
        (Slot(id=6, day=day, start_time=datetime.time(13, 30), end_time=datetime.time(14, 0)), 12),
    ]
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_TIMES, open_slots=slots, day=day)
        new = render_template_string(NEW_TIMES, free_times=free_times(slots), day=day)
        none_old = render_template_string(OLD_TIMES, open_slots=[], day=day)
        none_new = render_template_string(NEW_TIMES, free_times=free_times([]), day=day)
    assert new == old
    assert 'id="slot-6"' in new and "13:30–14:00" in new and "12" in new
    assert none_new == none_old
