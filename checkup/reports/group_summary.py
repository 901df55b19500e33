"""The group summary report (PDF and XLSX) of one release, from ``checkup.services.groups.group_summary.present``.

Only aggregates reach this module, and a suppressed figure arrives without its number: it is
printed as the marker, explained by the legend under every table.
"""

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from checkup.reports.group_document import GroupDocumentRenderer
from checkup.reports.spreadsheet import workbook_bytes


def _participation_rows(table):
    rows = [[r["label"], r["enrolled"].text, r["completed"].text, r["rate"].text] for r in table["rows"]]
    total = table["total"]
    return rows + [[str(total["label"]), total["enrolled"].text, total["completed"].text, total["rate"].text]]


def _prevalence_rows(table):
    rows = [[_("People examined")] + [c["size"].text for c in table["columns"]] + [table["total"].text]]
    for row in table["rows"]:
        rows.append([row["label"]] + [cell.text for cell in row["cells"]] + [row["total"].text])
    return rows


def participation_header():
    return [_("Subgroup"), _("Enrolled"), _("Completed"), _("Participation rate")]


def prevalence_header(table):
    return [_("Finding")] + [c["label"] for c in table["columns"]] + [_("All")]


class GroupSummaryRenderer(GroupDocumentRenderer):
    def document_title(self, data):
        return _("Group health summary")

    def _legend(self, data):
        return self.paragraph(data.get("legend", ""), "Small")

    def _overview(self, data):
        overall = data["overall"]
        lines = [
            _("Employees enrolled: %(n)s", n=overall["enrolled"].text),
            _("Checkups completed: %(n)s", n=overall["completed"].text),
            _("Participation rate: %(rate)s", rate=overall["rate"].text),
            _("Employees with a signed report counted in the findings: %(n)s", n=data["examined"].text),
        ]
        note = _(
            "This report holds group figures only. No figure about fewer than %(k)s people is shown, nor any "
            "figure from which one could be worked out.",
            k=data["k"],
        )
        return (
            [self.heading(_("Overview"))]
            + [self.paragraph(line) for line in lines]
            + [Spacer(1, 2 * mm), self.paragraph(note, "Small")]
        )

    def _participation(self, data):
        story = [self.heading(_("Participation"))]
        for table in data["participation"]:
            block = [
                self.heading(str(table["title"]), "Subheading"),
                self.table(participation_header(), _participation_rows(table), (0.46, 0.18, 0.18, 0.18), total_rows=1),
                Spacer(1, 1 * mm),
                self._legend(data),
            ]
            story.append(KeepTogether(block))
        return story

    def _prevalence(self, data):
        story = [self.heading(_("Most common abnormal findings"))]
        if not any(table["rows"] for table in data["prevalence"]):
            return story + [
                self.paragraph(
                    _("No abnormal finding was seen in %(k)s or more of the employees examined.", k=data["k"])
                )
            ]
        story.append(
            self.paragraph(
                _(
                    "People with each finding, and their share of the people examined in the "
                    "group. Findings seen in fewer than %(k)s people are not listed.",
                    k=data["k"],
                ),
                "Small",
            )
        )
        for table in data["prevalence"]:
            columns = len(table["columns"]) + 1
            fractions = [0.3] + [0.7 / columns] * columns
            story += [
                self.heading(str(table["title"]), "Subheading"),
                self.table(prevalence_header(table), _prevalence_rows(table), fractions),
                Spacer(1, 1 * mm),
                self._legend(data),
            ]
        return story

    def _recommendations(self, data):
        story = [self.heading(_("Recommendations"))]
        advice = data.get("recommendations") or []
        if not advice:
            return story + [self.paragraph(_("No recommendation: too few findings to suggest group measures."))]
        return story + [self.paragraph(f"{n}. {text}") for n, text in enumerate(advice, start=1)]

    def story(self, data):
        release = data.get("release")
        if release:
            subtitle = _(
                "Booking window %(window)s · release %(number)s (%(reason)s) of %(day)s",
                window=data["contract"]["window"],
                number=release["number"],
                reason=release["reason"],
                day=release["released_on"],
            )
        else:
            subtitle = _(
                "Booking window %(window)s · generated %(day)s",
                window=data["contract"]["window"],
                day=data.get("generated_on", ""),
            )
        return (
            self.title_block(data, subtitle)
            + self._overview(data)
            + self._participation(data)
            + self._prevalence(data)
            + self._recommendations(data)
        )


def _sheet_value(cell, marker):
    """A number stays numeric in the spreadsheet; a hidden cell is the marker, never a number."""
    return marker if cell.hidden else cell.count


def summary_workbook(data):
    """The same figures as XLSX: one sheet for participation, one per prevalence table, one for advice."""
    marker = data["marker"]
    participation = []
    for table in data["participation"]:
        for row in table["rows"] + [table["total"]]:
            rate = row["rate"]
            participation.append(
                [
                    str(table["title"]),
                    str(row["label"]),
                    _sheet_value(row["enrolled"], marker),
                    _sheet_value(row["completed"], marker),
                    marker if rate.hidden else (float(rate.percent) if rate.percent is not None else ""),
                ]
            )
        participation.append([])
    participation.append([data["legend"]])
    sheets = [
        (
            _("Participation"),
            [_("Table"), _("Subgroup"), _("Enrolled"), _("Completed"), _("Participation rate (%)")],
            participation,
        )
    ]
    for table in data["prevalence"]:
        header = [_("Finding")]
        for column in table["columns"]:
            header += [column["label"], _("%(group)s (%%)", group=column["label"])]
        header += [_("All"), _("All (%)")]
        rows = [
            [_("People examined")]
            + [v for c in table["columns"] for v in (_sheet_value(c["size"], marker), "")]
            + [_sheet_value(table["total"], marker), ""]
        ]
        for row in table["rows"]:
            values = [row["label"]]
            for cell in row["cells"] + [row["total"]]:
                values += [
                    _sheet_value(cell, marker),
                    marker if cell.hidden else (float(cell.percent) if cell.percent is not None else ""),
                ]
            rows.append(values)
        rows += [[], [data["legend"]]]
        sheets.append((_("Findings %(table)s", table=str(table["title"]).lower())[:31], header, rows))
    sheets.append((_("Recommendations"), [_("Recommendation")], [[text] for text in data["recommendations"]]))
    return workbook_bytes(sheets)
