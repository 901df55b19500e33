"""The audit log's rows printed in Python (blueprints/admin/audit_rows.py) are what templates/admin/_audit_rows.html
printed with its own loop, byte for byte: events of an account and of the system, late-evening times (the next
day at the center), markup in every text, no events on the newest page and on a cursor's page; in English and
Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.admin.audit_rows import action_options, audit_rows
from checkup.services.admin.admin_overview import AuditPage, AuditRow

# templates/admin/_audit_rows.html's body before its rows moved to Python (the template's own loop)
OLD = """  <tbody>
  {%- set system_text = _("system") %}
  {% for e in log.events %}
  <tr><td>{{ e.at|center_time('%Y-%m-%d %H:%M:%S') }}</td><td>{{ e.user_email if e.user_email is not none else system_text }}</td><td>{{ e.action }}</td>
      <td>{{ e.object_type }} {{ e.object_id }}</td><td>{{ e.ip }}</td><td><small>{{ e.detail }}</small></td></tr>
  {% else %}
  <tr><td colspan="6">{{ _("No older events.") if log.cursor else _("No events yet.") }}</td></tr>
  {% endfor %}
  </tbody>"""
# the same place now
NEW = """  <tbody>
  {#- printed in Python (blueprints/admin/audit_rows.py): 50 events a page #}
  {{ audit_rows(log) }}
  </tbody>"""


def _events():
    late_evening = datetime.datetime(2026, 3, 1, 20, 30, 5)  # UTC: the next day at the center
    return [
        AuditRow(3, late_evening, "a<b>@x.test", "results.viewed", "appointment", "95", "10.0.0.1", '{"x": "<y>"}'),
        AuditRow(2, datetime.datetime(2026, 1, 2, 3, 4, 5), None, "task.failed", "task<&>", "7", "", ""),
        AuditRow(1, late_evening, "李@x.test", "auth.login", "user", "1", "::1", "&amp;"),
    ]


def _render(app, language, template, log):
    with app.test_request_context("/"), force_locale(language):
        return render_template_string(template, log=log, audit_rows=audit_rows)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    log = AuditPage(_events(), None, 1, False)
    old = _render(app, language, OLD, log)
    new = _render(app, language, NEW, log)
    assert new == old
    assert "a&lt;b&gt;@x.test" in new and "2026-03-02 04:30:05" in new and "&amp;amp;" in new


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("cursor", [True, False])
def test_no_events_as_the_template_printed_them(app, language, cursor):
    log = AuditPage([], None, None, cursor)
    old = _render(app, language, OLD, log)
    new = _render(app, language, NEW, log)
    assert new == old
    assert 'colspan="6"' in new


# templates/admin/audit.html's action filter as it was before its options moved to Python
OLD_OPTIONS = """<option value="">{{ _("All actions") }}</option>
    {% for a in actions %}<option value="{{ a }}" {% if a == action %}selected{% endif %}>{{ a }}</option>{% endfor %}
  </select>"""
NEW_OPTIONS = """<option value="">{{ _("All actions") }}</option>
    {#- printed in Python (blueprints/admin/audit_rows.action_options) #}
    {{ action_options(actions, action) }}
  </select>"""


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("action", ["", "auth.login", "a<b>&\"c'", "not.listed"])
@pytest.mark.parametrize("actions", [[], ["auth.login", "a<b>&\"c'", "results.viewed"]])
def test_action_options_as_the_template_printed_them(app, language, action, actions):
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(OLD_OPTIONS, actions=actions, action=action)
        new = render_template_string(NEW_OPTIONS, actions=actions, action=action, action_options=action_options)
    assert new == old
