"""The staff account list's rows printed in Python (blueprints/admin/account_rows.py) are what
templates/admin/_account_rows.html printed with its own loop, byte for byte: active and deactivated accounts,
every role, several roles, with and without an organization, markup in every text, no rows at all; in English
and Chinese."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.admin.account_rows import account_rows
from checkup.core.labels import ROLE_LABELS
from checkup.services.accounts.accounts import AccountRow

# templates/admin/_account_rows.html before its rows moved to Python (the template's own loop)
OLD = """{%- set some_id = 987654321 %}
{%- set detail_link = url_for('admin_accounts.detail', user_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
{%- set role_text = {} %}
{%- for code, label in role_labels.items() %}{% set _unused = role_text.update({code: label|string}) %}{% endfor %}
{%- set active_text, deactivated_text = _("Active"), _("Deactivated") %}
{%- for user in result.items %}
<tr>
  <td><a href="{{ detail_link % user.id }}">{{ user.name }}</a></td>
  <td>{{ user.email }}</td>
  <td>{% for role in user.role_names %}<span class="badge">{{ role_text[role] }}</span> {% endfor %}
      {% if user.organization_name is not none %}<small class="muted">{{ user.organization_name }}</small>{% endif %}</td>
  <td>{% if user.is_active %}{{ active_text }}{% else %}<span class="badge cancelled">{{ deactivated_text }}</span>{% endif %}</td>
</tr>
{% else %}
<tr><td colspan="4">{{ _("No account matches.") }}</td></tr>
{% endfor %}
"""
# the same place now
NEW = """{#- printed in Python (blueprints/admin/account_rows.py): 50 rows a page #}
{{- account_rows(result.items) }}"""


class _Page:
    def __init__(self, items):
        self.items = items


def _rows():
    roles = sorted(ROLE_LABELS)
    rows = [
        AccountRow(10 + number, f"Ann <{role}> & \"Co\" 'x'", f"a{number}@x.test<b>", bool(number % 2), None, (role,))
        for number, role in enumerate(roles)
    ]
    rows.append(AccountRow(99, "李 明", "li@x.test", True, "Acme & <Sons>", ("hr",)))
    rows.append(AccountRow(100, "Both", "both@x.test", False, "", tuple(roles[:3])))
    rows.append(AccountRow(101, "None", "none@x.test", True, None, ()))
    return rows


def _render(app, language, template, rows):
    with app.test_request_context("/"), force_locale(language):
        return render_template_string(template, result=_Page(rows), account_rows=account_rows)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    rows = _rows()
    old = _render(app, language, OLD, rows)
    new = _render(app, language, NEW, rows)
    assert new == old
    assert "Ann &lt;admin&gt; &amp; &#34;Co&#34; &#39;x&#39;" in new
    assert 'href="/admin/accounts/99"' in new and "Acme &amp; &lt;Sons&gt;" in new
    assert new.count('class="badge cancelled"') == sum(1 for row in rows if not row.is_active)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_rows_as_the_template_printed_them(app, language):
    old = _render(app, language, OLD, [])
    new = _render(app, language, NEW, [])
    assert new == old
    assert 'colspan="4"' in new
