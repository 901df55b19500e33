"""HR's dashboard printed in Python (#16), byte for byte what its template and macros printed (templates/hr/home.html,
templates/hr/_chart.html): per contract its heading, window, links, a bar chart of the counts by status and three
tables of the same counts (overall, by department, by category) in the shared table frame
(templates/components/table.html). Nine tables a page, each a macro calling the shared table macro around it, and
a dozen translated strings per contract were most of the page's time. Only counts reach it (never a person);
values are escaped as the templates escaped them, labels translated and links' patterns made once per process and
language (kept_texts: nothing of a contact's or an organization's in them); tests/groups/test_hr_dashboard_rows.py
renders the old template beside it."""

from types import SimpleNamespace

from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.blueprints.hr.kept_texts import kept_texts
from checkup.models.groups import ACTIVE
from checkup.services.groups import contracts
from checkup.services.groups.enrollments import STATUSES, status_label
from checkup.web import template_gettext
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated

# the bars' colours by status (colour is never the only signal: every bar carries its label and number)
COLOURS = {
    "not_invited": "#6b7280",
    "invited": "#3a7bbf",
    "booked": "#0b4a6f",
    "checked_in": "#1e7b45",
    "completed": "#14532d",
    "no_show": "#8a1c1c",
}


def status_chart(chart, chart_id, caption):
    """A contract's StatusChart (services/groups/enrollments) as an SVG of horizontal bars, as the
    ``status_chart`` macro printed it; ``caption`` the chart's title (translated by the caller)."""
    chart_id = escape(chart_id)
    parts = [
        f'\n\n<figure class="hr-chart">\n  <svg id="{chart_id}" role="img" aria-labelledby="{chart_id}-title'
        f' {chart_id}-desc"\n       width="100%" height="{chart.height}">\n'
        f'    <title id="{chart_id}-title">{escape(caption)}</title>\n'
        f'    <desc id="{chart_id}-desc">{escape(chart.description)}</desc>\n    '
    ]
    bar_start = chart.bar_start  # numbers print as they are: nothing in them to escape
    for bar in chart.bars:
        baseline = bar.baseline
        parts.append(
            f'\n    <g>\n      <text x="0" y="{baseline}" font-size="14" fill="#2f3540">{escape(bar.label)}</text>\n'
            f'      <rect x="{bar_start}%" y="{bar.top}" width="{bar.width}%" height="18" rx="2"'
            f' fill="{COLOURS.get(bar.status, "")}"></rect>\n'
            f'      <text x="{bar.end}%" dx="6" y="{baseline}" font-size="14" fill="#2f3540">'
            f"{bar.count}</text>\n    </g>\n    "
        )
    parts.append("\n  </svg>\n</figure>\n")
    return Markup("".join(parts))


def _table_texts():
    labels = [escape(str(status_label(status))) for status in STATUSES]
    labels.append(escape(translated(gettext("Total"))))
    return SimpleNamespace(
        figure_headers="".join(f'<th scope="col" class="num">{label}</th>' for label in labels),
        cell_openers=[f'<td class="num" data-label="{label}">' for label in labels],
        # a row (its name, then its figures) as one format, the labels' braces doubled: filled in one call
        row='\n  <tr>\n    <th scope="row">{}</th>\n    '
        + "".join(
            f'<td class="num" data-label="{label.replace("{", "{{").replace("}", "}}")}">{{}}</td>' for label in labels
        )
        + "\n  </tr>\n  ",
        nobody=translated(gettext("Nobody on the roster yet.")),
    )


class CountsTables:
    """Prints the dashboard's tables of counts by status, as the ``counts_table`` macro printed them: the
    figure columns' labels (the statuses', then the total's) translated once per process and language."""

    def __init__(self):
        texts = kept_texts("dashboard_tables", _table_texts)
        self._figure_headers, self._cell_openers, self._nobody = texts.figure_headers, texts.cell_openers, texts.nobody
        self._row = texts.row

    def table(self, rows, heading, caption, empty_label):
        """``rows``: (name, Counts) per group; a <th> with the name (else ``empty_label``), then a cell per
        figure. ``heading`` names the groups' column; ``caption`` the table's (both translated by the caller)."""
        parts = [
            '\n\n\n<div class="table-wrap">\n<table class="stack-on-phone two-up">\n  ',
            f"<caption>{escape(caption)}</caption>" if caption else "",
            f'\n  <thead><tr>\n    <th scope="col">{escape(heading)}</th>{self._figure_headers}\n  </tr></thead>\n',
            "  <tbody>\n  \n  ",
        ]
        if rows:
            row = self._row.format
            empty_label = escaped(empty_label)
            parts += [row(escaped(name) if name else empty_label, *counts.figures) for name, counts in rows]
        else:
            parts.append(f'\n  <tr><td colspan="{len(self._cell_openers) + 1}">{self._nobody}</td></tr>\n  ')
        parts.append("\n\n  </tbody>\n</table>\n</div>\n\n")
        return Markup("".join(parts))


def _section_texts():
    """The contract sections' labels, links' patterns and the statuses' names, in this request's language."""
    endpoints = current_app.view_functions
    return SimpleNamespace(
        detail=address_pattern("hr_contracts.detail", "contract_id") if "hr_contracts.detail" in endpoints else None,
        roster=address_pattern("hr_roster.index", "contract_id") if "hr_roster.index" in endpoints else None,
        employees=address_pattern("hr.employees", "contract"),
        invitations=address_pattern("hr.invitations_page", "contract"),
        labels={
            "details": translated(gettext("Contract details")),
            "roster": translated(gettext("Roster import")),
            "employees": translated(gettext("Employee list")),
            "invitations": translated(gettext("Invitations")),
            "all": translated(gettext("All employees")),
            "roster_heading": translated(gettext("Roster")),
            "roster_caption": translated(gettext("Employees by status (the figures of the chart)")),
            "by_department": translated(gettext("By department")),
            "department": translated(gettext("Company department")),
            "department_caption": translated(gettext("Employees by department and status")),
            "no_department": translated(gettext("No department")),
            "by_category": translated(gettext("By category")),
            "category": translated(gettext("Category")),
            "category_caption": translated(gettext("Employees by category and status")),
        },
        # "%(contract)s" left to fill in per contract (escaped, as the template's Markup % did)
        chart_caption=translated(gettext("Employees by status: %(contract)s")),
        window=translated(gettext("Booking window %(start)s to %(end)s")),
        status_names={status: str(status_label(status)) for status in STATUSES},
        contract_statuses={status: escape(str(contracts.status_label(status))) for status in contracts.STATUS_LABELS},
    )


class ContractSections:
    """Prints each contract's section of the dashboard (a ContractProgress of services/groups/enrollments), as
    home.html's loop printed it; the labels and the links' patterns kept per process and language."""

    def __init__(self):
        self._tables = CountsTables()
        self._texts = kept_texts("dashboard_sections", _section_texts)
        self._catalog = template_gettext._translations()  # the plural of each roster's count, without Flask-Babel

    def __call__(self, entry):
        contract, totals, texts, tables = entry.contract, entry.totals, self._texts, self._tables
        labels = texts.labels
        number = contract.id
        active = contract.status == ACTIVE
        # what flask_babel.ngettext gives (that catalog's plural, the count put in), as a template prints it
        on_roster = translated(
            self._catalog.ungettext("%(num)d employee on the roster", "%(num)d employees on the roster", totals.total)
            % {"num": totals.total}
        )
        window = texts.window % {"start": contract.window_start.isoformat(), "end": contract.window_end.isoformat()}
        details = f'<a href="{escape(texts.detail % number)}">{labels["details"]}</a> · ' if texts.detail else ""
        roster = f'<a href="{escape(texts.roster % number)}">{labels["roster"]}</a> · ' if texts.roster else ""
        invitations = f' · <a href="{escape(texts.invitations % number)}">{labels["invitations"]}</a>' if active else ""
        caption = texts.chart_caption % {"contract": contract.name}
        status = texts.contract_statuses.get(contract.status)
        if status is None:
            status = escape(str(contracts.status_label(contract.status)))
        return Markup(
            f"""<section class="hr-contract" aria-labelledby="contract-{number}">
  <h2 id="contract-{number}">{escape(contract.name)} <span class="badge {"active" if active else ""}">"""
            f"""{status}</span></h2>
  <p class="muted">{window}
    · {on_roster}</p>
  <p>
    {details}
    {roster}
    <a href="{escape(texts.employees % number)}">{labels["employees"]}</a>
    {invitations}
  </p>
  {status_chart(totals.chart(texts.status_names), f"chart-{number}", caption)}
  {tables.table([(labels["all"], totals)], labels["roster_heading"], labels["roster_caption"], "")}
  <h3>{labels["by_department"]}</h3>
  {tables.table(entry.by_department, labels["department"], labels["department_caption"], labels["no_department"])}
  <h3>{labels["by_category"]}</h3>
  {tables.table(entry.by_category, labels["category"], labels["category_caption"], "")}
</section>"""
        )


# the profile's facts in home.html's order: (the organization's attribute, its label's key in _profile_texts)
PROFILE_FACTS = (
    ("address", "Address"),
    ("phone", "Phone"),
    ("fax", "Fax"),
    ("website", "Website"),
    ("email", "Email"),
    ("manager", "Manager"),
    ("business_scope", "Business scope"),
    ("health_contact", "Health contact"),
    ("employee_count", "Employees"),
    ("account_manager", "Account manager at the center"),
)


def _profile_texts():
    """The profile card's markup between its values, in this request's language: the last piece after the
    roster's size."""
    labels = {
        "Address": translated(gettext("Address")),
        "Phone": translated(gettext("Phone")),
        "Fax": translated(gettext("Fax")),
        "Website": translated(gettext("Website")),
        "Email": translated(gettext("Email")),
        "Manager": translated(gettext("Manager")),
        "Business scope": translated(gettext("Business scope")),
        "Health contact": translated(gettext("Health contact")),
        "Employees": translated(gettext("Employees")),
        "Account manager at the center": translated(gettext("Account manager at the center")),
    }
    # translated outside the f-strings: pybabel does not look inside them
    profile_title = translated(gettext("Company profile"))
    edit_text = translated(gettext("Edit the company profile"))
    on_file_title = translated(gettext("Employees on file"))
    on_file_note = translated(gettext("Employees registered with the center through your company."))
    pieces = [f'<div class="grid">\n  <article>\n    <h2>{profile_title}</h2>\n    <dl class="facts">']
    for name, key in PROFILE_FACTS:
        opener = '<dd class="prewrap">' if name == "business_scope" else "<dd>"
        pieces[-1] += f"\n      <dt>{labels[key]}</dt>{opener}"
        pieces.append("</dd>")
    edit = escape(url_for("hr.profile_edit"))
    pieces[-1] += (
        f'\n    </dl>\n    <p><a href="{edit}">{edit_text}</a></p>\n  </article>\n'
        f'  <article>\n    <h2>{on_file_title}</h2>\n    <p class="big-number">'
    )
    pieces.append(f"</p>\n    <p>{on_file_note}</p>\n  </article>\n</div>")
    return pieces


def profile_card(organization, roster_size):
    """home.html's company profile and roster size (its ``grid`` of two articles), as the template printed them:
    each fact escaped, or "—" when empty (the employee count only when not given)."""
    pieces = kept_texts("dashboard_profile", _profile_texts)
    parts = [pieces[0]]
    for (name, _key), piece in zip(PROFILE_FACTS, pieces[1:], strict=False):
        value = getattr(organization, name)
        if name == "employee_count":
            parts.append("—" if value is None else escape(value))
        else:
            parts.append(escape(value) if value else "—")
        parts.append(piece)
    parts.append(escape(roster_size))
    parts.append(pieces[-1])
    return Markup("".join(parts))
