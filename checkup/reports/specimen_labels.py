"""Specimen tube labels for a 50 × 25 mm label printer: one label per page, one page per container.

Each label: the client's name (Chinese in the embedded font) with sex and age, the Code128 barcode of
``<exam code>-<container code>`` sized to the label's width, the exam code as text, the container's colour
name and the panels drawn into it. ``data`` comes from ``checkup.services.exam.specimens.label_data``.
"""

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak

from checkup.reports.base import BaseRenderer


class SpecimenLabel(Flowable):
    """One label, drawn straight on the canvas (a label has no room for paragraphs)."""

    def __init__(self, renderer, data, label):
        super().__init__()
        self.renderer, self.data, self.label = renderer, data, label
        self.width, self.height = renderer.content_width, renderer.content_height

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, available_height * 0.999  # the frame's padded inside
        return self.width, self.height

    def _fit(self, text, size, width):
        """``text`` cut (with an ellipsis) to fit ``width`` at ``size``."""
        mixed = self.renderer.mixed
        if mixed.width(text, size) <= width:
            return text
        while text and mixed.width(text + "…", size) > width:
            text = text[:-1]
        return text + "…"

    def draw(self):
        r, canv, label, data = self.renderer, self.canv, self.label, self.data
        width, top = self.width, self.height
        # line 1: name (large), sex and age on the right
        facts = f"{data['sex']} {data['age_label']}"
        facts_width = r.mixed.width(facts, r.small_size)
        name = self._fit(data["client_name"], r.name_size, width - facts_width - 1.5 * mm)
        r.mixed.draw(canv, 0, top - r.name_size, name, r.name_size)
        r.mixed.draw(canv, width, top - r.name_size, facts, r.small_size, align="right")
        # the barcode, as wide as the label allows (narrow bars shrink before the code grows past the edge)
        code = label["barcode"]
        probe = Code128(code, barWidth=1, barHeight=r.barcode_height, quiet=False)
        bar_width = min(r.max_bar_width, width / probe.width)
        barcode = Code128(code, barWidth=bar_width, barHeight=r.barcode_height, quiet=False)
        barcode_y = top - r.name_size - 1 * mm - r.barcode_height
        barcode.drawOn(canv, (width - barcode.width) / 2, barcode_y)
        # line 3: the code as text, and the container's colour in bold on the right
        text_y = barcode_y - r.small_size - 0.4 * mm
        r.mixed.draw(canv, 0, text_y, code, r.small_size)
        colour = self._fit(label["colour"], r.colour_size, width / 3)
        r.mixed.draw(canv, width, text_y, colour, r.colour_size, align="right")
        # line 4: what is drawn into it
        panels = self._fit(label["panels"], r.tiny_size, width)
        r.mixed.draw(canv, 0, text_y - r.tiny_size - 0.3 * mm, panels, r.tiny_size)


class SpecimenLabelRenderer(BaseRenderer):
    pagesize = (50 * mm, 25 * mm)
    # the frame pads 6 pt inside these; the printable label is 50 × 25 mm with about 2.5 mm round it
    left_margin = right_margin = 0.5 * mm
    top_margin = 0 * mm
    bottom_margin = 0 * mm
    name_size = 9
    small_size = 6.5
    colour_size = 7
    tiny_size = 5.5
    barcode_height = 8 * mm
    max_bar_width = 0.25 * mm

    def story(self, data):
        flowables = []
        for n, label in enumerate(data["labels"]):
            if n:
                flowables.append(PageBreak())
            flowables.append(SpecimenLabel(self, data, label))
        return flowables

    def document_title(self, data):
        return data["title"]

    def document_author(self, data):
        return data["center_name"]

    def _on_page_end(self, canvas, data, page, total):
        """No "page X of Y" on a tube label."""
