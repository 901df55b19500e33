"""The exam sheet a client carries from station to station (see ``base.BaseRenderer``): who, exam code
(QR + Code128), items to tick; every page's foot names the client and the appointment.

``data`` comes from ``checkup.services.exam.exam_day.exam_sheet_data``, with its wording already
translated (``data["labels"]``), so this renderer needs no Flask.
"""

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from checkup.reports.base import BaseRenderer


class CheckBox(Flowable):
    """An empty square for the station to tick."""

    def __init__(self, size):
        super().__init__()
        self.size = size
        self.width = self.height = size

    def draw(self):
        self.canv.setLineWidth(0.8)  # drawn, not a glyph: neither font has a ballot box
        self.canv.rect(0, 0, self.size, self.size)


class ExamSheetRenderer(BaseRenderer):
    """Lays out one exam sheet on A4; geometry and type sizes are attributes so a center can adjust them."""

    left_margin = right_margin = top_margin = bottom_margin = 15 * mm
    page_number_right = 15 * mm
    page_number_bottom = 7.5 * mm
    font_size = 10
    leading_ratio = 1.3
    title_size = 16
    name_size = 18
    qr_size = 30 * mm
    barcode_height = 11 * mm
    barcode_bar_width = 0.3 * mm
    checkbox_size = 4 * mm
    column_widths = (14 * mm, 72 * mm, 66 * mm, 28 * mm)  # tick, item, preparation, station signature
    rule_color = colors.HexColor("#9aa3ad")
    header_fill = colors.HexColor("#e8edf2")

    def _styles(self):
        return {
            "center": dict(fontSize=11, textColor=colors.HexColor("#334155")),
            "title": dict(fontSize=self.title_size, leading=self.title_size * 1.25),
            "name": dict(fontSize=self.name_size, leading=self.name_size * 1.25),
            "small": dict(fontSize=8, leading=10, textColor=colors.HexColor("#475569")),
            "station": dict(fontSize=12, leading=15),
            "code": dict(fontSize=9, alignment=TA_RIGHT),
            "cell_head": dict(fontSize=8, leading=10),
        }

    # --- pieces -----------------------------------------------------------------------------

    def qr_code(self, value):
        widget = QrCodeWidget(value)
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(
            self.qr_size, self.qr_size, transform=[self.qr_size / (x1 - x0), 0, 0, self.qr_size / (y1 - y0), 0, 0]
        )
        drawing.add(widget)
        return drawing

    def barcode(self, value):
        return Code128(value, barHeight=self.barcode_height, barWidth=self.barcode_bar_width, humanReadable=True)

    def header(self, data):
        labels = data["labels"]
        facts = [
            (labels["sex"], data["sex"]),
            (labels["age"], data["age"]),
            (labels["birth_date"], data["birth_date"]),
        ]
        if data.get("masked_national_id"):
            facts.append((labels["national_id"], data["masked_national_id"]))
        facts += [
            (labels["date"], data["day"]),
            (labels["time"], data["slot"]),
            (labels["package"], data["package"]),
            (labels["exam_code"], data["exam_code"]),
        ]
        left = [
            self.paragraph(data["center_name"], "center"),
            self.paragraph(labels["title"], "title"),
            Spacer(1, 2 * mm),
            self.paragraph(data["client_name"], "name"),
            Spacer(1, 1 * mm),
            self.fact_grid(facts),
        ]
        right = [
            self.qr_code(data["exam_code"]),
            Spacer(1, 1 * mm),
            self.barcode(data["exam_code"]),
            Spacer(1, 4 * mm),
        ]  # the barcode's human-readable line hangs below its bars
        right_width = max(self.qr_size, 45 * mm)
        table = Table([[left, right]], colWidths=[self.content_width - right_width, right_width])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, self.rule_color),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
                ]
            )
        )
        return [table, Spacer(1, 2 * mm)]

    def fact_grid(self, facts, columns=2):
        """label: value pairs, ``columns`` pairs to a row."""
        cells = [[self.paragraph(label, "small"), self.paragraph(value)] for label, value in facts]
        rows = []
        for start in range(0, len(cells), columns):
            row = sum(cells[start : start + columns], [])
            rows.append(row + [""] * (2 * columns - len(row)))
        table = Table(rows, colWidths=[20 * mm, 42 * mm] * columns, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0.5 * mm),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5 * mm),
                ]
            )
        )
        return table

    def station(self, station, labels):
        s, m = self.styles, self.text
        title = m(station["name"])
        if station.get("other_name"):
            title += f" &nbsp;<font size=9>{m(station['other_name'])}</font>"
        # the station's name and the column heads are table rows, so both repeat when a station runs on
        rows = [
            [Paragraph(title, s["station"]), "", "", ""],
            [self.paragraph(labels[key], "cell_head") for key in ("done", "item", "prep", "station_signature")],
        ]
        for item in station["items"]:
            name = m(item["name"])
            if item.get("is_addon"):
                name += f" <font size=8>({m(labels['addon'])})</font>"
            cell = [Paragraph(name, s["Normal"])]
            detail = " · ".join(m(v) for v in (item.get("other_name"), item.get("code")) if v)
            if detail:
                cell.append(Paragraph(detail, s["small"]))
            rows.append([CheckBox(self.checkbox_size), cell, self.paragraph(item.get("prep_note"), "small"), ""])
        table = Table(rows, colWidths=self.column_widths, repeatRows=2, spaceBefore=4 * mm)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.font),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("LEFTPADDING", (0, 0), (-1, 0), 0),
                    ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 1), (-1, 1), self.header_fill),
                    ("GRID", (0, 1), (-1, -1), 0.5, self.rule_color),
                    ("TOPPADDING", (0, 2), (-1, -1), 2 * mm),
                    ("BOTTOMPADDING", (0, 2), (-1, -1), 2 * mm),
                ]
            )
        )
        return [table]

    # --- document ---------------------------------------------------------------------------

    def story(self, data):
        flowables = self.header(data)
        for station in data["stations"]:
            flowables += self.station(station, data["labels"])
        if not data["stations"]:
            flowables.append(self.paragraph(data["labels"]["no_items"]))
        return flowables

    def document_title(self, data):
        return f"{data['labels']['title']} {data['exam_code']}"

    def document_author(self, data):
        return data["center_name"]

    def page_label(self, data, page, total):
        return data["labels"]["page"] % {"page": page, "pages": total}

    def _on_page_end(self, canvas, data, page, total):
        """Whose sheet this is, at the foot of every page, left of "page X of Y"."""
        canvas.saveState()
        canvas.setFillColor(colors.grey)
        self.mixed.draw(
            canvas,
            self.left_margin,
            self.page_number_bottom,
            f"{data['exam_code']} · {data['client_name']} · {data['day']} {data['slot']}",
            8,
        )
        canvas.restoreState()
        super()._on_page_end(canvas, data, page, total)
