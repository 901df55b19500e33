"""The employee list's filter options printed in Python (blueprints/hr/employee_rows.filter_options) are the
three loops templates/hr/employees.html printed, byte for byte: every status, departments with and without a
name (and markup), categories, with each filter chosen or none; in English and Chinese."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.hr.employee_rows import filter_options
from checkup.services.groups.enrollments import STATUSES, EmployeeFilters, status_label

# the three loops of templates/hr/employees.html as they were before their options moved to Python
OLD = """@@{% for status in statuses %}<option value="{{ status }}" {% if status == filters.status %}selected{% endif %}>{{ status_label(status) }}</option>{% endfor %}
@@
      {% for name in departments %}
      {% set value = name or '-' %}
      <option value="{{ value }}" {% if value == filters.department %}selected{% endif %}>{{ name or _("No department") }}</option>
      {% endfor %}
@@{% for pk, label in categories %}<option value="{{ pk }}" {% if pk == filters.category_id %}selected{% endif %}>{{ label }}</option>{% endfor %}
"""
NEW = """{% set options = filter_options(departments, categories, filters) %}@@{{ options.statuses }}
@@
      {{ options.departments }}
@@{{ options.categories }}
"""
DEPARTMENTS = ["", "R&D <lab>", "Sales", "生产部", 'Say "hi"']
CATEGORIES = [(3, "Men 40+ <m>"), (7, "Women & 'co'"), (9, "女性")]
FILTERS = [
    EmployeeFilters(),
    EmployeeFilters(status="booked", department="-", category_id=7),
    EmployeeFilters(status=STATUSES[0], department="R&D <lab>", category_id=3),
    EmployeeFilters(department="生产部", category_id=12345),
]


def _render(app, language, template, departments, categories, filters):
    with app.test_request_context("/"), force_locale(language):
        return render_template_string(
            template,
            statuses=STATUSES,
            status_label=status_label,
            departments=departments,
            categories=categories,
            filters=filters,
            filter_options=filter_options,
        )


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("filters", FILTERS)
def test_options_as_the_template_printed_them(app, language, filters):
    old = _render(app, language, OLD, DEPARTMENTS, CATEGORIES, filters)
    new = _render(app, language, NEW, DEPARTMENTS, CATEGORIES, filters)
    assert new == old
    assert "R&amp;D &lt;lab&gt;" in new and "selected" in new or filters == EmployeeFilters()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_departments_or_categories(app, language):
    old = _render(app, language, OLD, [], [], EmployeeFilters())
    new = _render(app, language, NEW, [], [], EmployeeFilters())
    assert new == old
