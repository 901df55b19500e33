"""The parts of HR's employee list printed in Python (blueprints/hr/employee_rows.py) are what the templates printed,
byte for byte: the results fragment (templates/hr/_employee_results.html as it was: the count, the export control of
templates/hr/_export_form.html, the table in the invitation form, the plain or POSTed pager of
templates/components/pager.html) over pages, filters, searches with markup, long and short lists, active and closed
contracts, no rows; and the contract picker (templates/hr/_contract_picker.html's macro) for none, one and several
contracts; in English and Chinese, each request's own CSRF token in the forms. The dashboard's profile card
(dashboard_rows.profile_card) likewise beside home.html's old markup."""

import datetime

import pytest
from flask import render_template, render_template_string
from flask_babel import force_locale

from checkup.blueprints.hr.dashboard_rows import profile_card
from checkup.blueprints.hr.employee_rows import (
    contract_picker,
    employee_page,
    employee_results,
    employee_table,
    filter_options,
)
from checkup.core.pagination import Page
from checkup.models.groups import ACTIVE, CLOSED, DRAFT
from checkup.services.accounts.organizations import OrganizationCard
from checkup.services.groups import contracts
from checkup.services.groups.employee_exports import INLINE_LIMIT
from checkup.services.groups.enrollments import STATUSES, ContractHeading, EmployeeFilters, EmployeeRow, status_label
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern

# templates/hr/_employee_results.html as it was before it moved to Python (its includes and macros unchanged)
OLD_RESULTS = """{% from "components/pager.html" import pager, posted_pager %}
{# the table is printed in Python: blueprints/hr/employee_rows.py #}
{% set args = filters.as_args() %}
<p role="status" class="muted">{{ ngettext("%(num)d employee found.", "%(num)d employees found.", result.total) }}</p>
{% include "hr/_export_form.html" %}
<form method="get" action="{{ url_for('hr.invitations_page') }}">
  <input type="hidden" name="contract" value="{{ contract.id }}">
  <input type="hidden" name="mode" value="selected">
  {{ employee_table(result.items, booking_link) }}
  {% if contract.status == 'active' and result.items %}
  <button type="submit">{{ _("Invite the selected employees…") }}</button>
  {% endif %}
</form>
{% if searched %}
{{ posted_pager(result, 'hr.employees', '#employee-results', contract=contract.id, **args) }}
{% else %}
{{ pager(result, 'hr.employees', '#employee-results', contract=contract.id, **args) }}
{% endif %}"""
NEW_RESULTS = "{{ employee_results(result, contract, filters, searched, booking_link) }}"

# templates/hr/employees.html as it was before its content moved to Python, its results included as they were
OLD_PAGE = (
    """{% extends "base.html" %}
{% from "hr/_contract_picker.html" import contract_picker with context %}
{% block title %}{{ _("Employees") }}{% endblock %}
{% block content %}
<h1>{{ _("Employees") }}</h1>
{% if contract is none %}
<p class="empty">{{ _("No group contract yet. The roster appears here once your company has a contract with the center.") }}</p>
{% else %}
{{ contract_picker('hr.employees', contracts, contract) }}
<p class="muted">{{ _("%(contract)s · booking window %(start)s to %(end)s. You see each employee's status only, never their results.", contract=contract.name, start=contract.window_start.isoformat(), end=contract.window_end.isoformat()) }}</p>
{# POST: a name never goes into an address (access logs, history, Referer). The selects' options are printed in
   Python: blueprints/hr/employee_rows.py (filter_options). #}{% set options = filter_options(departments, categories, filters) %}
<form method="post" action="{{ url_for('hr.employees') }}" role="search" class="search-bar directory-filters">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="contract" value="{{ contract.id }}">
  <div>
    <label for="q">{{ _("Name or employee number") }}</label>
    <input id="q" type="search" name="q" value="{{ filters.search }}" maxlength="100" autocomplete="off"
           hx-post="{{ url_for('hr.employees') }}" hx-target="#employee-results" hx-include="closest form"
           hx-trigger="search, keyup delay:200ms changed">
  </div>
  <div>
    <label for="status">{{ _("Status") }}</label>
    <select id="status" name="status">
      <option value="">{{ _("Any status") }}</option>
      {{ options.statuses }}
    </select>
  </div>
  <div>
    <label for="department">{{ _("Company department") }}</label>
    <select id="department" name="department">
      <option value="">{{ _("Any department") }}</option>
      {{ options.departments }}
    </select>
  </div>
  <div>
    <label for="category">{{ _("Category") }}</label>
    <select id="category" name="category">
      <option value="">{{ _("Any category") }}</option>
      {{ options.categories }}
    </select>
  </div>
  <button type="submit">{{ _("Filter") }}</button>
</form>
<div id="employee-results">"""
    + OLD_RESULTS
    + """</div>
{% endif %}
{% endblock %}"""
)

# templates/hr/employees.html's call of the picker macro, and the printer now in its place
OLD_PICKER = """{% from "hr/_contract_picker.html" import contract_picker with context %}@@
{{ contract_picker('hr.employees', contracts, contract) }}@@"""
NEW_PICKER = "@@\n{{ contract_picker(contracts, contract) }}@@"

# home.html's company profile as it was before it moved to Python
OLD_PROFILE = """<div class="grid">
  <article>
    <h2>{{ _("Company profile") }}</h2>
    <dl class="facts">
      <dt>{{ _("Address") }}</dt><dd>{{ organization.address or '—' }}</dd>
      <dt>{{ _("Phone") }}</dt><dd>{{ organization.phone or '—' }}</dd>
      <dt>{{ _("Fax") }}</dt><dd>{{ organization.fax or '—' }}</dd>
      <dt>{{ _("Website") }}</dt><dd>{{ organization.website or '—' }}</dd>
      <dt>{{ _("Email") }}</dt><dd>{{ organization.email or '—' }}</dd>
      <dt>{{ _("Manager") }}</dt><dd>{{ organization.manager or '—' }}</dd>
      <dt>{{ _("Business scope") }}</dt><dd class="prewrap">{{ organization.business_scope or '—' }}</dd>
      <dt>{{ _("Health contact") }}</dt><dd>{{ organization.health_contact or '—' }}</dd>
      <dt>{{ _("Employees") }}</dt><dd>{{ organization.employee_count if organization.employee_count is not none else '—' }}</dd>
      <dt>{{ _("Account manager at the center") }}</dt><dd>{{ organization.account_manager or '—' }}</dd>
    </dl>
    <p><a href="{{ url_for('hr.profile_edit') }}">{{ _("Edit the company profile") }}</a></p>
  </article>
  <article>
    <h2>{{ _("Employees on file") }}</h2>
    <p class="big-number">{{ roster_size }}</p>
    <p>{{ _("Employees registered with the center through your company.") }}</p>
  </article>
</div>"""
NEW_PROFILE = "{{ profile_card(organization, roster_size) }}"

WINDOW = (datetime.date(2026, 3, 1), datetime.date(2026, 11, 30))


def _rows(count):
    invited = datetime.datetime(2026, 3, 1, 20, 30)
    return [
        EmployeeRow(100 + n, f"E-{n}<b>", f"Ann <{n}> & 'x'", "Sales & <Ops>" if n % 2 else "", "Men <m>",
                    STATUSES[n % len(STATUSES)], invited if n % 3 else None, bool(n % 2))
        for n in range(count)
    ]  # fmt: skip


def _render(app, language, template, **values):
    with app.test_request_context("/"), force_locale(language):
        render = render_template if template.endswith(".html") else render_template_string
        page = render(
            template,
            employee_page=employee_page,
            filter_options=filter_options,
            employee_table=employee_table,
            employee_results=employee_results,
            contract_picker=contract_picker,
            profile_card=profile_card,
            contract_status=contracts.status_label,
            status_label=status_label,
            statuses=STATUSES,
            export_inline_limit=INLINE_LIMIT,
            **values,
        )
        return page, csrf_token()


RESULT_CASES = [
    # (page number, pages (None: not counted), more, total, rows, filters, searched, contract status)
    (1, 200, False, 10_000, 50, EmployeeFilters(), False, ACTIVE),
    (2, 200, False, 10_000, 50, EmployeeFilters(status="booked"), False, ACTIVE),
    (200, 200, False, 10_000, 3, EmployeeFilters(department="-", category_id=11), False, ACTIVE),
    (1, 1, False, 7, 7, EmployeeFilters(department="Sales & <Ops>"), False, ACTIVE),
    (1, 1, False, 0, 0, EmployeeFilters(status="no_show"), False, CLOSED),
    (3, None, True, INLINE_LIMIT + 1, 50, EmployeeFilters(), False, DRAFT),
    (1, 3, False, 120, 50, EmployeeFilters(search="<b>Ann & 'x'\""), True, ACTIVE),
    (2, 3, False, 120, 50, EmployeeFilters(search="朱", status="invited", category_id=10), True, ACTIVE),
    (3, 3, False, 120, 20, EmployeeFilters(search="1", department="-"), True, CLOSED),
    (1, 1, False, 0, 0, EmployeeFilters(search="zzz"), True, ACTIVE),
    (1, 1, False, 1, 1, EmployeeFilters(search="%_"), True, ACTIVE),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", range(len(RESULT_CASES)))
def test_results_as_the_template_printed_them(app, language, case):
    number, pages, more, total, count, filters, searched, status = RESULT_CASES[case]
    result = (
        Page(_rows(count), number, pages, total, 50, more)
        if pages is None
        else Page(_rows(count), number, pages, total, 50)
    )
    contract = ContractHeading(4, "2026 <all>", status, *WINDOW)
    with app.test_request_context("/"):
        link = address_pattern("hr_booking.detail", "enrollment_id") if status == ACTIVE else None
    values = {"result": result, "contract": contract, "filters": filters, "searched": searched, "booking_link": link}
    old, old_token = _render(app, language, OLD_RESULTS, **values)
    new, new_token = _render(app, language, NEW_RESULTS, **values)
    assert new.replace(new_token, "TOKEN") == old.replace(old_token, "TOKEN")
    assert ("csrf_token" in new) is (searched or total > INLINE_LIMIT or (searched and result.has_next))


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_contract_picker_as_the_macro_printed_it(app, language, count):
    choices = [
        ContractHeading(4, "2026 <all> & co", ACTIVE, *WINDOW),
        ContractHeading(2, "Draft 'one'", DRAFT, *WINDOW),
        ContractHeading(1, '2025 "old"', CLOSED, *WINDOW),
        ContractHeading(9, "odd", "archived", *WINDOW),
    ][: count + (count == 3)]
    for contract in [*choices[:2], None]:
        old, _token = _render(app, language, OLD_PICKER, contracts=choices, contract=contract)
        new, _token = _render(app, language, NEW_PICKER, contracts=choices, contract=contract)
        assert new.split("@@")[1] == old.split("@@")[1]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_profile_card_as_home_printed_it(app, language):
    full = OrganizationCard(1, "Acme", "1 <Road> & co", "555", "556", "https://a.test/?a=1&b=2", "hr@a.test",
                            "Ms 'M'", "Making\n\"things\"", "Dr H", 0, "Mr A", 10_000)  # fmt: skip
    empty = OrganizationCard(2, "Empty", "", "", "", "", "", "", "", "", None, "", 0)
    for organization in (full, empty):
        values = {"organization": organization, "roster_size": organization.roster_size}
        old, _token = _render(app, language, OLD_PROFILE, **values)
        new, _token = _render(app, language, NEW_PROFILE, **values)
        assert new == old
    assert "<dd>0</dd>" in _render(app, language, NEW_PROFILE, organization=full, roster_size=1)[0]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("case", [0, 2, 4, 6, 7])
def test_the_page_as_the_template_printed_it(app, language, case):
    number, pages, _more, total, count, filters, searched, status = RESULT_CASES[case]
    contract = ContractHeading(4, "2026 <all> & 'co'", status, *WINDOW)
    values = {
        "contract": contract,
        "contracts": [contract, ContractHeading(2, "Other", DRAFT, *WINDOW)][: 1 + case % 2],
        "filters": filters,
        "searched": searched,
        "result": Page(_rows(count), number, pages, total, 50),
        "departments": ["", "Sales & <Ops>", "IT"],
        "categories": [(10, "Men <m>"), (11, "Women")],
        "booking_link": None,
    }
    old, old_token = _render(app, language, OLD_PAGE, **values)
    new, new_token = _render(app, language, "hr/employees.html", **values)
    assert new.replace(new_token, "TOKEN") == old.replace(old_token, "TOKEN")
    assert "2026 &lt;all&gt; &amp; &#39;co&#39;" in new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_contract_as_the_template_printed_it(app, language):
    values = {"contract": None, "contracts": [], "filters": EmployeeFilters(), "searched": False, "result": None}
    values.update(departments=(), categories=(), booking_link=None)
    old, old_token = _render(app, language, OLD_PAGE, **values)
    new, new_token = _render(app, language, "hr/employees.html", **values)
    assert new.replace(new_token, "TOKEN") == old.replace(old_token, "TOKEN")
    assert 'class="empty"' in new
