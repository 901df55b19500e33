"""The audit log's rows printed in Python (#16), byte for byte what templates/admin/_audit_rows.html printed with
its own loop: 50 events a page of time, account, action, object, address and detail. Values are escaped as the
template escaped them, the "system" label translated once per page; tests/admin/test_audit_rows.py renders the
old loop beside it."""

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.core import clock
from checkup.web.row_printing import translated


def audit_rows(log):
    """The table body's rows for an AuditPage (services/admin/admin_overview.py); no events: one line saying
    why (none older than the cursor, or none at all)."""
    if not log.events:
        empty = translated(gettext("No older events.")) if log.cursor else translated(gettext("No events yet."))
        return Markup(f'\n  <tr><td colspan="6">{empty}</td></tr>\n  ')
    system = translated(gettext("system"))
    from_utc = clock.from_utc
    parts = []
    for event in log.events:
        local = from_utc(event.at)
        when = local.strftime("%Y-%m-%d %H:%M:%S") if local else ""
        who = system if event.user_email is None else escape(event.user_email)
        parts.append(
            f"\n  <tr><td>{when}</td><td>{who}</td><td>{escape(event.action)}</td>\n"
            f"      <td>{escape(event.object_type)} {escape(event.object_id)}</td><td>{escape(event.ip)}</td>"
            f"<td><small>{escape(event.detail)}</small></td></tr>\n  "
        )
    return Markup("".join(parts))
