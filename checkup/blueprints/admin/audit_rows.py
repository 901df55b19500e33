"""The audit log's rows printed in Python (#16), byte for byte what templates/admin/_audit_rows.html printed with
its own loop: 50 events a page of time, account, action, object, address and detail. Values are escaped as the
template escaped them, the "system" label translated once per page; tests/admin/test_audit_rows.py renders the
old loop beside it."""

import datetime

from flask_babel import gettext
from markupsafe import Markup

from checkup.core import clock
from checkup.web.html_text import escaped
from checkup.web.row_printing import translated


def audit_rows(log):
    """The table body's rows for an AuditPage (services/admin/admin_overview.py); no events: one line saying
    why (none older than the cursor, or none at all). Texts are escaped without a Markup each; the center's
    zone is looked up once per page."""
    if not log.events:
        empty = translated(gettext("No older events.")) if log.cursor else translated(gettext("No events yet."))
        return Markup(f'\n  <tr><td colspan="6">{empty}</td></tr>\n  ')
    system = translated(gettext("system"))
    zone, utc = clock.zone(), datetime.UTC
    parts = []
    for event in log.events:
        at = event.at
        # what strftime("%Y-%m-%d %H:%M:%S") printed of clock.from_utc(at), read off the ISO form
        when = at.replace(tzinfo=utc).astimezone(zone).isoformat(" ", "seconds")[:19] if at is not None else ""
        who = system if event.user_email is None else escaped(event.user_email)
        parts.append(
            f"\n  <tr><td>{when}</td><td>{who}</td><td>{escaped(event.action)}</td>\n"
            f"      <td>{escaped(event.object_type)} {escaped(event.object_id)}</td><td>{escaped(event.ip)}</td>"
            f"<td><small>{escaped(event.detail)}</small></td></tr>\n  "
        )
    return Markup("".join(parts))


def action_options(actions, chosen):
    """The filter's ``<option>`` of each action (services/admin/admin_overview.audit_actions), ``chosen``
    selected: what templates/admin/audit.html's loop printed."""
    parts = []
    for action in actions:
        text = escaped(action)
        parts.append(f'<option value="{text}" {"selected" if action == chosen else ""}>{text}</option>')
    return Markup("".join(parts))
