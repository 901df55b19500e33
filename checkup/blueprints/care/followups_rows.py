"""The follow-up worklist's rows printed in Python (#16), byte for byte what the loop of
templates/care/_followups_results.html printed: a page has up to 50 rows of a dozen template expressions
each, and the loop was most of the list's time (the worklist, its "mine" view and a department's page).
Values are escaped as the template escaped them; labels are translated once per language and process, the rows'
address is a pattern and a due time's text is kept once printed; tests/care/test_followups_rows.py renders the
old loop beside them."""

import datetime
import functools
from typing import NamedTuple

from flask import request
from flask_babel import get_locale, gettext
from markupsafe import Markup

from checkup.core import clock
from checkup.core.i18n import is_chinese
from checkup.models.results import OPEN
from checkup.services.care import followups
from checkup.services.care.followup_worklist import DUE_FORMAT
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated

_LEVEL_BADGES = {"A": "danger", "B": "warning"}  # any other level: "info"


# {(language, the app's root address): what every row of a page prints alike in that language (_PageParts)}:
# nothing in it is a follow-up's or the viewer's, so each process translates it once per language (gettext
# through Flask-Babel costs ~30 K instructions a string; a page asked for seventeen)
_kept_parts: dict = {}


class _PageParts(NamedTuple):
    overdue: str  # the overdue badge, after the due time
    unassigned: str
    service: str  # the service kind's note, under the client's name
    select_before: str  # the checkbox label's text before the client's name
    select_after: str  # and after it
    detail_link: str  # the detail address pattern (%d: the follow-up's id)
    empty: str  # the empty list's row
    level_cells: dict  # level: its badge's markup (every level of the list)
    levels: dict  # code: label, translated (not escaped)
    statuses: dict
    outcomes: dict


def _page_parts():
    """This page's ``_PageParts``, translated once per language and process."""
    key = (str(get_locale()), request.script_root)
    parts = _kept_parts.get(key)
    if parts is None:
        parts = _kept_parts[key] = _printed_parts()
    return parts


def _printed_parts():
    overdue = translated(gettext("Overdue"))
    service = f'<br><small class="muted">{escaped(followups.label("kind", "service"))}</small>'
    # the text before and after the client's name, translated once (the name, escaped, goes between)
    select_before, _name, select_after = translated(
        gettext("Select the follow-up of %(name)s", name="%(name)s")
    ).partition("%(name)s")
    empty = translated(gettext("No follow-up matches these filters."))
    levels = followups.label_texts("level")
    return _PageParts(
        f' <span class="badge danger">{overdue}</span>',
        translated(gettext("Unassigned")),
        service,
        select_before,
        select_after.replace("%(name)s", ""),  # the template joined whatever followed each mark
        escaped(address_pattern("care_followups.detail", "follow_up_id")),
        f'\n    <tr><td colspan="8">{empty}</td></tr>\n    ',
        {level: _level_cell(level, text) for level, text in levels.items()},
        levels,
        followups.label_texts("status"),
        followups.label_texts("outcome_code"),
    )


def _level_cell(level, text):
    return f'<span class="badge {_LEVEL_BADGES.get(level, "info")}">{escaped(text)}</span>'


def _fixed_parts():
    """What every row of the page prints alike: (the overdue badge, "Unassigned", the service kind's note,
    the checkbox label's text before and after the client's name, the detail address pattern)."""
    return _page_parts()[:6]


@functools.lru_cache(maxsize=4096)
def _due_text(due_at, zone):
    """``due_at`` (naive UTC) in ``zone`` as the list prints it, escaped: the same few hundred open
    follow-ups' due times are printed on every view of the list (converting and formatting one costs ~30 K
    instructions, a page prints fifty); a moment and a zone, nothing of a viewer's."""
    return escaped(due_at.replace(tzinfo=datetime.UTC).astimezone(zone).strftime(DUE_FORMAT))


def worklist_rows(items):
    """The ``<tr>`` of each WorklistRow (services/care/followup_worklist), or the empty list's row, as the
    template's loop printed them (the whitespace between them included)."""
    if not items:
        return Markup(_page_parts().empty)
    overdue, unassigned, service, select_before, select_after, detail_link = _fixed_parts()
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


def plain_rows(rows, now_utc):
    """``worklist_rows`` of the rows ``followup_worklist.plain_worklist`` read (as the statement returns them),
    printed straight from their columns: no row object per follow-up, each label, department and assignee
    escaped once per page (tests/care/test_followups_rows.py prints both from the same rows)."""
    if not rows:
        return Markup(_page_parts().empty)
    chinese = is_chinese()
    zone = clock.zone()  # clock.from_utc's zone, looked up once per page
    page = _page_parts()
    levels, statuses, outcomes, level_cells = page.levels, page.statuses, page.outcomes, page.level_cells
    overdue, unassigned, service, select_before, select_after, detail_link = page[:6]
    status_cells = {}  # (status, outcome code): the status cell's text
    departments = {}  # id: its name in the page's language, escaped
    assignees = {}  # name: escaped
    due_text = _due_text
    parts = []
    add = parts.append
    for row in rows:
        (number, client, level, due_at, status, kind, department_id, name_en, name_zh, assignee_id, assignee) = row[:11]
        outcome_code = row[11]
        name = escaped(client)
        if status == OPEN:
            add(
                f'\n    <tr>\n      <td><label for="pick-{number}"><input type="checkbox" id="pick-{number}" '
                f'name="ids" value="{number}"><span class="visually-hidden">{select_before}{name}{select_after}'
                "</span></label></td>\n      <td>"
            )
        else:
            add("\n    <tr>\n      <td></td>\n      <td>")
        cell = level_cells.get(level)
        if cell is None:  # a level outside the list: its code as its label
            cell = _level_cell(level, levels.get(level, level))
        add(
            f'{cell}</td>\n      <td><a href="{detail_link % number}">{name}</a>\n        '
            f"{service if kind == 'service' else ''}</td>\n      <td>{due_text(due_at, zone)}"
            f"{overdue if status == OPEN and due_at < now_utc else ''}</td>\n      <td>"
        )
        if department_id:
            department = departments.get(department_id)
            if department is None:
                department = departments[department_id] = escaped((name_zh if chinese else "") or name_en)
            add(department)
        else:
            add("—")
        if assignee_id and assignee is not None:
            shown = assignees.get(assignee)
            if shown is None:
                shown = assignees[assignee] = escaped(assignee)
        else:
            shown = unassigned
        state = status_cells.get((status, outcome_code))
        if state is None:
            state = escaped(statuses.get(status, status))
            if outcome_code:
                state += f" · {escaped(outcomes.get(outcome_code, outcome_code))}"
            status_cells[(status, outcome_code)] = state
        add(
            f'</td>\n      <td>{shown}</td>\n      <td>{state}</td>\n      <td class="num">{escaped(row[12])}</td>'
            "\n    </tr>\n    "
        )
    return Markup("".join(parts))
