"""HR's employee list printed in Python (#16), byte for byte the table templates/hr/_employee_results.html printed
through the shared table macro (templates/components/table.html): 50 rows a page of a dozen values each. Only what
the list shows of an employee (number, name, department, category, status, invitation date, whether an address is
on file) reaches it; values are escaped as the template escaped them, labels translated once per page, the
booking link an address pattern; tests/groups/test_hr_employee_rows.py renders the template beside it."""

import datetime
from types import SimpleNamespace
from typing import NamedTuple

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.blueprints.hr.kept_texts import kept_texts
from checkup.core import clock
from checkup.models.groups import ACTIVE
from checkup.services.groups import contracts, employee_exports
from checkup.services.groups.enrollments import STATUSES, status_label
from checkup.web import template_gettext
from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import translated

BADGES = {"completed": "success", "no_show": "danger", "booked": "info", "checked_in": "info"}


def _table_texts():
    """The table's labels, header and per-status cells in this request's language."""
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
    # "Select %(name)s" filled in with a marker once and cut there: the row's (escaped) name goes between the
    # pieces, as the template's Markup % put it
    select_pattern = str(translated(gettext("Select %(name)s", name="%(name)s")))
    on_file = translated(gettext("On file"))
    no_email = translated(gettext("No email"))
    nobody = translated(gettext("No employee matches."))  # outside the f-string: pybabel does not look inside
    return SimpleNamespace(
        labels=labels,
        head=(
            '\n\n<div class="table-wrap">\n<table class="stack-on-phone">\n  \n  <thead><tr>\n    '
            f'<th scope="col"><span class="visually-hidden">{select}</span></th>{header}\n  </tr></thead>\n  <tbody>'
            "\n  \n    "
        ),
        nobody=f'\n    <tr><td colspan="8">{nobody}</td></tr>\n    ',
        select_pieces=tuple((select_pattern % {"name": "\x00"}).split("\x00")),
        email_cells={True: str(on_file), False: f'<span class="badge warning">{no_email}</span>'},
        status_cells={
            status: f'<span class="badge {BADGES.get(status, "")}">{escape(str(status_label(status)))}</span>'
            for status in STATUSES
        },
        status_names={status: escaped(status_label(status)) for status in STATUSES},
        no_department=translated(gettext("No department")),
    )


def employee_table(rows, booking_link):
    """The list's table: a header, then per EmployeeRow (services/groups/enrollments) a checkbox to pick it for
    an invitation and its cells; ``booking_link`` the booking address with ``%d`` for the enrollment (None:
    names without links). No rows: one line saying so. Labels kept per process and language."""
    texts = kept_texts("employee_table", _table_texts)
    parts = [texts.head, _rows(rows, booking_link, texts) if rows else texts.nobody]
    parts.append("\n  \n  </tbody>\n</table>\n</div>\n")
    return Markup("".join(parts))


def _rows(rows, booking_link, texts):
    # plain text (a Markup formats itself through Python in an f-string: 7 labels a row, 50 rows)
    l_number, l_name, l_department, l_category, l_status, l_invited, l_email = map(str, texts.labels)
    select_pieces, email_cells, status_cells = texts.select_pieces, texts.email_cells, texts.status_cells
    no_status = '<span class="badge "></span>'
    # the address pattern holds only its own characters and ``%d``: escaped once, then filled in with an id
    link_pattern = str(escape(booking_link)) if booking_link else None
    zone = clock.zone()
    # a page's rows share a few departments and categories, and a wave invites hundreds at the same moment:
    # each of those cells worked out once a page
    departments, categories, invited_days = {}, {}, {None: "—"}
    parts = []
    for enrollment_id, employee_no, name, department, category, status, invited_at, has_email in rows:
        number = escaped(enrollment_id)
        name = escaped(name)
        link_name = f'<a href="{link_pattern % enrollment_id}">{name}</a>' if link_pattern else name
        department_cell = departments.get(department)
        if department_cell is None:
            department_cell = departments[department] = escaped(department or "—")
        category_cell = categories.get(category)
        if category_cell is None:
            category_cell = categories[category] = escaped(category)
        invited = invited_days.get(invited_at)
        if invited is None:
            # templating.center_time(invited_at, "%Y-%m-%d"), the center's zone read once a page
            local = invited_at.replace(tzinfo=datetime.UTC).astimezone(zone) if invited_at else None
            invited = invited_days[invited_at] = escaped(local.strftime("%Y-%m-%d")) if local else "—"
        parts.append(
            f"""
    <tr>
      <td class="pick"><input type="checkbox" name="ids" value="{number}" id="pick-{number}">
          <label for="pick-{number}" class="visually-hidden">{name.join(select_pieces)}</label></td>
      <td data-label="{l_number}">{escaped(employee_no)}</td>
      <td data-label="{l_name}">{link_name}</td>
      <td data-label="{l_department}">{department_cell}</td>
      <td data-label="{l_category}">{category_cell}</td>
      <td data-label="{l_status}">{status_cells.get(status, no_status)}</td>
      <td data-label="{l_invited}">{invited}</td>
      <td data-label="{l_email}">{email_cells[bool(has_email)]}</td>
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
    texts = kept_texts("employee_table", _table_texts)
    chosen, names = filters.status, texts.status_names
    statuses = "".join(
        f'<option value="{escaped(status)}" {"selected" if status == chosen else ""}>{names[status]}</option>'
        for status in STATUSES
    )
    no_department = texts.no_department
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


def _page_texts():
    """The employee list's fixed texts and addresses around its table, in this request's language."""
    return SimpleNamespace(
        employees=escape(url_for("hr.employees")),
        export=escape(url_for("hr.export_employees")),
        invitations=escape(url_for("hr.invitations_page")),
        export_label=translated(gettext("Export this list (XLSX)")),
        invite=translated(gettext("Invite the selected employees…")),
        pages=translated(gettext("Pages")),
        previous=translated(gettext("Previous page")),
        next=translated(gettext("Next page")),
        # "%(page)s" (and "%(pages)s") filled in per page, as the template's Markup % did
        page_of=translated(gettext("Page %(page)s of %(pages)s")),
        page=translated(gettext("Page %(page)s")),
        contract=translated(gettext("Contract")),
        show=translated(gettext("Show")),
        contract_statuses={status: escaped(contracts.status_label(status)) for status in contracts.STATUS_LABELS},
        heading=translated(gettext("Employees")),
        no_contract=translated(
            gettext("No group contract yet. The roster appears here once your company has a contract with the center.")
        ),
        # "%(contract)s", "%(start)s" and "%(end)s" filled in per page (escaped, as the template's Markup % did)
        window=translated(
            gettext(
                "%(contract)s · booking window %(start)s to %(end)s. You see each employee's status only, never "
                "their results."
            )
        ),
        search=translated(gettext("Name or employee number")),
        status=translated(gettext("Status")),
        any_status=translated(gettext("Any status")),
        department=translated(gettext("Company department")),
        any_department=translated(gettext("Any department")),
        category=translated(gettext("Category")),
        any_category=translated(gettext("Any category")),
        filter=translated(gettext("Filter")),
    )


def employee_page(contract, choices, filters, departments, categories, result, searched, booking_link):
    """templates/hr/employees.html's content as it printed: the heading, then (with a contract) the contract
    picker, the contract's window, the filter form (its search POSTed, never in an address) and the results
    (``employee_results``); without one, a line saying so. Texts and addresses kept per language."""
    texts = kept_texts("employee_page", _page_texts)
    if contract is None:
        return Markup(f'\n<h1>{texts.heading}</h1>\n\n<p class="empty">{texts.no_contract}</p>\n\n')
    window = texts.window % {
        "contract": contract.name,
        "start": contract.window_start.isoformat(),
        "end": contract.window_end.isoformat(),
    }
    options = filter_options(departments, categories, filters)
    url, token = texts.employees, escaped(csrf_token())
    results = employee_results(result, contract, filters, searched, booking_link)
    return Markup(
        f"\n<h1>{texts.heading}</h1>\n\n{contract_picker(choices, contract)}\n"
        f'<p class="muted">{window}</p>\n\n'
        f'<form method="post" action="{url}" role="search" class="search-bar directory-filters">\n'
        f'  <input type="hidden" name="csrf_token" value="{token}">\n'
        f'  <input type="hidden" name="contract" value="{escaped(contract.id)}">\n'
        f'  <div>\n    <label for="q">{texts.search}</label>\n'
        f'    <input id="q" type="search" name="q" value="{escaped(filters.search)}" maxlength="100" autocomplete="off"\n'
        f'           hx-post="{url}" hx-target="#employee-results" hx-include="closest form"\n'
        f'           hx-trigger="search, keyup delay:200ms changed">\n  </div>\n'
        f'  <div>\n    <label for="status">{texts.status}</label>\n    <select id="status" name="status">\n'
        f'      <option value="">{texts.any_status}</option>\n      {options.statuses}\n    </select>\n  </div>\n'
        f'  <div>\n    <label for="department">{texts.department}</label>\n'
        f'    <select id="department" name="department">\n'
        f'      <option value="">{texts.any_department}</option>\n      {options.departments}\n'
        f"    </select>\n  </div>\n"
        f'  <div>\n    <label for="category">{texts.category}</label>\n    <select id="category" name="category">\n'
        f'      <option value="">{texts.any_category}</option>\n      {options.categories}\n    </select>\n  </div>\n'
        f'  <button type="submit">{texts.filter}</button>\n</form>\n'
        f'<div id="employee-results">{results}</div>\n\n'
    )


def contract_picker(choices, contract):
    """What templates/hr/_contract_picker.html's macro printed for the employee list: a select of the company's
    contracts (only when it has more than one), the one shown selected."""
    if len(choices) <= 1:
        return Markup("\n\n")
    texts = kept_texts("employee_page", _page_texts)
    statuses = texts.contract_statuses
    chosen = contract.id if contract else None
    options = []
    for choice in choices:
        status = statuses.get(choice.status)
        if status is None:
            status = escaped(contracts.status_label(choice.status))
        options.append(
            f'\n    <option value="{escaped(choice.id)}" {"selected" if choice.id == chosen else ""}>'
            f"{escaped(choice.name)} ({status})</option>\n    "
        )
    return Markup(
        f'\n\n<form method="get" action="{texts.employees}" class="search-bar">\n'
        f'  <label for="contract-pick">{texts.contract}</label>\n  <select id="contract-pick" name="contract">\n    '
        f'{"".join(options)}\n  </select>\n  <button type="submit">{texts.show}</button>\n</form>\n\n'
    )


def _hidden_fields(values):
    """The hidden inputs of the ``values`` that are set, as the templates' loops printed them."""
    return "".join(
        f'<input type="hidden" name="{key}" value="{escaped(value)}">' for key, value in values.items() if value
    )


def _page_number(texts, result):
    if result.pages:
        return texts.page_of % {"page": result.number, "pages": result.pages}
    return texts.page % {"page": result.number}


def _pager(texts, result, contract_id, args):
    """components/pager.html's ``pager`` as the list called it: plain links that htmx turns into swaps."""
    if not (result.has_prev or result.has_next):
        return "\n\n"
    params = {key: value for key, value in {"contract": contract_id, **args}.items() if value}
    parts = [f'\n\n\n\n<nav aria-label="{texts.pages}" class="pager">\n  ']
    if result.has_prev:
        url = escape(url_for("hr.employees", page=result.number - 1, **params))
        parts.append(
            f'\n  \n  <a href="{url}" hx-get="{url}" hx-target="#employee-results" hx-push-url="true" rel="prev">'
            f'<span aria-hidden="true">←</span> {texts.previous}</a>\n  '
        )
    parts.append(f"\n  <span>{_page_number(texts, result)}</span>\n  ")
    if result.has_next:
        url = escape(url_for("hr.employees", page=result.number + 1, **params))
        parts.append(
            f'\n  \n  <a href="{url}" hx-get="{url}" hx-target="#employee-results" hx-push-url="true" rel="next">'
            f'{texts.next} <span aria-hidden="true">→</span></a>\n  '
        )
    parts.append("\n</nav>\n\n")
    return "".join(parts)


def _posted_pager(texts, result, contract_id, args, token):
    """components/pager.html's ``posted_pager`` as the list called it: each page POSTs the search again."""
    if not (result.has_prev or result.has_next):
        return "\n\n"
    url = texts.employees
    fields = _hidden_fields({"contract": contract_id, **args})

    def page_form(page, caption):
        return (
            f'\n<form method="post" action="{url}" class="inline-form" hx-post="{url}" hx-target="#employee-results">'
            f'\n  <input type="hidden" name="csrf_token" value="{token}">\n  {fields}\n'
            f'  <input type="hidden" name="page" value="{page}">\n'
            f'  <button type="submit" class="link-button">{caption}</button>\n</form>\n'
        )

    parts = [f'\n\n\n<nav aria-label="{texts.pages}" class="pager">\n  ']
    if result.has_prev:
        previous = f'<span aria-hidden="true">←</span> {texts.previous}'
        parts.append(f"\n  {page_form(result.number - 1, previous)}\n  ")
    parts.append(f"\n  <span>{_page_number(texts, result)}</span>\n  ")
    if result.has_next:
        following = f'{texts.next} <span aria-hidden="true">→</span>'
        parts.append(f"\n  {page_form(result.number + 1, following)}\n  ")
    parts.append("\n</nav>\n\n")
    return "".join(parts)


def employee_results(result, contract, filters, searched, booking_link):
    """templates/hr/_employee_results.html as it printed (the fragment a search or a page swaps in): the count,
    the export control (templates/hr/_export_form.html), the table inside the invitation form and the pager
    (a search's pages POSTed). Texts and addresses kept per language; this request's CSRF token put in."""
    texts = kept_texts("employee_page", _page_texts)
    args = filters.as_args()
    token = escaped(csrf_token())
    found = template_gettext._translations().ungettext(
        "%(num)d employee found.", "%(num)d employees found.", result.total
    ) % {"num": result.total}
    if filters.search or result.total > employee_exports.INLINE_LIMIT:  # read per request, as the template did
        export = (
            f'\n\n<form method="post" action="{texts.export}">\n'
            f'  <input type="hidden" name="csrf_token" value="{token}">\n'
            f'  <input type="hidden" name="contract" value="{escaped(contract.id)}">\n'
            f"  {_hidden_fields(args)}\n"
            f'  <p><button type="submit" class="link-button">{texts.export_label}</button></p>\n</form>\n'
        )
    else:
        link = escape(url_for("hr.export_employees", contract=contract.id, **args))
        export = f'\n\n<p><a href="{link}">{texts.export_label}</a></p>\n'
    invite = (
        f'\n  <button type="submit">{texts.invite}</button>\n  ' if contract.status == ACTIVE and result.items else ""
    )
    if searched:
        pager = _posted_pager(texts, result, contract.id, args, token)
    else:
        pager = _pager(texts, result, contract.id, args)
    return Markup(
        f'\n\n\n<p role="status" class="muted">{escaped(found)}</p>\n{export}\n'
        f'<form method="get" action="{texts.invitations}">\n'
        f'  <input type="hidden" name="contract" value="{escaped(contract.id)}">\n'
        f'  <input type="hidden" name="mode" value="selected">\n'
        f"  {employee_table(result.items, booking_link)}\n  {invite}\n</form>\n\n{pager}\n"
    )
