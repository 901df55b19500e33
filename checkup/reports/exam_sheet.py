"""The exam sheet a client carries from station to station: who, exam code (QR + Code128), items to tick.

Plain data in (see ``checkup.services.exam.exam_day.exam_sheet_data``), PDF bytes out; no database here.
Every piece of user text is escaped before it goes into Paragraph markup.

The embedded CJK font (DroidSansFallbackFull) has no Latin letters, digits or punctuation, so text is
set in Helvetica and only the runs of characters Helvetica cannot show switch to the CJK font.
"""
import io
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from checkup.reports.fonts import BODY_FONT, register_fonts


class FontRuns:
    """Splits text into (font, run) pairs: Helvetica where it can, the CJK font for what it cannot show."""

    def __init__(self, latin, cjk):
        self.latin, self.cjk = latin, cjk
        face = getattr(pdfmetrics.getFont(cjk), "face", None)
        self._cjk_glyphs = getattr(face, "charToGlyph", None)  # None: a CID font, which covers everything

    def font_for(self, char):
        try:
            char.encode("cp1252")  # Helvetica's WinAnsi repertoire
            return self.latin
        except UnicodeEncodeError:
            if self._cjk_glyphs is None or ord(char) in self._cjk_glyphs:
                return self.cjk
            return self.latin

    def runs(self, text):
        result = []
        for char in str(text if text is not None else ""):
            font = self.font_for(char)
            if result and result[-1][0] == font:
                result[-1][1] += char
            else:
                result.append([font, char])
        return [(font, run) for font, run in result]

    def markup(self, text):
        """Escaped Paragraph markup for ``text`` (user text is never read as markup)."""
        return "".join(escape(run) if font == self.latin else f'<font name="{font}">{escape(run)}</font>'
                       for font, run in self.runs(text))

    def draw(self, canv, x, y, text, size, align="left"):
        runs = self.runs(text)
        width = sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
        x = x - width if align == "right" else x
        for font, run in runs:
            canv.setFont(font, size)
            canv.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, font, size)


class CheckBox(Flowable):
    """An empty square for the station to tick."""

    def __init__(self, size):
        super().__init__()
        self.size = size
        self.width = self.height = size

    def draw(self):
        self.canv.setLineWidth(0.8)  # drawn, not a glyph: neither font has a ballot box
        self.canv.rect(0, 0, self.size, self.size)


def numbered_canvas(footer_text, page_label, fonts, margin):
    """A canvas class that knows the page count when it draws each page's footer ("Page X of Y")."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total):
            width, _height = self._pagesize
            self.saveState()
            self.setFillColor(colors.grey)
            fonts.draw(self, margin, margin / 2, footer_text, 8)
            fonts.draw(self, width - margin, margin / 2, page_label % {"page": self._pageNumber, "pages": total}, 8,
                       align="right")
            self.restoreState()

    return NumberedCanvas


class ExamSheetRenderer:
    """Lays out one exam sheet on A4; geometry and type sizes are attributes so a center can adjust them."""

    pagesize = A4
    margin = 15 * mm
    latin_font = "Helvetica"
    cjk_font = BODY_FONT
    base_size = 10
    title_size = 16
    name_size = 18
    qr_size = 30 * mm
    barcode_height = 11 * mm
    barcode_bar_width = 0.3 * mm
    checkbox_size = 4 * mm
    column_widths = (14 * mm, 72 * mm, 66 * mm, 28 * mm)  # tick, item, preparation, station signature
    rule_color = colors.HexColor("#9aa3ad")
    heading_background = colors.HexColor("#e8edf2")

    def __init__(self):
        self.cjk_font = register_fonts()
        self.fonts = FontRuns(self.latin_font, self.cjk_font)
        self.styles = self._stylesheet()

    def _stylesheet(self):
        def style(name, **kw):
            return ParagraphStyle(name, fontName=self.latin_font, fontSize=kw.pop("size", self.base_size),
                                  leading=kw.pop("leading", self.base_size * 1.3), wordWrap="CJK", **kw)

        return {
            "center": style("center", size=11, textColor=colors.HexColor("#334155")),
            "title": style("title", size=self.title_size, leading=self.title_size * 1.25),
            "name": style("name", size=self.name_size, leading=self.name_size * 1.25),
            "body": style("body"),
            "small": style("small", size=8, leading=10, textColor=colors.HexColor("#475569")),
            "station": style("station", size=12, leading=15),
            "code": style("code", size=9, alignment=TA_RIGHT),
            "cell_head": style("cell_head", size=8, leading=10),
        }

    # --- pieces -----------------------------------------------------------------------------

    def qr_code(self, value):
        widget = QrCodeWidget(value)
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(self.qr_size, self.qr_size,
                          transform=[self.qr_size / (x1 - x0), 0, 0, self.qr_size / (y1 - y0), 0, 0])
        drawing.add(widget)
        return drawing

    def barcode(self, value):
        return Code128(value, barHeight=self.barcode_height, barWidth=self.barcode_bar_width, humanReadable=True)

    def header(self, data):
        labels, s, m = data["labels"], self.styles, self.fonts.markup
        facts = [
            (labels["sex"], data["sex"]), (labels["age"], data["age"]), (labels["birth_date"], data["birth_date"]),
        ]
        if data.get("masked_national_id"):
            facts.append((labels["national_id"], data["masked_national_id"]))
        facts += [(labels["date"], data["day"]), (labels["time"], data["slot"]),
                  (labels["package"], data["package"]), (labels["exam_code"], data["exam_code"])]
        left = [
            Paragraph(m(data["center_name"]), s["center"]),
            Paragraph(m(labels["title"]), s["title"]),
            Spacer(1, 2 * mm),
            Paragraph(m(data["client_name"]), s["name"]),
            Spacer(1, 1 * mm),
            self.fact_grid(facts),
        ]
        right = [self.qr_code(data["exam_code"]), Spacer(1, 1 * mm), self.barcode(data["exam_code"]),
                 Spacer(1, 4 * mm)]  # the barcode's human-readable line hangs below its bars
        usable = self.pagesize[0] - 2 * self.margin
        right_width = max(self.qr_size, 45 * mm)
        table = Table([[left, right]], colWidths=[usable - right_width, right_width])
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, self.rule_color), ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
        ]))
        return [table, Spacer(1, 2 * mm)]

    def fact_grid(self, facts, columns=2):
        """label: value pairs, ``columns`` pairs to a row."""
        s, m = self.styles, self.fonts.markup
        cells = [[Paragraph(m(label), s["small"]), Paragraph(m(value), s["body"])] for label, value in facts]
        rows = []
        for start in range(0, len(cells), columns):
            row = sum(cells[start:start + columns], [])
            rows.append(row + [""] * (2 * columns - len(row)))
        table = Table(rows, colWidths=[20 * mm, 42 * mm] * columns, hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 0.5 * mm),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5 * mm)]))
        return table

    def station(self, station, labels):
        s, m = self.styles, self.fonts.markup
        title = m(station["name"])
        if station.get("other_name"):
            title += f" &nbsp;<font size=9>{m(station['other_name'])}</font>"
        # the station's name and the column heads are table rows, so both repeat when a station runs on
        rows = [[Paragraph(title, s["station"]), "", "", ""],
                [Paragraph(m(labels[key]), s["cell_head"]) for key in ("done", "item", "prep", "station_signature")]]
        for item in station["items"]:
            name = m(item["name"])
            if item.get("is_addon"):
                name += f" <font size=8>({m(labels['addon'])})</font>"
            cell = [Paragraph(name, s["body"])]
            detail = " · ".join(m(v) for v in (item.get("other_name"), item.get("code")) if v)
            if detail:
                cell.append(Paragraph(detail, s["small"]))
            rows.append([CheckBox(self.checkbox_size), cell, Paragraph(m(item.get("prep_note")), s["small"]), ""])
        table = Table(rows, colWidths=self.column_widths, repeatRows=2, spaceBefore=4 * mm)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), self.latin_font),
            ("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (-1, 0), 0),
            ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 1), (-1, 1), self.heading_background),
            ("GRID", (0, 1), (-1, -1), 0.5, self.rule_color),
            ("TOPPADDING", (0, 2), (-1, -1), 2 * mm), ("BOTTOMPADDING", (0, 2), (-1, -1), 2 * mm),
        ]))
        return [table]

    # --- document ---------------------------------------------------------------------------

    def story(self, data):
        flowables = self.header(data)
        for station in data["stations"]:
            flowables += self.station(station, data["labels"])
        if not data["stations"]:
            flowables.append(Paragraph(self.fonts.markup(data["labels"]["no_items"]), self.styles["body"]))
        return flowables

    def build(self, data):
        """The exam sheet for ``data`` as PDF bytes."""
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=self.pagesize, leftMargin=self.margin, rightMargin=self.margin,
                                topMargin=self.margin, bottomMargin=self.margin,
                                title=f"{data['labels']['title']} {data['exam_code']}",
                                author=data["center_name"], creator="Checkup Portal")
        footer = f"{data['exam_code']} · {data['client_name']} · {data['day']} {data['slot']}"
        doc.build(self.story(data),
                  canvasmaker=numbered_canvas(footer, data["labels"]["page"], self.fonts, self.margin))
        return buffer.getvalue()


def render_exam_sheet(data):
    return ExamSheetRenderer().build(data)
