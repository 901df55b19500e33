"""The billing statement (PDF and XLSX) from ``checkup.services.groups.billing.statement_data``."""

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from checkup.reports.group_document import GroupDocumentRenderer
from checkup.reports.spreadsheet import workbook_bytes


def amount(value):
    return f"{value:,.2f}"


def category_header():
    return [
        _("Category"),
        _("Package"),
        _("Price after discount"),
        _("Completed"),
        _("Amount"),
        _("No-shows"),
        _("No-show charge"),
        _("Amount"),
        _("Total"),
    ]


def line_header():
    return [
        _("Employee number"),
        _("Full name"),
        _("Company department"),
        _("Category"),
        _("Date"),
        _("Status"),
        _("Company amount"),
    ]


def self_paid_header():
    return [_("Employees who added items"), _("Add-ons"), _("Paid by the employees")]


class BillingStatementRenderer(GroupDocumentRenderer):
    def document_title(self, data):
        return _("Billing statement")

    def _terms(self, data):
        contract = data["contract"]
        return [
            self.heading(_("Contract terms")),
            self.paragraph(_("Discount on package prices: %(percent)s%%", percent=contract["discount_percent"])),
            self.paragraph(
                _(
                    "No-shows are charged at %(percent)s%% of the category price.",
                    percent=contract["no_show_charge_percent"],
                )
            ),
            self.paragraph(_("Categories the company does not pay for are charged nothing here."), "Small"),
        ]

    def _categories(self, data):
        rows = [
            [
                c["label"],
                c["package"],
                amount(c["unit_price"]),
                str(c["completed"]),
                amount(c["completed_amount"]),
                str(c["no_shows"]),
                amount(c["no_show_price"]),
                amount(c["no_show_amount"]),
                amount(c["amount"]),
            ]
            for c in data["categories"]
        ]
        totals = data["totals"]
        rows.append(
            [
                _("Total"),
                "",
                "",
                str(totals["completed"]),
                amount(totals["completed_amount"]),
                str(totals["no_shows"]),
                "",
                amount(totals["no_show_amount"]),
                amount(totals["company"]),
            ]
        )
        fractions = (0.15, 0.17, 0.1, 0.09, 0.11, 0.08, 0.09, 0.1, 0.11)
        return [
            self.heading(_("Summary by category")),
            self.table(category_header(), rows, fractions, right_from=2, total_rows=1),
            Spacer(1, 2 * mm),
            self.paragraph(
                _("Amount due from the company: %(amount)s", amount=amount(totals["company"])), "Subheading"
            ),
        ] + (
            [
                self.paragraph(
                    _("Included: credits for items not performed, %(amount)s.", amount=amount(data["credits"]))
                )
            ]
            if data.get("credits")
            else []
        )

    def _lines(self, data):
        rows = [
            [
                line["employee_no"],
                line["name"],
                line["department"],
                line["category"],
                line["date"],
                line["status_label"],
                amount(line["amount"]),
            ]
            for line in data["lines"]
        ]
        rows.append([_("Total"), "", "", "", "", "", amount(data["totals"]["company"])])
        fractions = (0.13, 0.17, 0.16, 0.15, 0.12, 0.12, 0.15)
        return [self.heading(_("Employees")), self.table(line_header(), rows, fractions, right_from=6, total_rows=1)]

    def _self_paid(self, data):
        story = [
            self.heading(_("Add-ons paid by the employees")),
            self.paragraph(_("Listed for information only: these are not part of the company's total."), "Small"),
        ]
        paid = data["self_paid"]
        if not paid["employees"]:
            return story + [self.paragraph(_("No employee paid for add-ons."))]
        rows = [[str(paid["employees"]), str(paid["count"]), amount(paid["amount"])]]
        return story + [self.table(self_paid_header(), rows, (0.4, 0.3, 0.3), right_from=0)]

    def story(self, data):
        subtitle = _("Booking window %(window)s", window=data["contract"]["window"])
        return (
            self.title_block(data, subtitle)
            + self._terms(data)
            + self._categories(data)
            + self._lines(data)
            + self._self_paid(data)
        )


def statement_workbook(data):
    """The statement as XLSX: summary by category, employee lines, self-paid add-ons in total (amounts numeric)."""
    totals = data["totals"]
    categories = [
        [
            c["label"],
            c["package"],
            c["unit_price"],
            c["completed"],
            c["completed_amount"],
            c["no_shows"],
            c["no_show_price"],
            c["no_show_amount"],
            c["amount"],
        ]
        for c in data["categories"]
    ]
    categories.append(
        [
            _("Total"),
            "",
            "",
            totals["completed"],
            totals["completed_amount"],
            totals["no_shows"],
            "",
            totals["no_show_amount"],
            totals["company"],
        ]
    )
    lines = [
        [
            line["employee_no"],
            line["name"],
            line["department"],
            line["category"],
            line["date"],
            line["status_label"],
            line["amount"],
        ]
        for line in data["lines"]
    ]
    lines.append([_("Total"), "", "", "", "", "", totals["company"]])
    paid = data["self_paid"]
    self_paid = [[paid["employees"], paid["count"], paid["amount"]]]
    return workbook_bytes(
        [
            (_("Overview"), category_header(), categories),
            (_("Employees"), line_header(), lines),
            (_("Self-paid add-ons"), self_paid_header(), self_paid),
        ]
    )
