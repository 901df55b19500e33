"""HR's employee list printed in Python (#16), byte for byte the table templates/hr/_employee_results.html printed
through the shared table macro (templates/components/table.html): 50 rows a page of a dozen values each. Only what
the list shows of an employee (number, name, department, category, status, invitation date, whether an address is
on file) reaches it; values are escaped as the template escaped them, labels translated once per page, the
booking link an address pattern; tests/groups/test_hr_employee_rows.py renders the template beside it."""

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.services.groups.enrollments import STATUSES, status_label
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
    # "Select %(name)s" with the name left to fill in per row (escaped, as the template's Markup % did)
    select_pattern = str(translated(gettext("Select %(name)s", name="%(name)s")))
    on_file = translated(gettext("On file"))
    no_email = translated(gettext("No email"))
    email_missing = f'<span class="badge warning">{no_email}</span>'
    status_cells = {
        status: f'<span class="badge {BADGES.get(status, "")}">{escape(str(status_label(status)))}</span>'
        for status in STATUSES
    }
    no_status = '<span class="badge "></span>'
    invited_days = {}  # a wave invites hundreds at the same moment: its day worked out once
    parts = []
    for row in rows:
        number = escape(row.enrollment_id)
        name = escape(row.name)
        link_name = f'<a href="{escape(booking_link % row.enrollment_id)}">{name}</a>' if booking_link else name
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
          <label for="pick-{number}" class="visually-hidden">{select_pattern % {"name": name}}</label></td>
      <td data-label="{l_number}">{escape(row.employee_no)}</td>
      <td data-label="{l_name}">{link_name}</td>
      <td data-label="{l_department}">{escape(row.department or "—")}</td>
      <td data-label="{l_category}">{escape(row.category)}</td>
      <td data-label="{l_status}">{status_cells.get(row.status, no_status)}</td>
      <td data-label="{l_invited}">{invited}</td>
      <td data-label="{l_email}">{on_file if row.has_email else email_missing}</td>
    </tr>
    """
        )
    return "".join(parts)
