"""HR's employee list printed in Python (#16), byte for byte the table templates/hr/_employee_results.html printed
through the shared table macro (templates/components/table.html): 50 rows a page of a dozen values each. Only what
the list shows of an employee (number, name, department, category, status, invitation date, whether an address is
on file) reaches it; values are escaped as the template escaped them, labels translated once per page, the
booking link an address pattern; tests/groups/test_hr_employee_rows.py renders the template beside it."""

from typing import NamedTuple

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.services.groups.enrollments import STATUSES, status_label
from checkup.web.html_text import escaped
from checkup.web.row_printing import translated
from checkup.web.templating import center_time

BADGES = {"completed": "success", "no_show": "danger", "booked": "info", "checked_in": "info"}


def employee_table(rows, booking_link):
    """The list's table: a header, then per EmployeeRow (services/groups/enrollments) a checkbox to pick it for
    an invitation and its cells; ``booking_link`` the booking address with ``%d`` for the enrollment (None:
    names without links). No rows: one line saying so."""
    labels = [
        translated(gettext("Employee number")),
        translated(gettext("Full name")),
        translated(gettext("Company department")),
        translated(gettext("Category")),
        translated(gettext("Status")),
        translated(gettext("Invited on")),
        translated(gettext("Email")),
    ]
    header = "".join(f'<th scope="col">{label}</th>' for label in labels)
    select = translated(gettext("Select"))
    parts = [
        '\n\n<div class="table-wrap">\n<table class="stack-on-phone">\n  \n  <thead><tr>\n    ',
        f'<th scope="col"><span class="visually-hidden">{select}</span></th>{header}\n  </tr></thead>\n  <tbody>\n  \n    ',
    ]
    if rows:
        parts.append(_rows(rows, booking_link, labels))
    else:
        nobody = translated(gettext("No employee matches."))
        parts.append(f'\n    <tr><td colspan="8">{nobody}</td></tr>\n    ')
    parts.append("\n  \n  </tbody>\n</table>\n</div>\n")
    return Markup("".join(parts))


def _rows(rows, booking_link, labels):
    l_number, l_name, l_department, l_category, l_status, l_invited, l_email = labels
    # "Select %(name)s" filled in with a marker once and cut there: the row's (escaped) name goes between the
    # pieces, as the template's Markup % put it
    select_pattern = str(translated(gettext("Select %(name)s", name="%(name)s")))
    select_pieces = (select_pattern % {"name": "\x00"}).split("\x00")
    on_file = translated(gettext("On file"))
    no_email = translated(gettext("No email"))
    email_cells = {True: str(on_file), False: f'<span class="badge warning">{no_email}</span>'}
    status_cells = {
        status: f'<span class="badge {BADGES.get(status, "")}">{escape(str(status_label(status)))}</span>'
        for status in STATUSES
    }
    no_status = '<span class="badge "></span>'
    # the address pattern holds only its own characters and ``%d``: escaped once, then filled in with an id
    link_pattern = str(escape(booking_link)) if booking_link else None
    invited_days = {}  # a wave invites hundreds at the same moment: its day worked out once
    parts = []
    for row in rows:
        number = escaped(row.enrollment_id)
        name = escaped(row.name)
        link_name = f'<a href="{link_pattern % row.enrollment_id}">{name}</a>' if link_pattern else name
        invited_at = row.invited_at
        if invited_at:
            invited = invited_days.get(invited_at)
            if invited is None:
                invited = invited_days[invited_at] = escape(center_time(invited_at, "%Y-%m-%d"))
        else:
            invited = "—"
        parts.append(
            f"""
    <tr>
      <td class="pick"><input type="checkbox" name="ids" value="{number}" id="pick-{number}">
          <label for="pick-{number}" class="visually-hidden">{name.join(select_pieces)}</label></td>
      <td data-label="{l_number}">{escaped(row.employee_no)}</td>
      <td data-label="{l_name}">{link_name}</td>
      <td data-label="{l_department}">{escaped(row.department or "—")}</td>
      <td data-label="{l_category}">{escaped(row.category)}</td>
      <td data-label="{l_status}">{status_cells.get(row.status, no_status)}</td>
      <td data-label="{l_invited}">{invited}</td>
      <td data-label="{l_email}">{email_cells[bool(row.has_email)]}</td>
    </tr>
    """
        )
    return "".join(parts)


class FilterOptions(NamedTuple):
    """The ``<option>`` lists of the employee list's three filter selects, as printed markup."""

    statuses: Markup
    departments: Markup
    categories: Markup


def filter_options(departments, categories, filters):
    """The options templates/hr/employees.html printed in its three loops, byte for byte: every status (its
    label), the roster's departments (``-`` and "No department" for the empty one) and the contract's
    categories, the filter's own choice ``selected``."""
    chosen = filters.status
    statuses = "".join(
        f'<option value="{escaped(status)}" {"selected" if status == chosen else ""}>'
        f"{escaped(status_label(status))}</option>"
        for status in STATUSES
    )
    no_department = translated(gettext("No department"))
    chosen = filters.department
    department_parts = []
    for name in departments:
        value = name or "-"
        department_parts.append(
            f'\n      \n      <option value="{escaped(value)}" {"selected" if value == chosen else ""}>'
            f"{escaped(name) if name else no_department}</option>\n      "
        )
    chosen = filters.category_id
    category_parts = [
        f'<option value="{escaped(pk)}" {"selected" if pk == chosen else ""}>{escaped(label)}</option>'
        for pk, label in categories
    ]
    return FilterOptions(Markup(statuses), Markup("".join(department_parts)), Markup("".join(category_parts)))
