"""The capacity pages' rows printed in Python (blueprints/desk/capacity_rows.py) are the markup the templates
printed, byte for byte, in English and Chinese:

* a day's slots and resource days (``slot_rows``, ``resource_rows``) as the macros of capacity/_slot_row.html
  and capacity/_resource_row.html printed them with a CapacityForm each: every fill state, a closed slot, a
  resource without a Chinese name, markup in codes and names, and a posted form sent back with its errors
  and what was typed;
* the month calendar's days (``month_days``) as the macro of capacity/_month.html printed them: today, past
  and coming days, days without slots, with and without resources, a resource's fill named or not;
* the weekly template's weekdays and rows as WTForms and the ``field`` macro printed them, blank and posted
  with errors."""

import datetime

import pytest
from flask import render_template_string, request
from flask_babel import force_locale

from checkup.blueprints.desk import capacity as capacity_pages
from checkup.blueprints.desk.capacity_rows import month_days, resource_rows, slot_rows
from checkup.forms.capacity import template_form
from checkup.models import Resource, ResourceDay, Slot

DAY = datetime.date(2026, 3, 4)

OLD_SLOTS = (
    '{% from "capacity/_slot_row.html" import slot_row with context %}'
    "<tbody>{% for slot in slots %}{{ slot_row(slot, slot_forms[slot.id]) }}{% endfor %}</tbody>"
)
OLD_RESOURCES = (
    '{% from "capacity/_resource_row.html" import resource_row with context %}'
    "<tbody>{% for row in resources %}{{ resource_row(row, resource_forms[row.id]) }}{% endfor %}</tbody>"
)
NEW = "<tbody>{{ printed }}</tbody>"

# (capacity, booked, held, closed): closed, empty, low, busy, nearly full, full
FILLS = [(30, 3, 0, True), (0, 0, 0, False), (40, 5, 2, False), (10, 5, 1, False), (10, 8, 1, False), (6, 5, 1, False)]


def _slots():
    return [
        Slot(
            id=70 + n,
            day=DAY,
            start_time=datetime.time(7 + n, 30),
            end_time=datetime.time(8 + n, 0),
            capacity=capacity,
            booked=booked,
            held=held,
            reserved=1,
            closed=closed,
        )
        for n, (capacity, booked, held, closed) in enumerate(FILLS)
    ]


def _resource_days():
    rows = []
    for n, (capacity, booked, held, _closed) in enumerate(FILLS):
        row = ResourceDay(id=90 + n, day=DAY, capacity=capacity, booked=booked, held=held)
        row.resource = Resource(
            id=n + 1, code=f"R{n}<&>", name_en=f'Scanner "{n}" <b>', name_zh="超声" if n % 2 else "", active=True
        )
        rows.append(row)
    return rows


def _context():
    return {"fill_state": capacity_pages.fill_state, "fill_labels": capacity_pages.fill_labels()}


POSTED = {"slot-72-capacity": "12<b>", "resource-93-capacity": "-1"}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("posted", [False, True])
def test_slot_and_resource_rows_as_the_macros_printed_them(app, language, posted):
    data = POSTED if posted else {}
    with app.test_request_context("/", method="POST", data=data), force_locale(language):
        slots, resources = _slots(), _resource_days()
        sent_slots, sent_resources = {}, {}
        if posted:  # forms sent back with what was typed and their errors, as the save views leave them
            sent_slots[72] = capacity_pages.slot_form(slots[2], request.form)
            sent_resources[93] = capacity_pages.resource_form(resources[3], request.form)
            for form in (sent_slots[72], sent_resources[93]):
                form.validate()
                form.capacity.errors = list(form.capacity.errors) + ['Too <many> & "more"']
        slot_forms = {s.id: sent_slots.get(s.id) or capacity_pages.slot_form(s) for s in slots}
        resource_forms = {r.id: sent_resources.get(r.id) or capacity_pages.resource_form(r) for r in resources}
        context = _context()
        old_slots = render_template_string(OLD_SLOTS, slots=slots, slot_forms=slot_forms, **context)
        old_resources = render_template_string(
            OLD_RESOURCES, resources=resources, resource_forms=resource_forms, **context
        )
        new_slots = render_template_string(NEW, printed=slot_rows(slots, sent_slots, **context))
        new_resources = render_template_string(NEW, printed=resource_rows(resources, sent_resources, **context))
    assert new_slots == old_slots
    assert new_resources == old_resources
    assert new_slots.count("<tr id=") == new_resources.count("<tr id=") == len(FILLS)
    assert ("field-error" in new_slots and "12&lt;b&gt;" in new_slots) is posted
    assert ("field-error" in new_resources) is posted


def test_no_rows(app):
    with app.test_request_context("/"):
        context = _context()
        assert render_template_string(NEW, printed=slot_rows([], {}, **context)) == "<tbody></tbody>"
        assert render_template_string(NEW, printed=resource_rows([], {}, **context)) == "<tbody></tbody>"


# the macro of templates/capacity/_month.html as it was before the days moved to Python
OLD_MONTH = """{%- macro month_days(days) %}
  {% for d in days %}
  {# one day #}
  <li class="cal-day fill-{{ d.state }}{% if d.day == today %} today{% endif %}{% if d.day < today %} past{% endif %}">
    <a class="cal-date" href="{{ d.href }}">
      <span class="cal-weekday">{{ d.weekday }}</span>
      <strong>{{ d.day.day }}</strong>
      <span class="visually-hidden">{{ d.long_date }}</span>
      {% if d.day == today %}<span class="badge info">{{ _("Today") }}</span>{% endif %}
    </a>
    {% if d.has_slots %}
    <span class="cal-total" title="{{ total_title }}"><span class="visually-hidden">{{ booked_text }}</span> {{ d.booked }}<span aria-hidden="true">/</span><span class="visually-hidden">{{ of_text }}</span>{{ d.capacity }}</span>
    <span class="badge fill fill-{{ d.state }}">{{ d.label }}</span>
    {% if d.resources %}
    <ul class="cal-resources">
      {% for r in d.resources %}
      {# one resource day #}
      <li class="fill-{{ r.state }}"><abbr title="{{ r.name }}">{{ r.code }}</abbr> {{ r.used }}/{{ r.capacity }}{% if r.note %} <span class="res-full">{{ r.note }}</span>{% endif %}</li>
      {% endfor %}
    </ul>
    {% endif %}
    {% else %}
    <span class="muted cal-none">{{ no_slots_text }}</span>
    {% endif %}
  </li>
  {% endfor %}
{%- endmacro %}
{%- set total_title, booked_text, of_text, no_slots_text = _('Booked / capacity'), _("Booked"), _("of"), _("No slots") -%}
<ol>{{- month_days(days) }}</ol>"""
NEW_MONTH = "<ol>{{- printed }}</ol>"


def _cells(today):
    cells = []
    for n in range(6):
        day = today + datetime.timedelta(days=n - 2)
        resources = []
        if n % 3:
            for m, (capacity, booked, held, _closed) in enumerate(FILLS[1:]):
                state = capacity_pages.fill_state(booked + held, capacity)
                note = "Full <&>" if state in capacity_pages.RESOURCE_FILLS_NAMED else ""
                resources.append(
                    capacity_pages.CalendarResourceCell(
                        state, f"R{m}<i>", f'Name "{m}" &', booked + held, capacity, note
                    )
                )
        has_slots = n != 4
        cells.append(
            capacity_pages.CalendarCell(
                day,
                f"/desk/capacity/{day.isoformat()}?a=1&b=<2>",
                "Tue<>",
                f"March {day.day} & <long>",
                "busy" if has_slots else "none",
                "Filling <up>" if has_slots else "",
                40 + n,
                100,
                has_slots,
                resources,
            )
        )
    return cells


@pytest.mark.parametrize("language", ["en", "zh"])
def test_month_days_as_the_macro_printed_them(app, language):
    today = datetime.date(2026, 3, 4)
    with app.test_request_context("/"), force_locale(language):
        cells = _cells(today)
        old = render_template_string(OLD_MONTH, days=cells, today=today)
        new = render_template_string(NEW_MONTH, printed=month_days(cells, today))
        empty_old = render_template_string(OLD_MONTH, days=[], today=today)
        empty_new = render_template_string(NEW_MONTH, printed=month_days([], today))
    assert new == old
    assert new.count('class="cal-day') == 6 and new.count(" today") == 1 and new.count(" past") == 2
    assert empty_new == empty_old


# the weekly template's weekdays and rows as templates/capacity/template.html printed them before
OLD_TEMPLATE = """{% from "_forms.html" import field %}
{% for option in form.weekdays %}
<label for="{{ option.id }}">{{ option(**({'aria-describedby': 'weekdays-error'} if form.weekdays.errors else {})) }} {{ option.label.text }}</label>
{% endfor %}
{% for entry in form.slots %}
<td>{{ field(entry.form.start) }}</td><td>{{ field(entry.form.end) }}</td><td>{{ field(entry.form.capacity, attrs={'size': 6}) }}</td>
{% endfor %}
{% for f in form.resource_fields %}{{ field(f, attrs={'size': 6}) }}{% endfor %}"""
NEW_TEMPLATE = """{% for option in form.weekdays %}
<label for="{{ option.id }}">{{ form_control(option, {'aria-describedby': 'weekdays-error'} if form.weekdays.errors else {}) }} {{ option.label.text }}</label>
{% endfor %}
{% for entry in form.slots %}
<td>{{ form_field(entry.form.start) }}</td><td>{{ form_field(entry.form.end) }}</td><td>{{ form_field(entry.form.capacity, none, {'size': 6}) }}</td>
{% endfor %}
{% for f in form.resource_fields %}{{ form_field(f, none, {'size': 6}) }}{% endfor %}"""

TEMPLATE_POSTED = {
    "start": "2026-13-01",
    "end": "",
    "weekdays": ["1", "3"],
    "slots-0-start": "07:30",
    "slots-0-end": "<x>",
    "slots-0-capacity": "",
    "slots-1-start": "",
    "slots-1-end": "",
    "slots-1-capacity": "9",
    "resource_1": "abc",
}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("posted", [False, True])
def test_template_form_controls_as_wtforms_and_the_macro_printed_them(app, language, posted):
    resources = [Resource(id=1, code="CT", name_en="CT <scanner>", name_zh="CT 机", daily_capacity=20)]
    labels = {1: 'CT · "scanner" <&>'}
    with (
        app.test_request_context("/", method="POST", data=TEMPLATE_POSTED if posted else {}),
        force_locale(language),
    ):
        if posted:
            form = template_form(resources, labels, formdata=request.form)
            form.validate()
            form.weekdays.errors = list(form.weekdays.errors) + ["Choose <one>"]
        else:
            form = template_form(resources, labels, today=datetime.date(2026, 3, 4))
        old = render_template_string(OLD_TEMPLATE, form=form)
        new = render_template_string(NEW_TEMPLATE, form=form)
    assert new.lstrip("\n") == old.lstrip("\n")  # the old one's import line leaves a newline of its own
    assert ("field-error" in new and 'aria-describedby="weekdays-error"' in new) is posted
