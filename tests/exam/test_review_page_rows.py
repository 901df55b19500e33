"""The chief physician's pages' rows printed in Python (blueprints/exam/review_rows.py) are the markup their
templates' loops printed, byte for byte: the review page's stations (no conclusion, a draft, signed with and
without a signer, a code an address must quote, a station without a Chinese name; with the reopen forms and
without, once the report is signed) and the advice library's findings (every level, from the library or not,
several results); the review queue's rows (conflicts none, one, several; no package, no reviewer) and the
recently signed reports with their PDF's progress; markup in every text; in English and Chinese."""

import datetime
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.review_rows import (
    pdf_statuses,
    ready_rows,
    signed_rows,
    stations_rows,
    suggestions_rows,
)
from checkup.forms.review import ReopenForm
from checkup.models import Appointment, Client, Department, ExamItem, Report, Result, StationConclusion, User
from checkup.services.exam.advice import SuggestedFinding
from checkup.services.exam.report_review import PageConclusion, PageDepartment, PageSigner, ReviewRow
from checkup.services.exam.review_queue import QueueClient, QueuePackage, QueueRow

# templates/review/appointment.html's loops as they were before the rows moved to Python
OLD_STATIONS = """    <tbody>
    {% for department, done, total, conclusion in data.stations %}
      <tr>
        <th scope="row">{{ localized(department) }}</th>
        <td class="num">{{ done }}/{{ total }}</td>
        <td class="prewrap">{% if conclusion %}{{ conclusion.text }}{% endif %}</td>
        <td>{% if conclusion and conclusion.status == 'signed' %}{{ conclusion.signed_by.name if conclusion.signed_by_id else "—" }} <small class="muted">{{ conclusion.signed_at|center_time }}</small>
            {% else %}<span class="badge pending">{{ _("Not signed") }}</span>{% endif %}</td>
        {% if not data.signed %}
        <td>{% if conclusion and conclusion.status == 'signed' %}
          <details><summary>{{ _("Reopen") }}</summary>
          <form method="post" action="{{ url_for('station_conclusions.reopen', appointment_id=appointment.id, department_code=department.code) }}" novalidate>
            <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
            <label for="reason-{{ department.code }}">{{ reopen_form.reason.label.text }} <span aria-hidden="true">*</span></label>
            <input id="reason-{{ department.code }}" name="reason" maxlength="500" required aria-describedby="reason-{{ department.code }}-hint">
            <small id="reason-{{ department.code }}-hint" class="muted">{{ reopen_form.reason.description }}</small>
            <button type="submit" class="secondary">{{ _("Reopen for the station doctor") }}</button>
          </form></details>
        {% endif %}</td>
        {% endif %}
      </tr>
    {% endfor %}
    </tbody>"""
NEW_STATIONS = """    <tbody>
    {{ rows }}
    </tbody>"""
OLD_SUGGESTIONS = """    <tbody>
    {% for suggestion in data.suggestions %}
      <tr>
        <th scope="row">{{ suggestion.name(is_chinese()) }}{% if not suggestion.from_library %} <small class="muted">{{ _("(no entry in the library)") }}</small>{% endif %}</th>
        <td>{% for row in suggestion.rows %}{{ localized(row.item) }} {{ row.value }}{% if not loop.last %}; {% endif %}{% endfor %}</td>
        <td>{% if suggestion.level %}<span class="badge {{ 'error' if suggestion.level == 'A' else 'warning' if suggestion.level == 'B' else 'info' }}">{{ suggestion.level }}</span>{% else %}<small class="muted">{{ _("by the rule table") }}</small>{% endif %}</td>
      </tr>
    {% endfor %}
    </tbody>"""
NEW_SUGGESTIONS = NEW_STATIONS


class Data:
    def __init__(self, **values):
        self.__dict__.update(values)


def _stations():
    lab = Department(id=1, code="LAB", name_en="Lab <&>", name_zh="检验科", sort_order=1)
    odd = Department(id=2, code="US A/b", name_en="Ultrasound", name_zh="", sort_order=2)
    gen = Department(id=3, code="GEN", name_en="General", name_zh="一般检查", sort_order=3)
    eye = Department(id=4, code="OPH", name_en="Eyes", name_zh="眼科", sort_order=4)
    ent = Department(id=5, code="ENT", name_en="ENT", name_zh="耳鼻喉科", sort_order=5)
    signer = User(id=7, name="王<b>医生</b>")
    at = datetime.datetime(2026, 12, 7, 3, 4)
    signed = StationConclusion(id=1, text="未见异常 <i>&", status="signed", signed_at=at, signed_by=signer)
    unsigned_signer = StationConclusion(id=2, text="ok", status="signed", signed_at=at, signed_by=None)
    draft = StationConclusion(id=3, text="draft <x>", status="draft", signed_at=None, signed_by=None)
    odd_signed = StationConclusion(id=4, text="", status="signed", signed_at=at, signed_by=signer)
    return [
        (lab, 3, 4, signed),
        (odd, 1, 1, odd_signed),
        (gen, 0, 2, None),
        (eye, 2, 2, draft),
        (ent, 1, 1, unsigned_signer),
    ]


def _page_stations():
    """``_stations()`` as the review page's read gives them (report_review.PageDepartment, PageConclusion)."""
    page = []
    for department, done, total, conclusion in _stations():
        if conclusion is not None:
            signer = conclusion.signed_by
            conclusion = PageConclusion(
                conclusion.id,
                department.id,
                conclusion.text,
                conclusion.status,
                signer.id if signer else None,
                conclusion.signed_at,
                PageSigner(signer.id, signer.name) if signer else None,
            )
        fields = (getattr(department, name) for name in PageDepartment._fields)
        page.append((PageDepartment(*fields), done, total, conclusion))
    return page


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("report_signed", [False, True])
@pytest.mark.parametrize("read", [_stations, _page_stations])
def test_stations_as_the_template_printed_them(app, language, report_signed, read):
    stations = read()
    appointment = Appointment(id=86)
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(
            OLD_STATIONS,
            data=Data(stations=stations, signed=report_signed),
            appointment=appointment,
            reopen_form=ReopenForm(),
        )
        new = render_template_string(NEW_STATIONS, rows=stations_rows(stations, appointment.id, report_signed))
    assert new == old
    assert "&lt;b&gt;" in new and "—" in new
    assert ("US%20A/b/conclusion/reopen" in new) is not report_signed


def _row(code, value, name_zh="项"):
    item = ExamItem(id=len(code), code=code, name_en=f"{code} <i>", name_zh=name_zh and f"{code}{name_zh}", unit="")
    department = Department(id=1, code="LAB", name_en="Lab", name_zh="检验科", sort_order=1)
    return ReviewRow(item=item, department=department, result=Result(value_text=value, value_num=None, flag="A"))


def _suggestions():
    alt, us, tc = _row("ALT", "58"), _row("US", "<轻度> & 脂肪肝", name_zh=""), _row("TC", "5.86")
    found = []
    for n, (level, from_library, rows) in enumerate(
        (("A", True, [alt]), ("B", True, [us, tc]), ("C", False, [tc]), ("", False, [alt, us, tc]), ("Z", True, []))
    ):
        found.append(
            SuggestedFinding(
                key=f"k{n}",
                name_en=f"Finding <{n}>",
                name_zh=f"发现{n}" if n % 2 else "",
                level=level,
                rows=rows,
                from_library=from_library,
            )
        )
    return found


@pytest.mark.parametrize("language", ["en", "zh"])
def test_suggestions_as_the_template_printed_them(app, language):
    suggestions = _suggestions()
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_SUGGESTIONS, data=Data(suggestions=suggestions))
        new = render_template_string(NEW_SUGGESTIONS, rows=suggestions_rows(suggestions))
    assert new == old
    assert "&lt;轻度&gt;" in new and "; " in new


# templates/review/_ready.html's and templates/review/index.html's loops as they were
OLD_READY = """  <tbody>
  {%- set some_id = 987654321 %}
  {%- set review_link = url_for('review.appointment', appointment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
  {%- set review_text = _("Review") %}
  {% for appointment in ready.items %}
    <tr>
      <td>{{ appointment.day }}</td>
      <td>{{ appointment.exam_code }}</td>
      <td>{{ appointment.client.name }}{% if appointment.conflicts %} <span class="badge warning">{{ ngettext("%(num)d instrument value to settle", "%(num)d instrument values to settle", appointment.conflicts) }}</span>{% endif %}</td>
      <td>{{ "—" if appointment.package_name is none else appointment.package_name }}</td>
      <td>{{ "—" if appointment.reviewer_name is none else appointment.reviewer_name }}</td>
      <td><a href="{{ review_link % appointment.id }}">{{ review_text }}</a></td>
    </tr>
  {% endfor %}
  </tbody>"""
NEW_READY = """  <tbody>
  {{ rows }}
  </tbody>"""
OLD_SIGNED = """    <tbody>
    {%- set some_id = 987654321 %}
    {%- set review_link = url_for('review.appointment', appointment_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
    {% for report, pdf_status in signed %}
      <tr>
        <td>{{ report.signed_at|center_time }}</td>
        <td><a href="{{ review_link % report.appointment_id }}">{{ report.appointment.exam_code }}</a></td>
        <td>{{ report.appointment.client.name }}</td>
        <td>{{ report.version }}</td>
        <td>{{ pdf_status }}</td>
      </tr>
    {% endfor %}
    </tbody>"""
NEW_SIGNED = """    <tbody>
    {{ rows }}
    </tbody>"""


def _queue():
    package = QueuePackage(3, "VIP", "VIP <plan>", "贵宾套餐")
    day = datetime.date(2026, 12, 1)
    return [
        QueueRow(11, day, "Q<1>", QueueClient(5, "张<三>"), package, "VIP <plan>", "郑&主任", 0),
        QueueRow(12, day, "Q2", QueueClient(6, "李四"), None, None, None, 1),
        QueueRow(13, day, "Q3", QueueClient(7, "O'Brien"), package, "贵宾套餐", None, 3),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_queue_rows_as_the_template_printed_them(app, language):
    queue = _queue()
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_READY, ready=Data(items=queue))
        new = render_template_string(NEW_READY, rows=ready_rows(queue))
        assert render_template_string(NEW_READY, rows=ready_rows([])) == render_template_string(
            OLD_READY, ready=Data(items=[])
        )
    assert new == old
    assert "&lt;plan&gt;" in new and "badge warning" in new and "—" in new


def _signed():
    reports = []
    for n, state in enumerate(("ready", "failed", "rendering", "pending", "none")):
        report = Report(
            id=n + 1,
            appointment=Appointment(id=80 + n, exam_code=f"E<{n}>", client=Client(id=n, name=f"客户 <{n}>")),
            version=n + 1,
            status="signed",
            signed_at=datetime.datetime(2026, 12, 7, n, 30),
            pdf_state=state,
        )
        reports.append(report)
    return reports


@pytest.mark.parametrize("language", ["en", "zh"])
def test_signed_rows_as_the_template_printed_them(app, language):
    reports = _signed()
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_SIGNED, signed=list(zip(reports, pdf_statuses(reports), strict=True)))
        new = render_template_string(NEW_SIGNED, rows=signed_rows(reports))
    assert new == old
    assert "/exam/review/80" in new and "客户 &lt;0&gt;" in new and "hx-get=" in new


def test_decimal_values_print_as_the_template_printed_them(app):
    row = _row("GLU", "")
    row.result.value_num, row.result.value_text = Decimal("5.40"), ""
    suggestion = SuggestedFinding(key="k", name_en="High glucose", name_zh="", level="B", rows=[row])
    with app.test_request_context("/"):
        old = render_template_string(OLD_SUGGESTIONS, data=Data(suggestions=[suggestion]))
        assert render_template_string(NEW_SUGGESTIONS, rows=suggestions_rows([suggestion])) == old
    assert "GLU &lt;i&gt; 5.4" in old
