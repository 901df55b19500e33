"""HR's dashboard printed in Python (#16), byte for byte what its template and macros printed (templates/hr/home.html,
templates/hr/_chart.html): per contract its heading, window, links, a bar chart of the counts by status and three
tables of the same counts (overall, by department, by category) in the shared table frame
(templates/components/table.html). Nine tables a page, each a macro calling the shared table macro around it, and
a dozen translated strings per contract were most of the page's time. Only counts reach it (never a person);
values are escaped as the templates escaped them, labels translated once per page, links made from address
patterns; tests/groups/test_hr_dashboard_rows.py renders the old template beside it."""

from flask import current_app
from flask_babel import gettext, ngettext
from markupsafe import Markup, escape

from checkup.models.groups import ACTIVE
from checkup.services.groups import contracts
from checkup.services.groups.enrollments import STATUSES, status_label
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
        f' {chart_id}-desc"\n       width="100%" height="{escape(chart.height)}">\n'
        f'    <title id="{chart_id}-title">{escape(caption)}</title>\n'
        f'    <desc id="{chart_id}-desc">{escape(chart.description)}</desc>\n    '
    ]
    bar_start = escape(chart.bar_start)
    for bar in chart.bars:
        baseline = escape(bar.baseline)
        parts.append(
            f'\n    <g>\n      <text x="0" y="{baseline}" font-size="14" fill="#2f3540">{escape(bar.label)}</text>\n'
            f'      <rect x="{bar_start}%" y="{escape(bar.top)}" width="{escape(bar.width)}%" height="18" rx="2"'
            f' fill="{COLOURS.get(bar.status, "")}"></rect>\n'
            f'      <text x="{escape(bar.end)}%" dx="6" y="{baseline}" font-size="14" fill="#2f3540">'
            f"{escape(bar.count)}</text>\n    </g>\n    "
        )
    parts.append("\n  </svg>\n</figure>\n")
    return Markup("".join(parts))


class CountsTables:
    """Prints the dashboard's tables of counts by status, as the ``counts_table`` macro printed them: the
    figure columns' labels (the statuses', then the total's) translated once for the page."""

    def __init__(self):
        labels = [escape(str(status_label(status))) for status in STATUSES]
        labels.append(escape(translated(gettext("Total"))))
        self._figure_headers = "".join(f'<th scope="col" class="num">{label}</th>' for label in labels)
        self._cell_openers = [f'<td class="num" data-label="{label}">' for label in labels]
        self._nobody = translated(gettext("Nobody on the roster yet."))

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
            openers = self._cell_openers
            for name, counts in rows:
                cells = "".join(
                    f"{opener}{figure}</td>" for opener, figure in zip(openers, counts.figures, strict=False)
                )
                parts.append(
                    f'\n  <tr>\n    <th scope="row">{escape(name or empty_label)}</th>\n    {cells}\n  </tr>\n  '
                )
        else:
            parts.append(f'\n  <tr><td colspan="{len(self._cell_openers) + 1}">{self._nobody}</td></tr>\n  ')
        parts.append("\n\n  </tbody>\n</table>\n</div>\n\n")
        return Markup("".join(parts))


class ContractSections:
    """Prints each contract's section of the dashboard (a ContractProgress of services/groups/enrollments), as
    home.html's loop printed it; the labels and the links' patterns made once for the page."""

    def __init__(self):
        self._tables = CountsTables()
        endpoints = current_app.view_functions
        self._detail = (
            address_pattern("hr_contracts.detail", "contract_id") if "hr_contracts.detail" in endpoints else None
        )
        self._roster = address_pattern("hr_roster.index", "contract_id") if "hr_roster.index" in endpoints else None
        self._employees = address_pattern("hr.employees", "contract")
        self._invitations = address_pattern("hr.invitations_page", "contract")
        self._labels = {
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
        }
        # "%(contract)s" left to fill in per contract (escaped, as the template's Markup % did)
        self._chart_caption = translated(gettext("Employees by status: %(contract)s"))
        self._window = translated(gettext("Booking window %(start)s to %(end)s"))

    def __call__(self, entry):
        contract, totals, labels, tables = entry.contract, entry.totals, self._labels, self._tables
        number = contract.id
        active = contract.status == ACTIVE
        on_roster = translated(
            ngettext("%(num)d employee on the roster", "%(num)d employees on the roster", totals.total)
        )
        window = self._window % {"start": contract.window_start.isoformat(), "end": contract.window_end.isoformat()}
        details = f'<a href="{escape(self._detail % number)}">{labels["details"]}</a> · ' if self._detail else ""
        roster = f'<a href="{escape(self._roster % number)}">{labels["roster"]}</a> · ' if self._roster else ""
        invitations = f' · <a href="{escape(self._invitations % number)}">{labels["invitations"]}</a>' if active else ""
        caption = self._chart_caption % {"contract": contract.name}
        return Markup(
            f"""<section class="hr-contract" aria-labelledby="contract-{number}">
  <h2 id="contract-{number}">{escape(contract.name)} <span class="badge {"active" if active else ""}">"""
            f"""{escape(str(contracts.status_label(contract.status)))}</span></h2>
  <p class="muted">{window}
    · {on_roster}</p>
  <p>
    {details}
    {roster}
    <a href="{escape(self._employees % number)}">{labels["employees"]}</a>
    {invitations}
  </p>
  {status_chart(totals.chart(), f"chart-{number}", caption)}
  {tables.table([(labels["all"], totals)], labels["roster_heading"], labels["roster_caption"], "")}
  <h3>{labels["by_department"]}</h3>
  {tables.table(entry.by_department, labels["department"], labels["department_caption"], labels["no_department"])}
  <h3>{labels["by_category"]}</h3>
  {tables.table(entry.by_category, labels["category"], labels["category_caption"], "")}
</section>"""
        )
