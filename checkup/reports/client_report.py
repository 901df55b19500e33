"""The client's checkup report as a PDF: plain data in, bytes out (no database access here).

Shape after pretix's invoice renderer: geometry as attributes, ``_register_fonts``, a stylesheet,
first/other page templates, a numbered canvas ("page X of Y") and ``build(data) -> bytes``.
Every piece of user or catalog text is escaped before it becomes Paragraph markup.
Output is invariant (no timestamps or random ids), so the same report renders to the same bytes.
"""
import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (BaseDocTemplate, Frame, KeepTogether, NextPageTemplate, PageBreak, PageTemplate,
                                Paragraph, Spacer, Table, TableStyle)

from checkup.reports.fonts import LATIN_FONT, MixedText, register_fonts

ABNORMAL_FLAGS = ("H", "L", "A", "HH", "LL")
CRITICAL_FLAGS = ("HH", "LL")


class NumberedCanvas(pdfcanvas.Canvas):
    """Defers page output so every page can say "page X of Y"."""

    page_label = "Page {page} of {total}"
    mixed = None  # a MixedText, set by the renderer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_page_states = []

    def showPage(self):
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self._draw_page_number(total)
            super().showPage()
        super().save()

    def _draw_page_number(self, total):
        self.saveState()
        self.setFillColor(colors.grey)
        self.mixed.draw(self, self._pagesize[0] - 18 * mm, 10 * mm,
                        self.page_label.format(page=self._pageNumber, total=total), 8, align="right")
        self.restoreState()


class ClientReportRenderer:
    pagesize = A4
    left_margin = 18 * mm
    right_margin = 18 * mm
    top_margin = 20 * mm
    bottom_margin = 18 * mm
    header_height = 10 * mm
    font_size = 9
    accent = colors.HexColor("#0b4a63")
    abnormal_color = colors.HexColor("#b3261e")
    abnormal_fill = colors.HexColor("#fdecea")
    critical_fill = colors.HexColor("#f9c9c4")
    rule_color = colors.HexColor("#c8d3da")

    def __init__(self):
        self.cjk_font = self._register_fonts()
        self.font = LATIN_FONT
        self.mixed = MixedText(self.font, self.cjk_font)
        self.styles = self._get_stylesheet()

    # --- set-up -----------------------------------------------------------------------------------

    def _register_fonts(self):
        return register_fonts()

    def text(self, value):
        """Escaped markup for user text, with Chinese runs in the embedded CJK font."""
        return self.mixed.markup(value)

    def _get_stylesheet(self):
        base = ParagraphStyle("Normal", fontName=self.font, fontSize=self.font_size, leading=self.font_size * 1.35,
                              wordWrap="CJK")
        return {
            "Normal": base,
            "Small": ParagraphStyle("Small", parent=base, fontSize=7.5, leading=10, textColor=colors.grey),
            "Cell": ParagraphStyle("Cell", parent=base, fontSize=8.5, leading=11),
            "CellRight": ParagraphStyle("CellRight", parent=base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
            "Heading": ParagraphStyle("Heading", parent=base, fontSize=13, leading=17, spaceBefore=8, spaceAfter=4,
                                      textColor=self.accent),
            "Department": ParagraphStyle("Department", parent=base, fontSize=10.5, leading=14, spaceBefore=6,
                                         spaceAfter=3, textColor=self.accent),
            "Title": ParagraphStyle("Title", parent=base, fontSize=22, leading=28, alignment=TA_CENTER,
                                    spaceAfter=6, textColor=self.accent),
            "Subtitle": ParagraphStyle("Subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER,
                                       spaceAfter=20),
        }

    def _doc(self, buffer, data):
        doc = BaseDocTemplate(buffer, pagesize=self.pagesize, leftMargin=self.left_margin,
                              rightMargin=self.right_margin, topMargin=self.top_margin,
                              bottomMargin=self.bottom_margin, invariant=True,
                              title=_("Checkup report"), author=data.get("center", {}).get("name", ""),
                              creator="Checkup Portal")
        width = self.pagesize[0] - self.left_margin - self.right_margin
        first = Frame(self.left_margin, self.bottom_margin, width,
                      self.pagesize[1] - self.top_margin - self.bottom_margin, id="first")
        other = Frame(self.left_margin, self.bottom_margin, width,
                      self.pagesize[1] - self.top_margin - self.bottom_margin - self.header_height, id="other")
        doc.addPageTemplates([
            PageTemplate(id="First", frames=[first], onPage=lambda c, d: self._on_first_page(c, d, data)),
            PageTemplate(id="Other", frames=[other], onPage=lambda c, d: self._on_other_pages(c, d, data)),
        ])
        self.content_width = width
        return doc

    def _on_first_page(self, canvas, doc, data):
        canvas.saveState()
        canvas.setFillColor(self.accent)
        canvas.rect(0, self.pagesize[1] - 8 * mm, self.pagesize[0], 8 * mm, stroke=0, fill=1)
        self._footer(canvas, data)
        canvas.restoreState()

    def _on_other_pages(self, canvas, doc, data):
        canvas.saveState()
        canvas.setFillColor(colors.grey)
        top = self.pagesize[1] - self.top_margin + 2 * mm
        client = data.get("client", {})
        exam = data.get("exam", {})
        self.mixed.draw(canvas, self.left_margin, top, data.get("center", {}).get("name", ""), 8)
        self.mixed.draw(canvas, self.pagesize[0] - self.right_margin, top,
                        f"{client.get('name', '')} · {exam.get('code', '')} · {exam.get('date', '')}", 8,
                        align="right")
        canvas.setStrokeColor(self.rule_color)
        canvas.line(self.left_margin, top - 2 * mm, self.pagesize[0] - self.right_margin, top - 2 * mm)
        self._footer(canvas, data)
        canvas.restoreState()

    def _footer(self, canvas, data):
        canvas.setFillColor(colors.grey)
        self.mixed.draw(canvas, self.left_margin, 10 * mm,
                        _("Verification code: %(code)s", code=data.get("verification_code", "")), 7.5)

    # --- content ----------------------------------------------------------------------------------

    def _cover(self, data):
        s = self.styles
        client, exam, center = data.get("client", {}), data.get("exam", {}), data.get("center", {})
        story = [Spacer(1, 30 * mm), Paragraph(self.text(center.get("name", "")), s["Subtitle"]),
                 Paragraph(self.text(_("Health checkup report")), s["Title"]), Spacer(1, 12 * mm)]
        rows = [
            (_("Full name"), client.get("name", "")),
            (_("Sex"), client.get("sex", "")),
            (_("Age"), client.get("age", "")),
            (_("Package"), exam.get("package", "")),
            (_("Exam date"), exam.get("date", "")),
            (_("Exam code"), exam.get("code", "")),
            (_("Report version"), data.get("version", "")),
        ]
        if data.get("amendment_reason"):
            rows.append((_("Amended because"), data["amendment_reason"]))
        table = Table([[Paragraph(self.text(k), s["Normal"]), Paragraph(self.text(v), s["Normal"])] for k, v in rows],
                      colWidths=[40 * mm, 90 * mm], hAlign="CENTER")
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.rule_color),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]))
        story += [table, Spacer(1, 20 * mm)]
        if center.get("phone"):
            story.append(Paragraph(self.text(_("Questions about your report? Call %(phone)s.", phone=center["phone"])),
                                   s["Subtitle"]))
        story += [NextPageTemplate("Other"), PageBreak()]
        return story

    def _flag_label(self, row):
        return row.get("flag_label", row.get("flag", ""))

    def _results(self, data):
        s = self.styles
        story = [Paragraph(self.text(_("Results")), s["Heading"])]
        widths = [0.34, 0.16, 0.14, 0.2, 0.16]
        widths = [w * self.content_width for w in widths]
        header = [_("Item"), _("Result"), _("Unit"), _("Reference range"), _("Flag")]
        for department in data.get("departments", []):
            rows = [[Paragraph(self.text(h), s["Cell"]) for h in header]]
            style = [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eff3")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
            for index, row in enumerate(department.get("rows", []), start=1):
                flag = row.get("flag", "")
                value = row.get("value", "")
                if row.get("skipped"):
                    value = _("Not done") + (f" ({row['skip_reason']})" if row.get("skip_reason") else "")
                value_markup = self.text(value)
                flag_markup = self.text(self._flag_label(row))
                if flag in ABNORMAL_FLAGS:
                    value_markup = f"<b>{value_markup}</b>"
                    flag_markup = f"<b>{flag_markup}</b>"
                    style.append(("TEXTCOLOR", (1, index), (-1, index), self.abnormal_color))
                    style.append(("BACKGROUND", (0, index), (-1, index),
                                  self.critical_fill if flag in CRITICAL_FLAGS else self.abnormal_fill))
                rows.append([Paragraph(self.text(row.get("name", "")), s["Cell"]),
                             Paragraph(value_markup, s["Cell"]), Paragraph(self.text(row.get("unit", "")), s["Cell"]),
                             Paragraph(self.text(row.get("reference", "")), s["Cell"]),
                             Paragraph(flag_markup, s["Cell"])])
            table = Table(rows, colWidths=widths, repeatRows=1)
            table.setStyle(TableStyle(style))
            story += [Paragraph(self.text(department.get("name", "")), s["Department"]), table]
        return story

    def _findings(self, data):
        s = self.styles
        story = [Paragraph(self.text(_("Abnormal findings")), s["Heading"])]
        findings = data.get("findings", [])
        if not findings:
            return story + [Paragraph(self.text(_("No abnormal findings.")), s["Normal"])]
        rows = [[Paragraph(self.text(_("Finding")), s["Cell"]), Paragraph(self.text(_("Follow-up")), s["Cell"])]]
        for finding in findings:
            rows.append([Paragraph(self.text(finding.get("text", "")), s["Cell"]),
                         Paragraph(self.text(finding.get("level_label", finding.get("level", ""))), s["Cell"])])
        table = Table(rows, colWidths=[0.75 * self.content_width, 0.25 * self.content_width], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eff3")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return story + [table]

    def _summary_and_advice(self, data):
        s = self.styles
        story = []
        if data.get("summary"):
            story += [Paragraph(self.text(_("Summary")), s["Heading"]),
                      Paragraph(self.text(data["summary"]), s["Normal"])]
        if data.get("advice"):
            story += [Paragraph(self.text(_("Advice")), s["Heading"]),
                      Paragraph(self.text(data["advice"]), s["Normal"])]
        return story

    def _trends(self, data):
        trends = data.get("trends", [])
        if not trends:
            return []
        s = self.styles
        arrows = {"↑": _("higher"), "↓": _("lower"), "→": _("same")}
        rows = [[Paragraph(self.text(h), s["Cell"]) for h in
                 (_("Item"), _("Previous"), _("This year"), _("Unit"), _("Trend"))]]
        for trend in trends:
            previous = trend.get("previous", "")
            if trend.get("previous_day"):
                previous = f"{previous} ({trend['previous_day']})"
            rows.append([Paragraph(self.text(trend.get("name", "")), s["Cell"]),
                         Paragraph(self.text(previous), s["Cell"]),
                         Paragraph(self.text(trend.get("current", "")), s["Cell"]),
                         Paragraph(self.text(trend.get("unit", "")), s["Cell"]),
                         Paragraph(self.text(arrows.get(trend.get("arrow", ""), "")), s["Cell"])])
        widths = [w * self.content_width for w in (0.34, 0.24, 0.16, 0.14, 0.12)]
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eff3")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
        ]))
        return [Paragraph(self.text(_("Compared with your previous checkup")), s["Heading"]), table]

    def _signature(self, data):
        s = self.styles
        signature = data.get("signature", {})
        lines = [
            _("Signed by %(name)s", name=signature.get("physician", "")),
            _("Signed at %(time)s", time=signature.get("signed_at", "")),
            _("Verification code: %(code)s", code=data.get("verification_code", "")),
        ]
        block = [Spacer(1, 8 * mm), Paragraph(self.text(_("Signature")), s["Heading"])]
        block += [Paragraph(self.text(line), s["Normal"]) for line in lines]
        note = _("Quote the verification code to the center to confirm this report is genuine.")
        block.append(Paragraph(self.text(note), s["Small"]))
        return [KeepTogether(block)]

    # --- output -----------------------------------------------------------------------------------

    def build(self, data):
        """The report for ``data`` (see ``checkup.services.exam.report_pdf.document_data``) as PDF bytes."""
        buffer = io.BytesIO()
        doc = self._doc(buffer, data)
        story = self._cover(data) + self._findings(data) + self._summary_and_advice(data)
        story += self._results(data) + self._trends(data) + self._signature(data)
        mixed = self.mixed
        # translated now, numbered at save time: placeholders survive as {page}/{total}
        label = _("Page %(page)s of %(total)s", page="{page}", total="{total}")

        class Canvas(NumberedCanvas):
            page_label = label

        Canvas.mixed = mixed

        doc.build(story, canvasmaker=Canvas)
        return buffer.getvalue()
