"""The day sheet's slot navigation printed in Python (blueprints/desk/day_rows.slot_nav) is the markup the loop
of templates/desk/day.html printed with its include of desk/_slot_counts.html per slot, byte for byte: a slot
shown on the page and not, every status counted, cancelled ones left out, an unknown status, a slot without
appointments, one and many expected, today's address and another day's (an ``&`` to escape); in English and
Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.desk.day_rows import slot_nav
from checkup.models import Slot
from checkup.services.exam.day_sheets import DaySheetSlot

# the loop of templates/desk/day.html as it was before it moved to Python
OLD = """{% for group in overview %}
    <li><a href="{{ slot_link % group.slot.id }}#slot-{{ group.slot.id }}"{% if group.slot.id in shown_ids %} aria-current="true"{% endif %}>
      {{- group.slot.start_time.strftime('%H:%M') }}–{{ group.slot.end_time.strftime('%H:%M') }}</a>
      {% include "desk/_slot_counts.html" %}</li>
  {% endfor %}"""
NEW = "{{ printed }}"

COUNTS = [
    {"booked": 3, "checked_in": 2, "completed": 1, "no_show": 4, "cancelled": 5},
    {"cancelled": 2},
    {},
    {"booked": 1, "odd<status>": 2},
    {"checked_in": 0, "completed": 7},
]


def _overview():
    groups = []
    for n, counts in enumerate(COUNTS):
        start = datetime.time(7 + n, 30)
        slot = Slot(id=40 + n, day=datetime.date(2026, 3, 4), start_time=start, end_time=datetime.time(8 + n, 15))
        groups.append(DaySheetSlot(slot, counts=dict(counts)))
    return groups


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("slot_link", ["/desk/day?slot=%d", "/desk/day?day=2026-03-04&slot=%d&x=%%"])
def test_slot_nav_as_the_loop_printed_it(app, language, slot_link):
    overview, shown = _overview(), {41, 42}
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD, overview=overview, shown_ids=shown, slot_link=slot_link)
        new = render_template_string(NEW, printed=slot_nav(overview, shown, slot_link))
    assert new == old
    assert new.count("<li>") == len(COUNTS) and new.count('aria-current="true"') == 2


def test_no_slots(app):
    with app.test_request_context("/"):
        assert render_template_string(NEW, printed=slot_nav([], set(), "/desk/day?slot=%d")) == ""
