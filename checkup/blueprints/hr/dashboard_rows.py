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
from checkup.services.groups.enrollments import (
    CHART_LABELS,
    CHART_ROW,
    STATUSES,
    bar_percent,
    bar_span,
    status_label,
)
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
# (width, end) of a bar by its percentage of the longest (a count above zero), as printed; and of a count of zero
SPANS = tuple(tuple(str(value) for value in bar_span(percent, True)) for percent in range(101))
NO_SPAN = tuple(str(value) for value in bar_span(0, False))


def _braced(text):
    """``text`` as it stands in a format string (its braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def _chart_texts():
    """A contract's chart as one format, in this request's language: {0} the contract's number, {1} the
    caption (escaped), {2}…{7} the counts by status, then each bar's width and end."""
    labels = [_braced(escaped(str(status_label(status)))) for status in STATUSES]
    counted = len(STATUSES)
    description = "; ".join(f"{label}: {{{2 + index}}}" for index, label in enumerate(labels))
    parts = [
        '\n\n<figure class="hr-chart">\n  <svg id="chart-{0}" role="img" aria-labelledby="chart-{0}-title'
        f' chart-{{0}}-desc"\n       width="100%" height="{counted * CHART_ROW + 10}">\n'
        '    <title id="chart-{0}-title">{1}</title>\n'
        f'    <desc id="chart-{{0}}-desc">{description}</desc>\n    '
    ]
    for index, (status, label) in enumerate(zip(STATUSES, labels, strict=True)):
        y = index * CHART_ROW + 5
        width, end = 2 + counted + 2 * index, 3 + counted + 2 * index
        parts.append(
            f'\n    <g>\n      <text x="0" y="{y + 17}" font-size="14" fill="#2f3540">{label}</text>\n'
            f'      <rect x="{CHART_LABELS}%" y="{y + 3}" width="{{{width}}}%" height="18" rx="2"'
            f' fill="{COLOURS.get(status, "")}"></rect>\n'
            f'      <text x="{{{end}}}%" dx="6" y="{y + 17}" font-size="14" fill="#2f3540">'
            f"{{{2 + index}}}</text>\n    </g>\n    "
        )
    parts.append("\n  </svg>\n</figure>\n")
    return "".join(parts)


def _chart(chart, number, caption, figures):
    """``chart`` (``_chart_texts``) filled in: the bars laid out as enrollments.StatusChart lays them out."""
    counts = figures[: len(STATUSES)]
    top = max(counts) or 1
    values = [number, caption, *counts]
    for count in counts:
        values += SPANS[bar_percent(count, top)] if count else NO_SPAN
    return chart.format(*values)


def status_chart(counts, chart_id, caption):
    """A contract's Counts (services/groups/enrollments) as an SVG of horizontal bars, as the ``status_chart``
    macro printed its StatusChart; ``chart_id`` "chart-" and the contract's number, ``caption`` the chart's
    title (translated by the caller)."""
    chart = kept_texts("dashboard_chart", _chart_texts)
    return Markup(_chart(chart, chart_id.removeprefix("chart-"), escape(caption), counts.figures))


def _table_texts():
    labels = [escape(str(status_label(status))) for status in STATUSES]
    labels.append(escape(translated(gettext("Total"))))
    return SimpleNamespace(
        figure_headers="".join(f'<th scope="col" class="num">{label}</th>' for label in labels),
        columns=len(labels) + 1,
        # a row (its name, then its figures) as one format, the labels' braces doubled: filled in one call
        row='\n  <tr>\n    <th scope="row">{}</th>\n    '
        + "".join(f'<td class="num" data-label="{_braced(label)}">{{}}</td>' for label in labels)
        + "\n  </tr>\n  ",
        nobody=translated(gettext("Nobody on the roster yet.")),
    )


TABLE_END = "\n\n  </tbody>\n</table>\n</div>\n\n"


class CountsTables:
    """Prints the dashboard's tables of counts by status, as the ``counts_table`` macro printed them: the
    figure columns' labels (the statuses', then the total's) translated once per process and language."""

    def __init__(self):
        texts = kept_texts("dashboard_tables", _table_texts)
        self._figure_headers, self.row = texts.figure_headers, texts.row
        self._empty = f'\n  <tr><td colspan="{texts.columns}">{texts.nobody}</td></tr>\n  '

    def opening(self, heading, caption):
        """A table's markup up to its rows: ``heading`` names the groups' column, ``caption`` the table's (both
        translated by the caller)."""
        return (
            '\n\n\n<div class="table-wrap">\n<table class="stack-on-phone two-up">\n  '
            + (f"<caption>{escape(caption)}</caption>" if caption else "")
            + f'\n  <thead><tr>\n    <th scope="col">{escape(heading)}</th>{self._figure_headers}\n  </tr></thead>\n'
            + "  <tbody>\n  \n  "
        )

    def rows(self, rows, empty_label):
        """``rows``: (name, Counts) per group; a <th> with the name (escaped; else ``empty_label``, printed as it
        is), then a cell per figure."""
        if not rows:
            return self._empty
        row = self.row.format
        return "".join([row(escaped(name) if name else empty_label, *counts.figures) for name, counts in rows])

    def table(self, rows, heading, caption, empty_label):
        """A whole table of ``rows`` (see ``rows``)."""
        return Markup(self.opening(heading, caption) + self.rows(rows, escaped(empty_label)) + TABLE_END)


def _link(endpoint, id_name, label):
    """A link to ``endpoint`` as a ``%`` format of the contract's number (its address escaped as the template
    escaped it, the label's own ``%`` doubled)."""
    return f'<a href="{escaped(address_pattern(endpoint, id_name))}">{str(label).replace("%", "%%")}</a>'


def _section_texts():
    """The contract sections' labels, links, chart and tables' markup around their figures, in this request's
    language (nothing of a contract in them)."""
    endpoints = current_app.view_functions
    tables = CountsTables()
    # translated outside the f-strings: pybabel does not look inside them
    details, roster = translated(gettext("Contract details")), translated(gettext("Roster import"))
    employees, invitations = translated(gettext("Employee list")), translated(gettext("Invitations"))
    by_department, by_category = translated(gettext("By department")), translated(gettext("By category"))
    everyone = translated(gettext("All employees"))
    return SimpleNamespace(
        details=_link("hr_contracts.detail", "contract_id", details) + " · "
        if "hr_contracts.detail" in endpoints
        else "",
        roster=_link("hr_roster.index", "contract_id", roster) + " · " if "hr_roster.index" in endpoints else "",
        employees=_link("hr.employees", "contract", employees),
        invitations=" · " + _link("hr.invitations_page", "contract", invitations),
        chart=_chart_texts(),
        # the tables up to their rows (the overall one's row up to its figures)
        roster_table=tables.opening(
            translated(gettext("Roster")), translated(gettext("Employees by status (the figures of the chart)"))
        )
        + tables.row.replace("{}", _braced(str(everyone)), 1),
        department_table=f"\n  <h3>{by_department}</h3>\n  "
        + tables.opening(
            translated(gettext("Company department")), translated(gettext("Employees by department and status"))
        ),
        no_department=escaped(translated(gettext("No department"))),
        category_table=f"\n  <h3>{by_category}</h3>\n  "
        + tables.opening(translated(gettext("Category")), translated(gettext("Employees by category and status"))),
        # "%(contract)s" filled in per contract with its name escaped, as the template's Markup % did
        chart_caption=str(translated(gettext("Employees by status: %(contract)s"))),
        window=str(translated(gettext("Booking window %(start)s to %(end)s"))),
        contract_statuses={status: escaped(contracts.status_label(status)) for status in contracts.STATUS_LABELS},
    )


class ContractSections:
    """Prints each contract's section of the dashboard (a ContractProgress of services/groups/enrollments), as
    home.html's loop printed it; the labels, links' patterns and the markup around the figures kept per process
    and language."""

    def __init__(self):
        self._rows = CountsTables().rows
        self._texts = kept_texts("dashboard_sections", _section_texts)
        self._catalog = template_gettext._translations()  # the plural of each roster's count, without Flask-Babel

    def __call__(self, entry):
        contract, texts, rows = entry.contract, self._texts, self._rows
        figures = entry.totals.figures
        total, number, active = figures[-1], contract.id, contract.status == ACTIVE
        # what flask_babel.ngettext gives (that catalog's plural, the count put in), as a template prints it
        on_roster = self._catalog.ungettext(
            "%(num)d employee on the roster", "%(num)d employees on the roster", total
        ) % {"num": total}
        window = texts.window % {"start": contract.window_start.isoformat(), "end": contract.window_end.isoformat()}
        name = escaped(contract.name)
        status = texts.contract_statuses.get(contract.status)
        if status is None:
            status = escaped(contracts.status_label(contract.status))
        details = texts.details % number if texts.details else ""
        roster = texts.roster % number if texts.roster else ""
        invitations = texts.invitations % number if active else ""
        head = f"""<section class="hr-contract" aria-labelledby="contract-{number}">
  <h2 id="contract-{number}">{name} <span class="badge {"active" if active else ""}">{status}</span></h2>
  <p class="muted">{window}
    · {on_roster}</p>
  <p>
    {details}
    {roster}
    {texts.employees % number}
    {invitations}
  </p>
  """
        return Markup(
            "".join(
                (
                    head,
                    _chart(texts.chart, number, texts.chart_caption % {"contract": name}, figures),
                    "\n  ",
                    texts.roster_table.format(*figures),
                    TABLE_END,
                    texts.department_table,
                    rows(entry.by_department, texts.no_department),
                    TABLE_END,
                    texts.category_table,
                    rows(entry.by_category, ""),
                    TABLE_END,
                    "\n</section>",
                )
            )
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
