"""What the group summary and the billing statement PDFs share (on ``base.BaseRenderer``): their styles,
the page with the contract in its running head and the document's title at its foot, and text tables.
"""

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from checkup.reports.base import BaseRenderer


class GroupDocumentRenderer(BaseRenderer):
    left_margin = 16 * mm
    right_margin = 16 * mm
    top_margin = 22 * mm
    bottom_margin = 18 * mm
    total_fill = colors.HexColor("#f3f6f8")

    def _styles(self):
        return {
            "Small": dict(fontSize=7.5, leading=10, textColor=colors.grey),
            "Cell": dict(fontSize=8, leading=10),
            "CellRight": dict(fontSize=8, leading=10, alignment=TA_RIGHT),
            "Heading": dict(fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4, textColor=self.accent),
            "Subheading": dict(fontSize=10, leading=13, spaceBefore=6, spaceAfter=3, textColor=self.accent),
            "Title": dict(fontSize=18, leading=23, alignment=TA_CENTER, spaceAfter=4, textColor=self.accent),
            "Subtitle": dict(fontSize=10.5, leading=14, alignment=TA_CENTER, spaceAfter=10),
        }

    def _on_page(self, canvas, doc, data):
        canvas.saveState()
        self._draw_band(canvas, 6 * mm)
        contract = data.get("contract", {})
        self._draw_running_head(
            canvas,
            self.pagesize[1] - self.top_margin + 5 * mm,
            data.get("center", {}).get("name", ""),
            f"{contract.get('organization', '')} · {contract.get('name', '')}",
        )
        self.mixed.draw(canvas, self.left_margin, 10 * mm, self.document_title(data), 7.5)
        canvas.restoreState()

    # --- building blocks -----------------------------------------------------------------------------

    def heading(self, text, style="Heading"):
        return self.paragraph(text, style)

    def title_block(self, data, subtitle):
        contract = data.get("contract", {})
        return [
            self.paragraph(self.document_title(data), "Title"),
            self.paragraph(
                f"{contract.get('organization', '')} — {contract.get('name', '')} ({contract.get('year', '')})",
                "Subtitle",
            ),
            self.paragraph(subtitle, "Subtitle"),
        ]

    def table(self, header, rows, fractions, right_from=1, total_rows=0):
        """A table of text: ``header`` then ``rows`` (lists of strings); columns from ``right_from``
        align right; the last ``total_rows`` rows are shaded as totals."""

        def cells(row, header_row=False):
            return [
                self.paragraph(value, "Cell" if j < right_from or header_row else "CellRight")
                for j, value in enumerate(row)
            ]

        body = [cells(header, header_row=True)] + [cells(row) for row in rows]
        table = Table(body, colWidths=[f * self.content_width for f in fractions], repeatRows=1)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if total_rows and rows:
            style.append(("BACKGROUND", (0, len(body) - total_rows), (-1, -1), self.total_fill))
        table.setStyle(TableStyle(style))
        return table
