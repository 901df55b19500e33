"""The capacity day page's appointments printed in Python (blueprints/desk/capacity_rows.py) are the markup the
loop of templates/capacity/day.html printed, byte for byte: with and without a phone, a slot on the page or not,
markup in names, phones and codes; in English and Chinese."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.desk.capacity_rows import appointment_rows

# the macro of templates/capacity/day.html as it was before the rows moved to Python
OLD_MACRO = """{% macro appointment_rows(appointments, slot_times) %}
{#- a thousand rows on a busy day, unpacked (DayAppointment) and joined into one string here: as part of
   the page's block every piece of them went through three template generators #}
{%- set no_phone = _("no phone") %}
{%- for _id, exam_code, slot_id, client_name, client_phone in appointments %}
    <tr>
      <td>{{ client_name }}</td>
      <td>{% if client_phone %}<a href="tel:{{ client_phone }}">{{ client_phone }}</a>{% else %}<span class="muted">{{ no_phone }}</span>{% endif %}</td>
      <td><code>{{ exam_code }}</code></td>
      <td>{{ slot_times[slot_id] if slot_id in slot_times else '' }}</td>
    </tr>
{%- endfor %}
{%- endmacro %}"""
OLD = OLD_MACRO + "<tbody>{{ appointment_rows(appointments, slot_times) }}</tbody>"
NEW = "<tbody>{{ printed }}</tbody>"

APPOINTMENTS = [
    (1, "EX1&<b>", 7, "Name <1> & 'x'", '0138"<tel>'),
    (2, "EX2", 8, "无电话", None),
    (3, "EX3", 99, "Other slot", ""),
    (4, "EX4", 7, "Plain", "555-1234"),
]
SLOT_TIMES = {7: "08:00\u201308:30", 8: "08:30\u201309:00 <&>"}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("appointments", [APPOINTMENTS, []])
def test_rows_as_the_template_printed_them(app, language, appointments):
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD, appointments=appointments, slot_times=SLOT_TIMES)
        new = render_template_string(NEW, printed=appointment_rows(appointments, SLOT_TIMES))
    assert new == old
    assert new.count("<tr>") == len(appointments)
