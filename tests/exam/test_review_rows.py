"""The review page's results rows printed in Python (blueprints/exam/review_rows.py) are the markup the
template's loop printed, byte for byte: pending, skipped (a listed reason, a derived item's reason, free text),
normal, each kind of finding, every flag, previous values and trends, computed items, a unit from the item or
the result, markup in every text; and the review home page's PDF progress per signed report as the included
review/_pdf_status.html printed it, in every state; in English and Chinese."""

import datetime
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.review_rows import pdf_statuses, results_rows
from checkup.models import Department, ExamItem, Report, Result
from checkup.services.exam.report_review import PageDepartment, PageItem, PageResult, ReviewRow
from checkup.services.exam.results import DERIVED_SOURCE

# templates/review/_results_table.html's loop as it was before the rows moved to Python
OLD_LOOP = """{% set kind_labels = {'critical': _('Critical'), 'significant': _('Significant'), 'mild': _('Mild')} %}
{% set trend_labels = {'↑': _('higher than last time'), '↓': _('lower than last time'), '→': _('same as last time')} %}
  {% for row in data.rows %}
    <tr{% if row.abnormal %} class="abnormal"{% endif %}>
      <td>{{ localized(row.department) }}</td>
      <th scope="row">{{ localized(row.item) }} <small class="muted">{{ row.item.code }}</small>{% if row.computed %} <span class="badge info computed">{{ _("computed") }}</span>{% endif %}</th>
      {% if not row.done %}
      <td colspan="4"><span class="badge pending">{{ _("Pending") }}</span></td>
      {% elif row.result.skipped %}
      <td colspan="4"><span class="badge info">{{ _("Skipped") }}</span> <small class="muted">{{ row.skip_label }}</small></td>
      {% else %}
      <td>{% if row.abnormal %}<strong>{{ row.value }}</strong>{% else %}{{ row.value }}{% endif %}</td>
      <td>{{ row.unit }}</td>
      <td>{{ row.reference }}</td>
      <td>{% if row.flag and row.flag != 'N' %}<span class="badge {{ flag_class(row.flag) }}">{{ flag_label(row.flag) }}</span>{% endif %}</td>
      {% endif %}
      <td>{% if row.kind %}{{ kind_labels[row.kind] }}{% endif %}</td>
      <td>{% if row.previous_value %}{{ row.previous_value }} <small class="muted">{{ row.previous_day.isoformat() }}</small>{% endif %}</td>
      <td>{% if row.trend %}<span title="{{ trend_labels[row.trend] }}" aria-label="{{ trend_labels[row.trend] }}">{{ row.trend }}</span>{% endif %}</td>
    </tr>
  {% endfor %}"""
NEW_LOOP = "\n\n  {{ rows }}"


class Data:
    def __init__(self, rows):
        self.rows = rows


def _rows():
    lab = Department(id=1, code="LAB", name_en="Lab <&>", name_zh="检验科", sort_order=1)
    plain = Department(id=2, code="GEN", name_en="General", name_zh="", sort_order=2)
    rows = []

    def row(code, result=None, department=lab, unit="mmol/L", **extra):
        item = ExamItem(id=len(rows) + 1, code=code, name_en=f"{code} <i>", name_zh=f"{code}项", unit=unit)
        item.department = department
        made = ReviewRow(item=item, department=department, result=result)
        for name, value in extra.items():
            setattr(made, name, value)
        rows.append(made)
        return made

    def result(**values):
        return Result(**{"value_text": "", "unit": "", "flag": "", "skipped": False, "skip_reason": "", **values})

    row("PEND")
    row("SKIP", result(skipped=True, skip_reason="refused"))
    row("SKIP2", result(skipped=True, skip_reason="<b>typed</b> & more"))
    row("BMI", result(skipped=True, skip_reason="derived:unmeasured:HEIGHT"), department=plain)
    row("NORM", result(value_num=Decimal("5.4000"), flag="N", ref_low=Decimal("3.9"), ref_high=Decimal("6.1")))
    row("NOFLAG", result(value_text="clear <ok>", unit="x&y"), unit="")
    for kind, flag, arrow in (("critical", "HH", "↑"), ("significant", "L", "↓"), ("mild", "H", "→")):
        row(
            kind.upper(),
            result(value_num=Decimal("7.25"), flag=flag, ref_high=Decimal("6.1")),
            kind=kind,
            trend=arrow,
            previous_value="6.9",
            previous_num=Decimal("6.9"),
            previous_day=datetime.date(2025, 3, 4),
        )
    row("ABN", result(value_text="<odd>", flag="A"), kind="significant", advice_key="ABN:A")
    row("LL", result(value_num=Decimal("0.5"), flag="LL", ref_low=Decimal("1")), kind="critical")
    row("ODDFLAG", result(value_num=Decimal("1"), flag="Q"), unit="")
    row("DER", result(value_num=Decimal("22.1"), flag="N", source=DERIVED_SOURCE), department=plain)
    row(
        "PREV",
        result(value_num=Decimal("1.2"), flag=""),
        previous_value="<1.0>",
        previous_day=datetime.date(2024, 1, 2),
    )
    names = {r.item.code: r.item.name_en for r in rows}
    for made in rows:
        made.input_names = names
    return rows


def _page_rows():
    """``_rows()`` with their items, departments and results as the review page's read gives them
    (report_review.PageItem, PageDepartment, PageResult: named tuples, not models)."""
    rows = _rows()
    for row in rows:
        department = PageDepartment(*(getattr(row.department, name) for name in PageDepartment._fields))
        item = row.item
        row.item = PageItem(item.id, item.code, item.name_en, item.name_zh, department.id, item.unit, "", department)
        row.department = department
        if row.result is not None:
            row.result = PageResult(*(getattr(row.result, name, None) for name in PageResult._fields))
    return rows


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("read", [_rows, _page_rows])
def test_rows_as_the_template_printed_them(app, language, read):
    rows = read()
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_LOOP, data=Data(rows))
        new = render_template_string(NEW_LOOP, rows=results_rows(rows))
    assert new == old
    assert "<strong>" in new and "&lt;b&gt;typed" in new and 'class="badge info computed"' in new


def test_no_rows_print_nothing(app):
    with app.test_request_context("/"):
        assert render_template_string(NEW_LOOP, rows=results_rows([])) == render_template_string(
            OLD_LOOP, data=Data([])
        )


# templates/review/index.html's signed rows' PDF cell as it was (review/_pdf_status.html included per row)
OLD_PDF = """{%- set some_id = 987654321 %}
{%- set pdf_links = {
  "status": url_for('review.pdf_status', report_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d'),
  "download": url_for('report_files.download', report_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d'),
} %}
{% for report in reports %}<td>{% include "review/_pdf_status.html" %}</td>{% endfor %}"""
NEW_PDF = "\n{% for status in statuses %}<td>{{ status }}</td>{% endfor %}"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pdf_statuses_as_the_include_printed_them(app, language):
    states = ("ready", "failed", "rendering", "pending", "none", "odd")
    reports = [Report(id=n + 1, version=n + 2, pdf_state=state) for n, state in enumerate(states)]
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_PDF, reports=reports)
        new = render_template_string(NEW_PDF, statuses=pdf_statuses(reports))
    assert new == old
    assert "hx-get=" in new and "csrf_token" in new and ".pdf" in new
