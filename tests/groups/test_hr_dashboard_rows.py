"""HR's dashboard printed in Python (blueprints/hr/dashboard_rows.py) is the markup its template and macros printed,
byte for byte: the status chart (every status, an empty roster, markup in the caption and the labels), the tables
of counts in the shared table frame (the overall row, departments with one unnamed, categories, no rows, markup in
every name) and each contract's section (active, draft and closed contracts, links, no contract at all); in
English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.hr.dashboard_rows import ContractSections, CountsTables, status_chart
from checkup.models import GroupContract
from checkup.models.groups import ACTIVE, CLOSED, DRAFT
from checkup.services.groups import contracts
from checkup.services.groups.enrollments import (
    STATUSES,
    ContractProgress,
    Counts,
    status_label,
)

# templates/hr/_chart.html's macros as they were before the dashboard moved to Python (the rows of the counts
# table still printed by the template's own loop), with home.html's header columns and calls
OLD = (
    """{% from "components/table.html" import table %}
{% macro status_chart(chart, chart_id, caption) %}
{#- the geometry comes laid out from services/groups/enrollments.StatusChart; only the colours are chosen here #}
{% set colours = {'not_invited': '#6b7280', 'invited': '#3a7bbf', 'booked': '#0b4a6f', 'checked_in': '#1e7b45',
                  'completed': '#14532d', 'no_show': '#8a1c1c'} %}
<figure class="hr-chart">
  <svg id="{{ chart_id }}" role="img" aria-labelledby="{{ chart_id }}-title {{ chart_id }}-desc"
       width="100%" height="{{ chart.height }}">
    <title id="{{ chart_id }}-title">{{ caption }}</title>
    <desc id="{{ chart_id }}-desc">{{ chart.description }}</desc>
    {% for bar in chart.bars %}
    <g>
      <text x="0" y="{{ bar.baseline }}" font-size="14" fill="#2f3540">{{ bar.label }}</text>
      <rect x="{{ chart.bar_start }}%" y="{{ bar.top }}" width="{{ bar.width }}%" height="18" rx="2" fill="{{ colours[bar.status] }}"></rect>
      <text x="{{ bar.end }}%" dx="6" y="{{ bar.baseline }}" font-size="14" fill="#2f3540">{{ bar.count }}</text>
    </g>
    {% endfor %}
  </svg>
</figure>
{% endmacro %}
{% macro counts_table(rows, heading, caption, columns, empty_label) %}
{#- ``rows_html`` (blueprints/hr/hr.counts_rows_html) prints the rows in Python: a <th> with the group's name
   (else ``empty_label``), then a <td class="num" data-label="…"> per figure, escaped as the template would #}
{% call table([heading] + columns, caption=caption, phone="stack-2") %}
  {% if rows %}{% for name, counts in rows %}
  <tr>
    <th scope="row">{{ name or empty_label }}</th>
    {% for figure in counts.figures %}<td class="num" data-label="{{ columns[loop.index0]['label'] }}">{{ figure }}</td>{% endfor %}
  </tr>
  {% endfor %}{% else %}
  <tr><td colspan="{{ columns|length + 1 }}">{{ _("Nobody on the roster yet.") }}</td></tr>
  {% endif %}
{% endcall %}
{% endmacro %}
{%- set figure_columns = [] %}
{%- for status in statuses %}{% set _unused = figure_columns.append({'label': status_label(status)|string, 'num': true}) %}{% endfor %}
{%- set _unused = figure_columns.append({'label': _("Total"), 'num': true}) %}
@@"""
    + """{{ status_chart(totals.chart(), 'chart-' ~ contract_id, _("Employees by status: %(contract)s", contract=name)) }}
  {{ counts_table([(_("All employees"), totals)], _("Roster"), _("Employees by status (the figures of the chart)"), figure_columns, "") }}
  {{ counts_table(by_department, _("Company department"), _("Employees by department and status"), figure_columns, _("No department")) }}
  {{ counts_table(by_category, _("Category"), _("Employees by category and status"), figure_columns, "") }}"""
)
# home.html's calls now: the chart (from the counts themselves) and the tables printed in Python
NEW = """@@{{ status_chart(totals, 'chart-' ~ contract_id, _("Employees by status: %(contract)s", contract=name)) }}
  {{ counts_table([(_("All employees"), totals)], _("Roster"), _("Employees by status (the figures of the chart)"), "") }}
  {{ counts_table(by_department, _("Company department"), _("Employees by department and status"), _("No department")) }}
  {{ counts_table(by_category, _("Category"), _("Employees by category and status"), "") }}"""


def _counts(**by_status):
    counts = Counts()
    for status, n in by_status.items():
        counts.add(status, n)
    return counts


def _render(app, language, template, **values):
    """What the template prints after its ``@@`` mark (the old one defines its macros before it)."""
    with app.test_request_context("/"), force_locale(language):
        printers = {"status_chart": status_chart, "counts_table": CountsTables().table}
        page = render_template_string(template, statuses=STATUSES, status_label=status_label, **printers, **values)
    return page.split("@@", 1)[1]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_chart_and_tables_as_the_macros_printed_them(app, language):
    values = {
        "contract_id": 7,
        "name": "Acme <2026> & co",
        "totals": _counts(not_invited=3, invited=120, booked=7, checked_in=1, completed=2048, no_show=9),
        "by_department": [
            ("Sales & <Marketing>", _counts(invited=5, completed=1)),
            ("Plant", _counts(no_show=2)),
            ("", _counts(not_invited=3, booked=1)),
        ],
        "by_category": [('Men "40+"', _counts(completed=4)), ("Women", Counts())],
    }
    old = _render(app, language, OLD, **values)
    new = _render(app, language, NEW, **values)
    assert new == old
    assert "Acme &lt;2026&gt; &amp; co" in new and "Sales &amp; &lt;Marketing&gt;" in new and "2048" in new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_empty_roster_as_the_macros_printed_it(app, language):
    values = {"contract_id": 8, "name": "Empty", "totals": Counts(), "by_department": [], "by_category": []}
    old = _render(app, language, OLD, **values)
    new = _render(app, language, NEW, **values)
    assert new == old
    assert 'colspan="8"' in new and 'width="0.0%"' in new


@pytest.mark.parametrize(
    "figures",
    [
        {"invited": 1000, "booked": 1, "completed": 5},  # a sliver and a bar under 1 %
        {"not_invited": 8, "invited": 3, "booked": 1, "checked_in": 5, "completed": 7, "no_show": 2},  # roundings
        {"no_show": 1},
    ],
)
def test_the_chart_printed_from_the_counts_is_the_laid_out_one(app, figures):
    values = {"contract_id": 3, "name": "C", "totals": _counts(**figures), "by_department": [], "by_category": []}
    assert _render(app, "en", NEW, **values) == _render(app, "en", OLD, **values)


# templates/hr/home.html's loop over the contracts as it was before its sections moved to Python (with the macros)
OLD_SECTIONS = (
    OLD.split("@@")[0]
    + """@@{% for entry in progress %}
{% set contract = entry.contract %}
<section class="hr-contract" aria-labelledby="contract-{{ contract.id }}">
  <h2 id="contract-{{ contract.id }}">{{ contract.name }} <span class="badge {{ 'active' if contract.status == 'active' else '' }}">{{ contract_status(contract.status) }}</span></h2>
  <p class="muted">{{ _("Booking window %(start)s to %(end)s", start=contract.window_start.isoformat(), end=contract.window_end.isoformat()) }}
    · {{ ngettext("%(num)d employee on the roster", "%(num)d employees on the roster", entry.totals.total) }}</p>
  <p>
    {% if has_endpoint('hr_contracts.detail') %}<a href="{{ url_for('hr_contracts.detail', contract_id=contract.id) }}">{{ _("Contract details") }}</a> · {% endif %}
    {% if has_endpoint('hr_roster.index') %}<a href="{{ url_for('hr_roster.index', contract_id=contract.id) }}">{{ _("Roster import") }}</a> · {% endif %}
    <a href="{{ url_for('hr.employees', contract=contract.id) }}">{{ _("Employee list") }}</a>
    {% if contract.status == 'active' %} · <a href="{{ url_for('hr.invitations_page', contract=contract.id) }}">{{ _("Invitations") }}</a>{% endif %}
  </p>
  {{ status_chart(entry.totals.chart(), 'chart-' ~ contract.id, _("Employees by status: %(contract)s", contract=contract.name)) }}
  {{ counts_table([(_("All employees"), entry.totals)], _("Roster"), _("Employees by status (the figures of the chart)"), figure_columns, "") }}
  <h3>{{ _("By department") }}</h3>
  {{ counts_table(entry.by_department, _("Company department"), _("Employees by department and status"), figure_columns, _("No department")) }}
  <h3>{{ _("By category") }}</h3>
  {{ counts_table(entry.by_category, _("Category"), _("Employees by category and status"), figure_columns, "") }}
</section>
{% else %}
<p class="empty">{{ _("No group contract yet. When the center sets one up with you, its progress appears here.") }}</p>
{% endfor %}"""
)
# home.html's loop now
NEW_SECTIONS = """@@{% for entry in progress %}
{# each contract's heading, links, chart and tables: blueprints/hr/dashboard_rows.ContractSections #}
{{ contract_section(entry) }}
{% else %}
<p class="empty">{{ _("No group contract yet. When the center sets one up with you, its progress appears here.") }}</p>
{% endfor %}"""


def _sections(app, language, template, progress):
    with app.test_request_context("/"), force_locale(language):
        page = render_template_string(
            template,
            progress=progress,
            statuses=STATUSES,
            status_label=status_label,
            contract_status=contracts.status_label,
            has_endpoint=lambda endpoint: endpoint in app.view_functions,
            contract_section=ContractSections() if template is NEW_SECTIONS else None,
        )
    return page.split("@@", 1)[1]


def _contract(number, status, name):
    return GroupContract(
        id=number,
        name=name,
        status=status,
        window_start=datetime.date(2026, 3, 1),
        window_end=datetime.date(2026, 11, 30),
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_contract_sections_as_home_printed_them(app, language):
    progress = [
        ContractProgress(
            _contract(4, ACTIVE, "2026 <all sites> & co"),
            _counts(not_invited=1, invited=2, completed=5),
            [("Sales & <Ops>", _counts(invited=2, completed=5)), ("", _counts(not_invited=1))],
            [("Men", _counts(completed=5)), ('Women "all"', _counts(not_invited=1, invited=2))],
        ),
        ContractProgress(
            _contract(2, DRAFT, "Draft 'one'"), _counts(not_invited=1), [("", _counts(not_invited=1))], []
        ),
        ContractProgress(_contract(1, CLOSED, "2025"), Counts(), [], []),
    ]
    old = _sections(app, language, OLD_SECTIONS, progress)
    new = _sections(app, language, NEW_SECTIONS, progress)
    assert new == old
    assert "2026 &lt;all sites&gt; &amp; co" in new and "/hr/invitations?contract=4" in new
    assert "/hr/invitations?contract=2" not in new


def test_no_contract_as_home_printed_it(app):
    assert _sections(app, "en", NEW_SECTIONS, []) == _sections(app, "en", OLD_SECTIONS, [])
