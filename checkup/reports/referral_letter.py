"""The referral letter as a PDF: plain data in, bytes out (no database access here).

Same shape as ``client_report.ClientReportRenderer``: geometry as attributes, the embedded CJK font
through ``MixedText`` (every piece of user text escaped), a stylesheet, ``build(data) -> bytes``.
``data`` comes from ``checkup.services.care.referrals.letter_data``.
"""
import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from checkup.reports.client_report import NumberedCanvas
from checkup.reports.fonts import LATIN_FONT, MixedText, register_fonts


class ReferralLetterRenderer:
    pagesize = A4
    left_margin = 20 * mm
    right_margin = 20 * mm
    top_margin = 22 * mm
    bottom_margin = 20 * mm
    font_size = 10
    accent = colors.HexColor("#0b4a63")
    rule_color = colors.HexColor("#c8d3da")
    header_fill = colors.HexColor("#e8eff3")

    def __init__(self):
        self.cjk_font = register_fonts()
        self.font = LATIN_FONT
        self.mixed = MixedText(self.font, self.cjk_font)
        base = ParagraphStyle("Normal", fontName=self.font, fontSize=self.font_size, leading=self.font_size * 1.4,
                              wordWrap="CJK")
        self.styles = {
            "Normal": base,
            "Cell": ParagraphStyle("Cell", parent=base, fontSize=9, leading=12),
            "Small": ParagraphStyle("Small", parent=base, fontSize=8, leading=10.5, textColor=colors.grey),
            "Heading": ParagraphStyle("Heading", parent=base, fontSize=12, leading=16, spaceBefore=10,
                                      spaceAfter=4, textColor=self.accent),
            "Title": ParagraphStyle("Title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER,
                                    spaceAfter=4, textColor=self.accent),
            "Center": ParagraphStyle("Center", parent=base, alignment=TA_CENTER, textColor=colors.grey),
        }

    def text(self, value):
        return self.mixed.markup(value)

    def _p(self, value, style="Normal"):
        return Paragraph(self.text(value), self.styles[style])

    def _on_page(self, canvas, doc, data):
        canvas.saveState()
        canvas.setFillColor(self.accent)
        canvas.rect(0, self.pagesize[1] - 8 * mm, self.pagesize[0], 8 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.grey)
        center = data.get("center", {})
        footer = " · ".join(part for part in (center.get("name", ""), center.get("phone", ""),
                                              data.get("number", "")) if part)
        self.mixed.draw(canvas, self.left_margin, 10 * mm, footer, 8)
        canvas.restoreState()

    def _facts(self, rows, widths):
        table = Table([[self._p(k, "Cell"), self._p(v, "Cell")] for k, v in rows], colWidths=widths, hAlign="LEFT")
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, self.rule_color),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        return table

    def _findings(self, data, width):
        findings = data.get("findings", [])
        story = [self._p(_("Relevant findings"), "Heading")]
        if not findings:
            return story + [self._p(_("No findings are attached to this referral."))]
        header = [_("Item"), _("Result"), _("Unit"), _("Reference range"), _("Flag")]
        rows = [[self._p(h, "Cell") for h in header]]
        for finding in findings:
            if finding.get("text"):  # a physician's observation: one line across the table
                rows.append([self._p(finding["text"], "Cell"), "", "", "", ""])
                continue
            rows.append([self._p(finding.get("name", ""), "Cell"), self._p(finding.get("value", ""), "Cell"),
                         self._p(finding.get("unit", ""), "Cell"), self._p(finding.get("reference", ""), "Cell"),
                         self._p(finding.get("flag", ""), "Cell")])
        style = [("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
                 ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        style += [("SPAN", (0, i), (-1, i)) for i, f in enumerate(findings, start=1) if f.get("text")]
        table = Table(rows, colWidths=[w * width for w in (0.38, 0.16, 0.12, 0.2, 0.14)], repeatRows=1)
        table.setStyle(TableStyle(style))
        return story + [table]

    def _signature(self, data):
        block = [Spacer(1, 12 * mm), self._p(_("Referring counselor: %(name)s", name=data.get("referred_by", "")))]
        block += [Spacer(1, 10 * mm), self._p(_("Signature: ______________________    Date: %(date)s",
                                                date=data.get("date", "")))]
        block += [Spacer(1, 6 * mm),
                  self._p(_("Please return the outcome of the consultation to the center so we can complete "
                            "the client's follow-up."), "Small")]
        return [KeepTogether(block)]

    def build(self, data):
        """The letter for ``data`` as PDF bytes."""
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=self.pagesize, leftMargin=self.left_margin,
                                rightMargin=self.right_margin, topMargin=self.top_margin,
                                bottomMargin=self.bottom_margin, invariant=True, title=_("Referral letter"),
                                author=data.get("center", {}).get("name", ""), creator="Checkup Portal")
        width = self.pagesize[0] - self.left_margin - self.right_margin
        client, target, center = data.get("client", {}), data.get("target", {}), data.get("center", {})
        story = [self._p(center.get("name", ""), "Center"), self._p(_("Referral letter"), "Title"),
                 self._p(_("No. %(number)s · %(date)s", number=data.get("number", ""), date=data.get("date", "")),
                         "Center"), Spacer(1, 6 * mm)]
        story.append(self._p(_("Referred to"), "Heading"))
        story.append(self._facts([(target.get("kind", ""), target.get("name", ""))], [45 * mm, width - 45 * mm]))
        story.append(self._p(_("Client"), "Heading"))
        story.append(self._facts([(_("Full name"), client.get("name", "")), (_("Sex"), client.get("sex", "")),
                                  (_("Age"), client.get("age", ""))], [45 * mm, width - 45 * mm]))
        story.append(self._p(_("Reason for referral"), "Heading"))
        story.append(self._p(data.get("reason", "")))
        story += self._findings(data, width)
        story += self._signature(data)
        mixed = self.mixed
        label = _("Page %(page)s of %(total)s", page="{page}", total="{total}")

        class Canvas(NumberedCanvas):
            page_label = label

        Canvas.mixed = mixed
        doc.build(story, onFirstPage=lambda c, d: self._on_page(c, d, data),
                  onLaterPages=lambda c, d: self._on_page(c, d, data), canvasmaker=Canvas)
        return buffer.getvalue()
