"""HR's employee list printed in Python (blueprints/hr/employee_rows.py) is the table
templates/hr/_employee_results.html printed through the shared table macro, byte for byte: every status (and one
the list does not know), with and without a department, an invitation date, an address on file, names with and
without a booking link, markup in every text, no rows at all; in English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.hr.employee_rows import employee_table
from checkup.services.groups.enrollments import STATUSES, EmployeeRow, status_label
from checkup.web.row_printing import address_pattern

# templates/hr/_employee_results.html's table as it was before its rows moved to Python (the template's own loop)
OLD = """{% from "components/table.html" import table %}
  {%- set l_number, l_name, l_department, l_category, l_status, l_invited, l_email =
        _("Employee number"), _("Full name"), _("Company department"), _("Category"), _("Status"), _("Invited on"), _("Email") %}
  {%- set l_on_file, l_no_email = _("On file"), _("No email") %}
  {%- set l_select = _("Select %(name)s", name="%(name)s") %}
  {%- set status_names, badges = {}, {'completed': 'success', 'no_show': 'danger', 'booked': 'info', 'checked_in': 'info'} %}
  {%- for status in statuses %}{% set _unused = status_names.update({status: status_label(status)|string}) %}{% endfor %}
  {%- set some_id = 987654321 %}
  {%- set booking_link = url_for(booking_endpoint, enrollment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d')
        if booking_endpoint and contract_active else none %}
@@
  {% call table([{'label': _("Select"), 'hidden': true}, l_number, l_name, l_department, l_category, l_status, l_invited,
                 l_email]) %}
    {% for row in rows %}
    <tr>
      <td class="pick"><input type="checkbox" name="ids" value="{{ row.enrollment_id }}" id="pick-{{ row.enrollment_id }}">
          <label for="pick-{{ row.enrollment_id }}" class="visually-hidden">{{ l_select % {'name': row.name} }}</label></td>
      <td data-label="{{ l_number }}">{{ row.employee_no }}</td>
      <td data-label="{{ l_name }}">{% if booking_link %}<a href="{{ booking_link % row.enrollment_id }}">{{ row.name }}</a>{% else %}{{ row.name }}{% endif %}</td>
      <td data-label="{{ l_department }}">{{ row.department or '—' }}</td>
      <td data-label="{{ l_category }}">{{ row.category }}</td>
      <td data-label="{{ l_status }}"><span class="badge {{ badges.get(row.status, '') }}">{{ status_names[row.status] }}</span></td>
      <td data-label="{{ l_invited }}">{{ row.invited_at|center_time('%Y-%m-%d') if row.invited_at else '—' }}</td>
      <td data-label="{{ l_email }}">{% if row.has_email %}{{ l_on_file }}{% else %}<span class="badge warning">{{ l_no_email }}</span>{% endif %}</td>
    </tr>
    {% else %}
    <tr><td colspan="8">{{ _("No employee matches.") }}</td></tr>
    {% endfor %}
  {% endcall %}"""
# the same place now
NEW = """@@
  {{ employee_table(rows, booking_link) }}"""
BOOKING = "hr_booking.detail"


def _rows():
    late_evening = datetime.datetime(2026, 3, 1, 20, 30)  # UTC: the next day at the center
    rows = []
    for number, status in enumerate((*STATUSES, "archived")):
        rows.append(
            EmployeeRow(
                enrollment_id=100 + number,
                employee_no=f"E-{number}<b>",
                name=f"Ann <{status}> & \"Co\" 'x'",
                department="Sales & <Ops>" if number % 2 else "",
                category="Men 40+ <m>",
                status=status,
                invited_at=late_evening if number % 3 else None,
                has_email=bool(number % 2),
            )
        )
    rows.append(EmployeeRow(999, "E-9", "李 明", "生产部", "女性", STATUSES[1], late_evening, True))
    return rows


def _render(app, language, template, rows, with_link):
    with app.test_request_context("/"), force_locale(language):
        link = address_pattern(BOOKING, "enrollment_id") if with_link else None
        page = render_template_string(
            template,
            rows=rows,
            statuses=STATUSES,
            status_label=status_label,
            booking_endpoint=BOOKING,
            contract_active=with_link,
            booking_link=link,
            employee_table=employee_table,
        )
    return page.split("@@", 1)[1]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("with_link", [True, False])
def test_rows_as_the_template_printed_them(app, language, with_link):
    rows = _rows()
    old = _render(app, language, OLD, rows, with_link)
    new = _render(app, language, NEW, rows, with_link)
    assert new == old
    assert "Ann &lt;booked&gt; &amp; &#34;Co&#34; &#39;x&#39;" in new and "2026-03-02" in new
    assert ('href="/hr/employees/999/booking"' in new) is with_link


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_rows_as_the_template_printed_them(app, language):
    old = _render(app, language, OLD, [], False)
    new = _render(app, language, NEW, [], False)
    assert new == old
    assert 'colspan="8"' in new
