"""The guide sheet (导检单) a client carries round the floor (see ``base.BaseRenderer``): who, the exam code
as text and QR, then one line per station in the suggested order — fasting stations first, a breakfast line,
then the rest — each with its examinations in brief and a box for the station; then the preparation
reminders. A basic package fits on one page.

``data`` comes from ``checkup.services.exam.guide_sheets.guide_sheet_data``, its wording already translated
(``data["labels"]``), so this renderer needs no Flask.
"""

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from checkup.reports.base import BaseRenderer


class CheckBox(Flowable):
    """An empty square for the station to tick (drawn: neither font has a ballot box)."""

    def __init__(self, size):
        super().__init__()
        self.size = size
        self.width = self.height = size

    def draw(self):
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.size, self.size)


class GuideSheetRenderer(BaseRenderer):
    """One guide sheet on A4; geometry and type sizes are attributes so a center can adjust them."""

    left_margin = right_margin = 14 * mm
    top_margin = 12 * mm
    bottom_margin = 14 * mm
    page_number_right = 14 * mm
    page_number_bottom = 7 * mm
    font_size = 9.5
    leading_ratio = 1.3
    title_size = 16
    name_size = 18
    qr_size = 30 * mm
    checkbox_size = 4.5 * mm
    column_widths = (10 * mm, 40 * mm, 116 * mm, 16 * mm)  # number, station, examinations, done
    rule_color = colors.HexColor("#9aa3ad")
    header_fill = colors.HexColor("#e8edf2")
    breakfast_fill = colors.HexColor("#fff7e0")

    def _styles(self):
        return {
            "center": dict(fontSize=10, textColor=colors.HexColor("#334155")),
            "title": dict(fontSize=self.title_size, leading=self.title_size * 1.25),
            "name": dict(fontSize=self.name_size, leading=self.name_size * 1.25),
            "code": dict(fontSize=12, leading=14, alignment=TA_CENTER),
            "small": dict(fontSize=8, leading=10, textColor=colors.HexColor("#475569")),
            "station": dict(fontSize=10.5, leading=13),
            "cell_head": dict(fontSize=8, leading=10),
            "centered": dict(alignment=TA_CENTER),
            "note": dict(fontSize=8.5, leading=11),
        }

    # --- pieces -----------------------------------------------------------------------------

    def qr_code(self, value):
        """The code as a flowable that encodes once and draws its dark runs straight on the canvas (a
        graphics Drawing of the widget encoded it twice and built thousands of shapes: ~40% of the sheet)."""
        return QrCode(value, width=self.qr_size, height=self.qr_size)

    def header(self, data):
        labels = data["labels"]
        facts = [
            (labels["sex_age"], f"{data['sex']} · {data['age']}"),
            (labels["date"], f"{data['day']} {data['slot']}"),
            (labels["package"], data["package"]),
        ]
        if data.get("masked_national_id"):
            facts.append((labels["national_id"], data["masked_national_id"]))
        if data.get("addons"):
            facts.append((labels["addons"], data["addons"]))
        left = [
            self.paragraph(data["center_name"], "center"),
            self.paragraph(labels["title"], "title"),
            Spacer(1, 1.5 * mm),
            self.paragraph(data["client_name"], "name"),
            Spacer(1, 1 * mm),
            self.fact_grid(facts),
        ]
        right = [self.qr_code(data["exam_code"]), self.paragraph(data["exam_code"], "code")]
        right_width = self.qr_size + 6 * mm
        table = Table([[left, right]], colWidths=[self.content_width - right_width, right_width])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "CENTER"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, self.rule_color),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
                ]
            )
        )
        return [table, Spacer(1, 2 * mm)]

    def fact_grid(self, facts):
        rows = [[self.paragraph(label, "small"), self.paragraph(value)] for label, value in facts]
        table = Table(rows, colWidths=[22 * mm, self.content_width - self.qr_size - 30 * mm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0.3 * mm),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0.3 * mm),
                ]
            )
        )
        return table

    def stations(self, data):
        labels, s, m = data["labels"], self.styles, self.text
        rows = [[self.paragraph(labels[key], "cell_head") for key in ("number", "station", "items", "done")]]
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
            ("GRID", (0, 0), (-1, -1), 0.5, self.rule_color),
            ("TOPPADDING", (0, 1), (-1, -1), 1.6 * mm),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 1.6 * mm),
            ("ALIGN", (3, 1), (3, -1), "CENTER"),
        ]
        for stop in data["stops"]:
            if stop.get("breakfast"):
                rows.append([self.paragraph(labels["breakfast"], "note"), "", "", ""])
                style += [
                    ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                    ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), self.breakfast_fill),
                ]
                continue
            title = f"<b>{m(stop['name'])}</b>"
            if stop.get("fasting"):
                title += f"<br/><font size=7.5>{m(labels['fasting'])}</font>"
            cell = [Paragraph(m(stop["items"]), s["Normal"])]
            if stop.get("containers"):
                cell.append(self.paragraph(f"{labels['containers']}: {stop['containers']}", "small"))
            rows.append(
                [
                    self.paragraph(str(stop["number"]), "centered"),
                    Paragraph(title, s["station"]),
                    cell,
                    CheckBox(self.checkbox_size),
                ]
            )
        if not data["stops"]:
            rows.append([self.paragraph(labels["no_items"]), "", "", ""])
            style.append(("SPAN", (0, 1), (-1, 1)))
        table = Table(rows, colWidths=self.column_widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        return [table]

    def reminders(self, data):
        notes = data.get("prep_notes") or []
        if not notes:
            return []
        flowables = [Spacer(1, 3 * mm), self.paragraph(data["labels"]["reminders"], "station")]
        flowables += [Paragraph("• " + self.text(note), self.styles["note"]) for note in notes]
        return flowables

    # --- document ---------------------------------------------------------------------------

    def story(self, data):
        return self.header(data) + self.stations(data) + self.reminders(data)

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
