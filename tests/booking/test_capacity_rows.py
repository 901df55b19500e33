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


# the day page's pager as it printed it: components/pager.html's macro for the day's appointments
OLD_PAGER = (
    '{% from "components/pager.html" import pager %}<div>{{ pager(listed, "capacity.day", none, day=day) }}</div>'
)
NEW_PAGER = "<div>{{ printed }}</div>"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    "number, pages, more",
    [(1, 1, False), (1, 3, False), (2, 3, False), (3, 3, False), (2, None, True), (2, None, False), (1, None, True)],
)
def test_day_pager_as_the_macro_printed_it(app, language, number, pages, more):
    from checkup.blueprints.desk.capacity_rows import day_pager
    from checkup.core.pagination import Page

    listed = Page(list(range(50)), number, pages, None if pages is None else pages * 50, 50, more)
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_PAGER, listed=listed, day="2026-12-08")
        new = render_template_string(NEW_PAGER, printed=day_pager(listed, "2026-12-08"))
    assert new == old


def test_slot_times_as_the_template_printed_them(app):
    import datetime

    from checkup.blueprints.desk.capacity_rows import slot_times
    from checkup.services.booking.capacity import DaySlot

    slots = [
        DaySlot(7, datetime.date(2026, 12, 8), datetime.time(7, 5), datetime.time(8, 0), 10, 1, 0, 0, False),
        DaySlot(8, datetime.date(2026, 12, 8), datetime.time(13, 30), datetime.time(14, 45), 10, 1, 0, 0, True),
    ]
    template = "{% for s in slots %}{{ s.id }}={{ s.start_time.strftime('%H:%M') ~ '–' ~ s.end_time.strftime('%H:%M') }};{% endfor %}"
    with app.test_request_context("/"):
        old = render_template_string(template, slots=slots)
    assert "".join(f"{k}={v};" for k, v in slot_times(slots).items()) == old


# the day page's close and reopen forms as the template printed them from a CloseDayForm / ReopenDayForm
OLD_CLOSE = '{% from "_forms.html" import field %}{{ close_form.csrf_token }}\n    {{ field(close_form.note) }}'
OLD_REOPEN = "{{ reopen_form.csrf_token }}"
NEW_FORM = "{{ token }}\n    {{ note }}"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("csrf", [True, False])
def test_the_day_forms_as_the_template_printed_them(app, monkeypatch, language, csrf):
    from checkup.blueprints.desk.capacity import _close_fields
    from checkup.forms.capacity import CloseDayForm, ReopenDayForm
    from checkup.web.kept_markup import token_field

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", csrf)
    posted = {"note": "x" * 201 + " <b>"}
    for data in (None, posted):
        with app.test_request_context("/", method="POST" if data else "GET", data=data), force_locale(language):
            form = CloseDayForm() if data else CloseDayForm(formdata=None)
            if data:
                assert not form.validate()
            old = render_template_string(OLD_CLOSE, close_form=form)
            token, note = _close_fields(form if data else None)
            assert render_template_string(NEW_FORM, token=token, note=note) == old
            old_reopen = render_template_string(OLD_REOPEN, reopen_form=ReopenDayForm(formdata=None))
            assert render_template_string("{{ token }}", token=token_field()) == old_reopen
            assert ("csrf_token" in old) is csrf
