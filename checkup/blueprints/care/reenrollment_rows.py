"""The re-enrollment page's two lists printed in Python (#16), byte for byte what the loops of
templates/management/reenrollment.html printed: the clients due now (50 at most) and the latest invitations
(50 at most). Values are escaped as the template escaped them, the statuses' labels translated once per page;
tests/care/test_reenrollment_rows.py renders the old loops beside them."""

from markupsafe import Markup

from checkup.core.labels import choice_label
from checkup.web.html_text import escaped
from checkup.web.templating import center_time


def due_rows(due):
    """A row per (client, last exam day) of ``services.care.reenrollment.due_names``."""
    return Markup(
        "".join(
            f"<tr><td>{escaped(client.name)}</td><td>{escaped(last_day.isoformat())}</td></tr>"
            for client, last_day in due
        )
    )


def sent_rows(sent):
    """A row per invitation of ``services.care.reenrollment.recent_invitations``: client, when sent, status."""
    statuses = {}
    parts = []
    for message in sent:
        status = statuses.get(message.status)
        if status is None:
            status = statuses[message.status] = escaped(choice_label("message_status", message.status))
        parts.append(
            f"<tr><td>{escaped(message.client_name)}</td><td>{escaped(center_time(message.sent_at))}</td>"
            f"<td>{status}</td></tr>"
        )
    return Markup("".join(parts))
