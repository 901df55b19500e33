"""The client's checkup report as a PDF (see ``base.BaseRenderer``): a cover, then the findings, summary,
results by department, trends and the signature, every page after the cover under a running head.

The report is in one language, the client's: the data arrives worded in it (names, flags as words,
free text marked when it exists only in the other language; ``services/exam/report_pdf``) and the
labels here are translated, so a Chinese report carries no English but units, codes and names.
"""

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.units import mm
from reportlab.platypus import (
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from checkup.reports.base import BaseRenderer

ABNORMAL_FLAGS = ("H", "L", "A", "HH", "LL")
CRITICAL_FLAGS = ("HH", "LL")


class ClientReportRenderer(BaseRenderer):
    header_height = 10 * mm
    abnormal_color = colors.HexColor("#b3261e")
    abnormal_fill = colors.HexColor("#fdecea")
    critical_fill = colors.HexColor("#f9c9c4")

    def _styles(self):
        return {
            "Small": dict(fontSize=7.5, leading=10, textColor=colors.grey),
            "Cell": dict(fontSize=8.5, leading=11),
            "CellRight": dict(fontSize=8.5, leading=11, alignment=TA_RIGHT),
            "Heading": dict(fontSize=13, leading=17, spaceBefore=8, spaceAfter=4, textColor=self.accent),
            "Department": dict(fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3, textColor=self.accent),
            "Title": dict(fontSize=22, leading=28, alignment=TA_CENTER, spaceAfter=6, textColor=self.accent),
            "Subtitle": dict(fontSize=12, leading=16, alignment=TA_CENTER, spaceAfter=20),
            "CenterAddress": dict(fontSize=9, leading=12, alignment=TA_CENTER, spaceBefore=-14, spaceAfter=20),
        }

    # --- pages ------------------------------------------------------------------------------------

    def document_title(self, data):
        return _("Checkup report")

    def _page_templates(self, data):
        """The cover has the whole frame; later pages give ``header_height`` to the running head."""
        first = Frame(self.left_margin, self.bottom_margin, self.content_width, self.content_height, id="first")
        other = Frame(
            self.left_margin,
            self.bottom_margin,
            self.content_width,
            self.content_height - self.header_height,
            id="other",
        )
        return [
            PageTemplate(id="First", frames=[first], onPage=lambda c, d: self._on_first_page(c, d, data)),
            PageTemplate(id="Other", frames=[other], onPage=lambda c, d: self._on_other_pages(c, d, data)),
        ]

    def _on_first_page(self, canvas, doc, data):
        canvas.saveState()
        self._draw_band(canvas, 8 * mm)
        self._footer(canvas, data)
        canvas.restoreState()

    def _on_other_pages(self, canvas, doc, data):
        canvas.saveState()
        client, exam = data.get("client", {}), data.get("exam", {})
        self._draw_running_head(
            canvas,
            self.pagesize[1] - self.top_margin + 2 * mm,
            data.get("center", {}).get("name", ""),
            f"{client.get('name', '')} · {exam.get('code', '')} · {exam.get('date', '')}",
        )
        self._footer(canvas, data)
        canvas.restoreState()

    def _footer(self, canvas, data):
        canvas.setFillColor(colors.grey)
        self.mixed.draw(
            canvas,
            self.left_margin,
            10 * mm,
            _("Verification code: %(code)s", code=data.get("verification_code", "")),
            7.5,
        )

    # --- content ----------------------------------------------------------------------------------

    def _cover(self, data):
        client, exam, center = data.get("client", {}), data.get("exam", {}), data.get("center", {})
        story = [Spacer(1, 30 * mm), self.paragraph(center.get("name", ""), "Subtitle")]
        if center.get("address"):
            story.append(self.paragraph(center["address"], "CenterAddress"))
        story += [self.paragraph(_("Health checkup report"), "Title"), Spacer(1, 12 * mm)]
        rows = [
            (_("Full name"), client.get("name", "")),
            (_("Sex"), client.get("sex", "")),
            (_("Age"), client.get("age", "")),
            (_("Package"), exam.get("package", "")),
            (_("Exam date"), exam.get("date", "")),
            (_("Exam code"), exam.get("code", "")),
            (_("Report version"), data.get("version", "")),
        ]
        amendment = data.get("amendment")
        if amendment:  # what the client is told; the staff's reason for it is never printed
            rows.append((_("Report amended"), amendment.get("date", "")))
            if amendment.get("note"):
                rows.append((_("Amended because"), amendment["note"]))
        table = Table(
            [[self.paragraph(k), self.paragraph(v)] for k, v in rows], colWidths=[40 * mm, 90 * mm], hAlign="CENTER"
        )
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.rule_color),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        story += [table, Spacer(1, 20 * mm)]
        if center.get("phone"):
            story.append(
                self.paragraph(_("Questions about your report? Call %(phone)s.", phone=center["phone"]), "Subtitle")
            )
        story += [NextPageTemplate("Other"), PageBreak()]
        return story

    def _flag_label(self, row):
        return row.get("flag_label", row.get("flag", ""))

    def _results(self, data):
        story = [self.paragraph(_("Results"), "Heading")]
        widths = [0.34, 0.16, 0.14, 0.2, 0.16]
        widths = [w * self.content_width for w in widths]
        header = [_("Item"), _("Result"), _("Unit"), _("Reference range"), _("Flag")]
        for department in data.get("departments", []):
            rows = [[self.paragraph(h, "Cell") for h in header]]
            style = [
                ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
            for index, row in enumerate(department.get("rows", []), start=1):
                flag = row.get("flag", "")
                value = row.get("value", "")
                if row.get("skipped"):
                    reason = row.get("skip_reason")
                    if not reason:
                        value = _("Not done")
                    elif data.get("language") == "zh":
                        value = f"{_('Not done')}（{reason}）"
                    else:
                        value = f"{_('Not done')} ({reason})"
                value_markup = self.text(value)
                flag_markup = self.text(self._flag_label(row))
                if flag in ABNORMAL_FLAGS:
                    value_markup = f"<b>{value_markup}</b>"
                    flag_markup = f"<b>{flag_markup}</b>"
                    style.append(("TEXTCOLOR", (1, index), (-1, index), self.abnormal_color))
                    style.append(
                        (
                            "BACKGROUND",
                            (0, index),
                            (-1, index),
                            self.critical_fill if flag in CRITICAL_FLAGS else self.abnormal_fill,
                        )
                    )
                rows.append(
                    [
                        self.paragraph(row.get("name", ""), "Cell"),
                        self.markup_paragraph(value_markup, "Cell"),
                        self.paragraph(row.get("unit", ""), "Cell"),
                        self.paragraph(row.get("reference", ""), "Cell"),
                        self.markup_paragraph(flag_markup, "Cell"),
                    ]
                )
            table = Table(rows, colWidths=widths, repeatRows=1)
            table.setStyle(TableStyle(style))
            story += [self.paragraph(department.get("name", ""), "Department"), table]
        return story

    def _findings(self, data):
        story = [self.paragraph(_("Abnormal findings"), "Heading")]
        findings = data.get("findings", [])
        if not findings:
            return story + [self.paragraph(_("No abnormal findings."))]
        rows = [[self.paragraph(_("Finding"), "Cell"), self.paragraph(_("Follow-up"), "Cell")]]
        for finding in findings:
            rows.append(
                [
                    self.paragraph(finding.get("text", ""), "Cell"),
                    self.paragraph(finding.get("level_label", finding.get("level", "")), "Cell"),
                ]
            )
        table = Table(rows, colWidths=[0.75 * self.content_width, 0.25 * self.content_width], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return story + [table]

    def _summary_and_advice(self, data):
        story = []
        if data.get("summary"):
            story += [self.paragraph(_("Summary"), "Heading"), self.paragraph(data["summary"])]
        if data.get("advice"):
            story += [self.paragraph(_("Advice"), "Heading"), self.paragraph(data["advice"])]
        return story

    def _trends(self, data):
        trends = data.get("trends", [])
        if not trends:
            return []
        arrows = {"↑": _("higher"), "↓": _("lower"), "→": _("same")}
        rows = [[self.paragraph(h, "Cell") for h in (_("Item"), _("Previous"), _("This year"), _("Unit"), _("Trend"))]]
        for trend in trends:
            previous = trend.get("previous", "")
            if trend.get("previous_day"):
                previous = f"{previous} ({trend['previous_day']})"
            values = (
                trend.get("name", ""),
                previous,
                trend.get("current", ""),
                trend.get("unit", ""),
                arrows.get(trend.get("arrow", ""), ""),
            )
            rows.append([self.paragraph(value, "Cell") for value in values])
        widths = [w * self.content_width for w in (0.34, 0.24, 0.16, 0.14, 0.12)]
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
                ]
            )
        )
        return [self.paragraph(_("Compared with your previous checkup"), "Heading"), table]

    def _signature(self, data):
        signature = data.get("signature", {})
        lines = [
            _("Signed by %(name)s", name=signature.get("physician", "")),
            _("Signed at %(time)s", time=signature.get("signed_at", "")),
            _("Verification code: %(code)s", code=data.get("verification_code", "")),
        ]
        block = [Spacer(1, 8 * mm), self.paragraph(_("Signature"), "Heading")]
        block += [self.paragraph(line) for line in lines]
        note = _("Quote the verification code to the center to confirm this report is genuine.")
        block.append(self.paragraph(note, "Small"))
        return [KeepTogether(block)]

    # --- output -----------------------------------------------------------------------------------

    def story(self, data):
        """The report for ``data`` (see ``checkup.services.exam.report_pdf.document_data``)."""
        return (
            self._cover(data)
            + self._findings(data)
            + self._summary_and_advice(data)
            + self._results(data)
            + self._trends(data)
            + self._signature(data)
        )
