"""What the group summary and the billing statement PDFs share: fonts, styles, page frame, tables.

Same shape as ``checkup.reports.client_report``: geometry as attributes, ``_register_fonts``, a
stylesheet, first/other page templates, the numbered canvas ("page X of Y") and ``build(data) ->
bytes``. All text goes through ``MixedText.markup`` (escaped; Chinese in the embedded CJK font).
"""
import abc
import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle

from checkup.reports.client_report import NumberedCanvas
from checkup.reports.fonts import LATIN_FONT, MixedText, register_fonts


class GroupDocumentRenderer(abc.ABC):
    pagesize = A4
    left_margin = 16 * mm
    right_margin = 16 * mm
    top_margin = 22 * mm
    bottom_margin = 18 * mm
    font_size = 9
    accent = colors.HexColor("#0b4a63")
    rule_color = colors.HexColor("#c8d3da")
    header_fill = colors.HexColor("#e8eff3")
    total_fill = colors.HexColor("#f3f6f8")
    title = "Group document"  # translated by subclasses in ``document_title``

    def __init__(self):
        self.cjk_font = self._register_fonts()
        self.font = LATIN_FONT
        self.mixed = MixedText(self.font, self.cjk_font)
        self.styles = self._get_stylesheet()
        self.content_width = self.pagesize[0] - self.left_margin - self.right_margin

    def _register_fonts(self):
        return register_fonts()

    def text(self, value):
        return self.mixed.markup(value)

    def document_title(self, data):
        return self.title

    def _get_stylesheet(self):
        base = ParagraphStyle("Normal", fontName=self.font, fontSize=self.font_size, leading=self.font_size * 1.35,
                              wordWrap="CJK")
        return {
            "Normal": base,
            "Small": ParagraphStyle("Small", parent=base, fontSize=7.5, leading=10, textColor=colors.grey),
            "Cell": ParagraphStyle("Cell", parent=base, fontSize=8, leading=10),
            "CellRight": ParagraphStyle("CellRight", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
            "Heading": ParagraphStyle("Heading", parent=base, fontSize=12.5, leading=16, spaceBefore=10,
                                      spaceAfter=4, textColor=self.accent),
            "Subheading": ParagraphStyle("Subheading", parent=base, fontSize=10, leading=13, spaceBefore=6,
                                         spaceAfter=3, textColor=self.accent),
            "Title": ParagraphStyle("Title", parent=base, fontSize=18, leading=23, alignment=TA_CENTER,
                                    spaceAfter=4, textColor=self.accent),
            "Subtitle": ParagraphStyle("Subtitle", parent=base, fontSize=10.5, leading=14, alignment=TA_CENTER,
                                       spaceAfter=10),
        }

    # --- page frame ----------------------------------------------------------------------------------

    def _doc(self, buffer, data):
        doc = BaseDocTemplate(buffer, pagesize=self.pagesize, leftMargin=self.left_margin,
                              rightMargin=self.right_margin, topMargin=self.top_margin,
                              bottomMargin=self.bottom_margin, invariant=True, title=self.document_title(data),
                              author=data.get("center", {}).get("name", ""), creator="Checkup Portal")
        frame = Frame(self.left_margin, self.bottom_margin, self.content_width,
                      self.pagesize[1] - self.top_margin - self.bottom_margin, id="body")
        doc.addPageTemplates([PageTemplate(id="Page", frames=[frame],
                                           onPage=lambda c, d: self._on_page(c, d, data))])
        return doc

    def _on_page(self, canvas, doc, data):
        canvas.saveState()
        canvas.setFillColor(self.accent)
        canvas.rect(0, self.pagesize[1] - 6 * mm, self.pagesize[0], 6 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.grey)
        top = self.pagesize[1] - self.top_margin + 5 * mm
        contract = data.get("contract", {})
        self.mixed.draw(canvas, self.left_margin, top, data.get("center", {}).get("name", ""), 8)
        self.mixed.draw(canvas, self.pagesize[0] - self.right_margin, top,
                        f"{contract.get('organization', '')} · {contract.get('name', '')}", 8, align="right")
        canvas.setStrokeColor(self.rule_color)
        canvas.line(self.left_margin, top - 2 * mm, self.pagesize[0] - self.right_margin, top - 2 * mm)
        self.mixed.draw(canvas, self.left_margin, 10 * mm, self.document_title(data), 7.5)
        canvas.restoreState()

    # --- building blocks -----------------------------------------------------------------------------

    def heading(self, text, style="Heading"):
        return Paragraph(self.text(text), self.styles[style])

    def paragraph(self, text, style="Normal"):
        return Paragraph(self.text(text), self.styles[style])

    def title_block(self, data, subtitle):
        contract = data.get("contract", {})
        return [Paragraph(self.text(self.document_title(data)), self.styles["Title"]),
                Paragraph(self.text(f"{contract.get('organization', '')} — {contract.get('name', '')} "
                                    f"({contract.get('year', '')})"), self.styles["Subtitle"]),
                Paragraph(self.text(subtitle), self.styles["Subtitle"])]

    def table(self, header, rows, fractions, right_from=1, total_rows=0):
        """A table of text: ``header`` then ``rows`` (lists of strings); columns from ``right_from``
        align right; the last ``total_rows`` rows are shaded as totals."""
        def cells(row, header_row=False):
            return [Paragraph(self.text(value), self.styles["Cell" if j < right_from or header_row else "CellRight"])
                    for j, value in enumerate(row)]

        body = [cells(header, header_row=True)] + [cells(row) for row in rows]
        table = Table(body, colWidths=[f * self.content_width for f in fractions], repeatRows=1)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if total_rows and rows:
            style.append(("BACKGROUND", (0, len(body) - total_rows), (-1, -1), self.total_fill))
        table.setStyle(TableStyle(style))
        return table

    @abc.abstractmethod
    def story(self, data):
        """The document's flowables for ``data`` (each kind of group document writes its own)."""

    def build(self, data):
        """``data`` as PDF bytes (the same data always gives the same bytes)."""
        buffer = io.BytesIO()
        doc = self._doc(buffer, data)
        label = _("Page %(page)s of %(total)s", page="{page}", total="{total}")

        class Canvas(NumberedCanvas):
            page_label = label

        Canvas.mixed = self.mixed
        doc.build(self.story(data), canvasmaker=Canvas)
        return buffer.getvalue()
