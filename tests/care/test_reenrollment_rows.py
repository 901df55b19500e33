"""The re-enrollment page's lists printed in Python (blueprints/care/reenrollment_rows.py) are what the loops of
templates/management/reenrollment.html printed, byte for byte: names with markup, Chinese names, invitations of
every status (and a code the labels do not know), one not sent yet; in English and Chinese. The page reads its
lists as plain rows, with its due list's values written into its SQL (one plan kept per connection and day)."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.care.reenrollment_rows import due_rows, sent_rows
from checkup.models import Client, Message
from checkup.services.care import reenrollment
from checkup.services.care.reenrollment import DueName, SentInvitation

# the page's two loops as they were before they moved to Python
OLD = (
    "<tbody>{% for client, last_day in due %}<tr><td>{{ client.name }}</td><td>{{ last_day.isoformat() }}</td></tr>"
    "{% endfor %}</tbody>\n"
    '<tbody>{% for message in sent %}<tr><td>{{ message.client.name }}</td><td>{{ message.sent_at | center_time }}</td><td>{{ choice_label("message_status", message.status) }}</td></tr>{% endfor %}</tbody>'
)
# the same places now
NEW = "<tbody>{{ due_rows }}</tbody>\n<tbody>{{ sent_rows }}</tbody>"

NAMES = ["Ann <b> & \"Co\" 'x'", "张伟", "Bo", "李 明"]
STATUSES = ["sent", "queued", "failed", "bounced", "sending", "weird<code>"]


def _due():
    return [(i, name, datetime.date(2025, 1, 1) + datetime.timedelta(days=i)) for i, name in enumerate(NAMES, 1)]


def _sent():
    rows = []
    for n, status in enumerate(STATUSES):
        sent_at = None if status == "queued" else datetime.datetime(2026, 3, 1, 23, 30) + datetime.timedelta(hours=n)
        rows.append((100 - n, sent_at, status, n + 1, NAMES[n % len(NAMES)]))
    return rows


def _render(app, language, template, **values):
    with app.test_request_context("/"), force_locale(language):
        values = {name: value() if callable(value) else value for name, value in values.items()}
        return render_template_string(template, **values)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("empty", [False, True])
def test_rows_as_the_template_printed_them(app, language, empty):
    due, sent = ([], []) if empty else (_due(), _sent())
    old_due = [(Client(id=i, name=name), day) for i, name, day in due]
    old_sent = [Message(id=i, sent_at=at, status=s, client=Client(id=c, name=name)) for i, at, s, c, name in sent]
    new_due = [(DueName(i, name), day) for i, name, day in due]
    new_sent = [SentInvitation(*row) for row in sent]
    old = _render(app, language, OLD, due=old_due, sent=old_sent)
    new = _render(app, language, NEW, due_rows=lambda: due_rows(new_due), sent_rows=lambda: sent_rows(new_sent))
    assert new == old
    if not empty:
        assert "Ann &lt;b&gt; &amp; &#34;Co&#34; &#39;x&#39;" in new and "weird&lt;code&gt;" in new
        assert "<td>2025-01-02</td>" in new and "<td></td>" in new  # the queued one has no time yet


@pytest.mark.parametrize("value", ["it's", "", "service_reminders"])
def test_a_value_written_into_the_sql_is_quoted(value):
    assert reenrollment._literal(value).sql == "'" + value.replace("'", "''") + "'"


def test_the_due_list_runs_without_parameters(app):
    assert reenrollment._literal(True).sql == "TRUE" and reenrollment._literal(50).sql == "50"
    assert reenrollment._literal(datetime.date(2026, 1, 7)).sql == "'2026-01-07'"
    sql, params = reenrollment._due_names_query(datetime.date(2026, 12, 7)).sql()
    assert params == [] and "'2026-01-07'" in sql and "'2026-12-07'" in sql and sql.endswith("LIMIT 50")
