"""The follow-up worklist's rows printed in Python (blueprints/care/followups_rows.py) are the markup the loop
of templates/care/_followups_results.html printed, byte for byte: open and closed, a service-recovery one,
every level (and one outside the list), overdue, with and without a department, an assignee or an outcome,
an assignee whose account is gone, markup in every text; the empty list's row; in English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.care.followups_rows import plain_rows, worklist_rows
from checkup.services.care import followup_worklist, followups
from checkup.services.care.followup_worklist import DepartmentName, Named, WorklistRow

# the loop as it was before the rows moved to Python (from the <tbody> to the </tbody>)
OLD_LOOP = """<tbody>
    {% set overdue_text, unassigned_text, service_text = _("Overdue"), _("Unassigned"), care_label('kind', 'service') %}
    {#- translated once, as the text before and after the name; each row prints its client's name (escaped) between -#}
    {% set select_of = _("Select the follow-up of %(name)s", name="%(name)s").split("%(name)s") %}
    {%- set select_before, select_after = select_of[0], select_of[1:]|join("") %}
    {#- the rows' address is a pattern (url_for costs ~10 µs a call) -#}
    {% set some_id = 987654321 %}
    {%- set detail_link = url_for('care_followups.detail', follow_up_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}{% for f in result.items %}
    <tr>
      <td>{% if f.status == 'open' %}<label for="pick-{{ f.id }}"><input type="checkbox" id="pick-{{ f.id }}" name="ids" value="{{ f.id }}"><span class="visually-hidden">{{ select_before }}{{ f.client.name }}{{ select_after }}</span></label>{% endif %}</td>
      <td><span class="badge {{ 'danger' if f.level == 'A' else 'warning' if f.level == 'B' else 'info' }}">{{ f.level_label }}</span></td>
      <td><a href="{{ detail_link % f.id }}">{{ f.client.name }}</a>
        {% if f.kind == 'service' %}<br><small class="muted">{{ service_text }}</small>{% endif %}</td>
      <td>{{ f.due_text }}{% if f.is_overdue %} <span class="badge danger">{{ overdue_text }}</span>{% endif %}</td>
      <td>{{ f.department_name if f.department_id else '—' }}</td>
      <td>{{ f.assignee_user.name if f.assignee_id and f.assignee_user else unassigned_text }}</td>
      <td>{{ f.status_label }}{% if f.outcome_code %} · {{ f.outcome_label }}{% endif %}</td>
      <td class="num">{{ f.attempt_count }}</td>
    </tr>
    {% else %}
    <tr><td colspan="8">{{ _("No follow-up matches these filters.") }}</td></tr>
    {% endfor %}
    </tbody>"""
NEW_LOOP = """<tbody>
    {{ rows }}
    </tbody>"""


class Result:
    def __init__(self, items):
        self.items = items


def _rows():
    due = datetime.datetime(2026, 12, 7, 8, 30)
    surgery = DepartmentName(3, "Surgery <&>", "外科")
    rows = []

    def row(level, status="open", kind="finding", department=surgery, assignee=None, assignee_id=None, **extra):
        values = {
            "id": len(rows) + 1,
            "client": Named(f'Wang <b>"{len(rows)}"</b> & co'),
            "level": level,
            "due_at": due,
            "status": status,
            "kind": kind,
            "department_id": department.id if department else None,
            "department": department,
            "assignee_id": assignee_id if assignee_id is not None else (7 if assignee else None),
            "assignee_user": assignee,
            "outcome_code": None,
            "attempt_count": len(rows),
            "is_overdue": False,
            "level_label": str(followups.label("level", level)),
            "status_label": str(followups.label("status", status)),
            "outcome_label": "",
            "due_text": "2026-12-07 16:30",
            "department_name": department.name_zh if department and department.name_zh else None,
            **extra,
        }
        rows.append(WorklistRow(**values))

    row("A", is_overdue=True, assignee=Named("Li <i>Na</i>"))
    row("B", kind="service", department=None)
    row("C", department_name="Surgery <&>")
    row("Z", level_label="Z <odd>")
    row("A", status="closed", outcome_code="referred", outcome_label="Referred <&>", assignee=Named("Zhou"))
    row("B", status="closed", outcome_code=None, assignee_id=9)  # the assignee's account is gone
    row("C", kind="service", is_overdue=True, due_text="<late>", status_label="Open & <now>")
    return rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    rows = _rows()
    with app.test_request_context("/care/followups"), force_locale(language):
        context = {"care_label": followups.label}
        old = render_template_string(OLD_LOOP, result=Result(rows), **context)
        new = render_template_string(NEW_LOOP, rows=worklist_rows(rows))
    assert new == old
    assert new.count("<tr>") == len(rows) and 'class="badge danger"' in new and "&lt;b&gt;" in new
    assert 'id="pick-1"' in new and 'id="pick-5"' not in new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_rows_print_the_empty_row(app, language):
    with app.test_request_context("/care/followups"), force_locale(language):
        old = render_template_string(OLD_LOOP, result=Result([]), care_label=followups.label)
        new = render_template_string(NEW_LOOP, rows=worklist_rows([]))
    assert new == old
    assert 'colspan="8"' in new


def _plain_rows():
    """Rows as followup_worklist.plain_worklist reads them (its columns, the page's total last): every state
    ``_rows`` covers, read from the database instead."""
    due = datetime.datetime(2026, 12, 7, 8, 30)
    late = datetime.datetime(2026, 12, 1, 8, 30)
    rows = []

    def row(level, status="open", kind="finding", department=(3, "Surgery <&>", "外科"), assignee=None, **extra):
        values = {
            "client": f'Wang <b>"{len(rows)}"</b> & co',
            "due_at": due,
            "assignee_id": 7 if assignee else None,
            "outcome_code": "",
            **extra,
        }
        department_id, name_en, name_zh = department or (None, None, None)
        rows.append(
            (
                len(rows) + 1,
                values["client"],
                level,
                values["due_at"],
                status,
                kind,
                department_id,
                name_en,
                name_zh,
                values["assignee_id"],
                assignee,
                values["outcome_code"],
                len(rows),
                99,
            )
        )

    row("A", due_at=late, assignee="Li <i>Na</i>")
    row("B", kind="service", department=None)
    row("C", department=(4, "Internal <medicine>", ""))
    row("Z")
    row("A", status="closed", outcome_code="referred", assignee="Zhou", due_at=late)
    row("B", status="closed", outcome_code="odd <code>", assignee_id=9)  # the assignee's account is gone
    row("C", kind="service", due_at=late, assignee="Li <i>Na</i>")
    row("A", status="closed", assignee="Zhou", department=(4, "Internal <medicine>", ""))
    return rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_plain_rows_as_the_template_printed_them(app, language):
    """plain_rows prints from the statement's rows what the old loop printed of the same rows as WorklistRow."""
    rows = _plain_rows()
    now_utc = datetime.datetime(2026, 12, 5, 0, 0)
    with app.test_request_context("/care/followups"), force_locale(language):
        items = followup_worklist.worklist_items(rows, now_utc)
        old = render_template_string(OLD_LOOP, result=Result(items), care_label=followups.label)
        new = render_template_string(NEW_LOOP, rows=plain_rows(rows, now_utc))
        empty_old = render_template_string(OLD_LOOP, result=Result([]), care_label=followups.label)
        empty_new = render_template_string(NEW_LOOP, rows=plain_rows([], now_utc))
    assert new == old and empty_new == empty_old
    assert new.count(' <span class="badge danger">') == 2  # overdue: the open ones due before now (1 and 7)
    assert "外科" in new if language == "zh" else "Surgery &lt;&amp;&gt;" in new
    assert "&lt;i&gt;" in new and 'id="pick-5"' not in new and 'id="pick-7"' in new


def test_each_language_prints_its_own_labels_and_each_zone_its_own_due_times(app):
    """What the rows print alike is kept per language and process, and a due time's text per zone: asking in
    English, Chinese, then English again (one process), and again after the center's zone changes, prints
    what the old loop printed each time."""
    rows = _plain_rows()
    now_utc = datetime.datetime(2026, 12, 5, 0, 0)

    def both(language):
        with app.test_request_context("/care/followups"), force_locale(language):
            items = followup_worklist.worklist_items(rows, now_utc)
            old = render_template_string(OLD_LOOP, result=Result(items), care_label=followups.label)
            return old, render_template_string(NEW_LOOP, rows=plain_rows(rows, now_utc))

    printed = {}
    for language in ("en", "zh", "en"):
        old, new = both(language)
        assert new == old
        printed.setdefault(language, new)
    assert printed["en"] != printed["zh"] and "2026-12-01 16:30" in printed["en"]  # Asia/Shanghai: UTC+8
    zone = app.config["TIMEZONE"]
    app.config["TIMEZONE"] = "Europe/London"
    try:
        old, new = both("en")
    finally:
        app.config["TIMEZONE"] = zone
    assert new == old and "2026-12-01 08:30" in new and "16:30" not in new
