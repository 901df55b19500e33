"""The follow-up worklist's rows printed in Python (#16), byte for byte what the loop of
templates/care/_followups_results.html printed: a page has up to 50 rows of a dozen template expressions
each, and the loop was most of the list's time (the worklist, its "mine" view and a department's page).
Values are escaped as the template escaped them; labels are translated once per page and the rows' address
is a pattern; tests/care/test_followups_rows.py renders the old loop beside them."""

from flask_babel import gettext
from markupsafe import Markup

from checkup.services.care import followups
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated

_LEVEL_BADGES = {"A": "danger", "B": "warning"}  # any other level: "info"


def worklist_rows(items):
    """The ``<tr>`` of each WorklistRow (services/care/followup_worklist), or the empty list's row, as the
    template's loop printed them (the whitespace between them included)."""
    if not items:
        empty = translated(gettext("No follow-up matches these filters."))
        return Markup(f'\n    <tr><td colspan="8">{empty}</td></tr>\n    ')
    overdue = translated(gettext("Overdue"))
    overdue = f' <span class="badge danger">{overdue}</span>'
    unassigned = translated(gettext("Unassigned"))
    service = f'<br><small class="muted">{escaped(followups.label("kind", "service"))}</small>'
    # the text before and after the client's name, translated once (the name, escaped, goes between)
    select_before, _name, select_after = translated(
        gettext("Select the follow-up of %(name)s", name="%(name)s")
    ).partition("%(name)s")
    select_after = select_after.replace("%(name)s", "")  # the template joined whatever followed each mark
    detail_link = escaped(address_pattern("care_followups.detail", "follow_up_id"))
    parts = []
    add = parts.append
    for f in items:
        name = escaped(f.client.name)
        add("\n    <tr>\n      <td>")
        if f.status == "open":
            add(
                f'<label for="pick-{f.id}"><input type="checkbox" id="pick-{f.id}" name="ids" value="{f.id}">'
                f'<span class="visually-hidden">{select_before}{name}{select_after}</span></label>'
            )
        add(
            f'</td>\n      <td><span class="badge {_LEVEL_BADGES.get(f.level, "info")}">{escaped(f.level_label)}</span>'
        )
        add(f'</td>\n      <td><a href="{detail_link % f.id}">{name}</a>\n        ')
        add(f"{service if f.kind == 'service' else ''}</td>\n      <td>{escaped(f.due_text)}")
        add(f"{overdue if f.is_overdue else ''}</td>\n      <td>")
        add(f"{escaped(f.department_name) if f.department_id else '—'}</td>\n      <td>")
        assignee = escaped(f.assignee_user.name) if f.assignee_id and f.assignee_user else unassigned
        add(f"{assignee}</td>\n      <td>{escaped(f.status_label)}")
        add(f" · {escaped(f.outcome_label)}" if f.outcome_code else "")
        add(f'</td>\n      <td class="num">{escaped(f.attempt_count)}</td>\n    </tr>\n    ')
    return Markup("".join(parts))
