"""The reference-range table's rows printed in Python (blueprints/exam/ranges_rows) are the markup
templates/exam/_ranges.html's macro printed, byte for byte: items without a range, ranges with and without
bounds, critical bounds on one side or both, a sex code without a label of its own, markup in every text, no
item at all; in English and Chinese."""

from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.ranges_rows import range_rows
from checkup.services.catalog.catalog import RangeTableItem, RangeTableRow

# templates/exam/_ranges.html as it was before its rows moved to Python
OLD_MACRO = """
{%- set sex_labels = {} %}
{%- for code in ('any', 'male', 'female') %}{% set _unused = sex_labels.update({code: choice_label('sex', code)|string}) %}{% endfor %}
{%- set critical_label = _("critical") %}
{%- set no_range = _("No numeric range") %}
{%- macro range_rows(items) %}
{%- for item in items %}
<tr>
  <td>{{ item.department }}</td>
  <td>{{ item.code }}</td>
  <td>{{ item.name }}</td>
  <td>{{ item.unit }}</td>
  <td>
    {% for r in item.ranges %}
    <div><small>{{ sex_labels[r.sex] if r.sex in sex_labels else choice_label('sex', r.sex) }} {{ r.age_min }}–{{ r.age_max }}:</small>
      {{ r.low|string if r.low is not none else '' }}–{{ r.high|string if r.high is not none else '' }}
      {% if r.critical_low is not none or r.critical_high is not none %}<small class="muted">({{ critical_label }} &lt;{{ r.critical_low if r.critical_low is not none else '—' }} / &gt;{{ r.critical_high if r.critical_high is not none else '—' }})</small>{% endif %}
    </div>
    {% else %}<span class="muted">{{ no_range }}</span>{% endfor %}
  </td>
</tr>
{% else %}
<tr><td colspan="5">{{ _("No item matches.") }}</td></tr>
{% endfor %}
{%- endmacro %}
{{- range_rows(items) }}"""


def _items():
    d = Decimal
    return [
        RangeTableItem(
            "GLU",
            "空腹血糖 <b>",
            "生化 & 免疫",
            "mmol/L",
            [RangeTableRow("any", 0, 120, d("3.9"), d("6.1"), d("2.8"), d("25.0"))],
        ),
        RangeTableItem(
            "WBC",
            "White cells",
            "Lab",
            "10^9/L",
            [
                RangeTableRow("male", 18, 120, d("3.50"), d("9.5"), None, d("30")),
                RangeTableRow("female", 18, 120, None, d("9.5"), d("1.0"), None),
                RangeTableRow("other", 0, 17, d("4"), None, None, None),
            ],
        ),
        RangeTableItem("US-LIVER", 'Liver "ultrasound"', "US", "", []),
        RangeTableItem("X'1", "a&b", "<dept>", "<u>", [RangeTableRow("any", 0, 0, d("0"), d("0.00"), None, None)]),
    ]


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_rows_are_what_the_macro_printed(app, locale):
    with app.test_request_context("/exam/ranges"), force_locale(locale):
        for items in (_items(), _items()[:1], _items()[2:3], []):
            assert str(range_rows(items)) == render_template_string(OLD_MACRO, items=items)
