"""The base of every PDF the center prints: plain data in, PDF bytes out (no database access here).

Shape after pretix's invoice renderer: geometry as attributes, ``_register_fonts``, a stylesheet, page
templates, a numbered canvas ("page X of Y") and ``build(data) -> bytes``. A document subclasses
``BaseRenderer``, writes its ``story`` and ``document_title``, adds its own ``_styles`` and, if it has
any, draws its page furniture in ``_on_page``.
Every piece of user or catalog text goes through ``text``: escaped (never read as Paragraph markup),
Chinese runs in the embedded CJK font (``fonts.MixedText``); ``paragraph`` sets it with Chinese line
breaking that never cuts a Latin word or a number from its unit (``fonts.MixedParagraph``).
Output is invariant (no timestamps or random ids), so the same data renders to the same bytes.
"""

import abc
import functools
import io
import threading

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from checkup.reports.fonts import LATIN_FONT, MixedParagraph, MixedText, register_fonts

# reportlab's TrueType fonts are process-wide objects whose subsetting (at save) reads the font file through
# one shared cursor: two threads of a gunicorn worker building PDFs at once corrupt each other's subset
# (KeyError in makeSubset). One document is built at a time per process; the work is CPU-bound under the
# GIL anyway, so the lock costs no throughput.
_BUILD_LOCK = threading.Lock()


class NumberedCanvas(pdfcanvas.Canvas):
    """Holds every page back until the document ends, so each page can say "page X of Y".

    ``on_page_end(canvas, page, total)`` draws what needs the page count, just before each page is written.
    """

    def __init__(self, *args, on_page_end, **kwargs):
        super().__init__(*args, **kwargs)
        self._on_page_end = on_page_end
        self._saved_page_states = []

    def showPage(self):
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self._on_page_end(self, self._pageNumber, total)
            super().showPage()
        super().save()


class BaseRenderer(abc.ABC):
    pagesize = A4
    left_margin = 18 * mm
    right_margin = 18 * mm
    top_margin = 20 * mm
    bottom_margin = 18 * mm
    font = LATIN_FONT
    font_size = 9
    leading_ratio = 1.35
    accent = colors.HexColor("#0b4a63")
    rule_color = colors.HexColor("#c8d3da")
    header_fill = colors.HexColor("#e8eff3")
    # where "page X of Y" ends: this far from the page's right edge, this high above its bottom edge
    page_number_right = 18 * mm
    page_number_bottom = 10 * mm
    page_number_size = 8

    def __init__(self):
        self.cjk_font = self._register_fonts()
        self.mixed = MixedText(self.font, self.cjk_font)
        self.content_width = self.pagesize[0] - self.left_margin - self.right_margin
        self.content_height = self.pagesize[1] - self.top_margin - self.bottom_margin
        self.styles = self._get_stylesheet()

    # --- set-up -----------------------------------------------------------------------------------

    def _register_fonts(self):
        return register_fonts()

    def _get_stylesheet(self):
        """The "Normal" style and the document's own ``_styles``, each of which starts from "Normal"."""
        normal = ParagraphStyle(
            "Normal",
            fontName=self.font,
            fontSize=self.font_size,
            leading=self.font_size * self.leading_ratio,
            wordWrap="CJK",
        )
        styles = {"Normal": normal}
        for name, attributes in self._styles().items():
            styles[name] = ParagraphStyle(name, parent=normal, **attributes)
        return styles

    def _styles(self):
        """The document's own paragraph styles: {name: attributes that differ from "Normal"}."""
        return {}

    def text(self, value):
        """Escaped markup for user text, with Chinese runs in the embedded CJK font."""
        return self.mixed.markup(value)

    def paragraph(self, value, style="Normal"):
        return self.markup_paragraph(self.text(value), style)

    def markup_paragraph(self, markup, style="Normal"):
        """A paragraph of markup made here (``text`` output wrapped in <b> and the like)."""
        return MixedParagraph(markup, self.styles[style])

    # --- pages ------------------------------------------------------------------------------------

    @abc.abstractmethod
    def document_title(self, data):
        """The title in the PDF's properties."""

    def document_author(self, data):
        return data.get("center", {}).get("name", "")

    def _page_templates(self, data):
        """One template: the story fills the margins; ``_on_page`` draws the rest of every page."""
        frame = Frame(self.left_margin, self.bottom_margin, self.content_width, self.content_height, id="body")
        return [PageTemplate(id="Page", frames=[frame], onPage=lambda c, d: self._on_page(c, d, data))]

    def _on_page(self, canvas, doc, data):  # noqa: B027 (a hook to override, not an abstract method)
        """Page furniture drawn under the story (bands, running heads, footers); none by default."""

    def _draw_band(self, canvas, height):
        """The accent band across the top of the page."""
        canvas.setFillColor(self.accent)
        canvas.rect(0, self.pagesize[1] - height, self.pagesize[0], height, stroke=0, fill=1)

    def _draw_running_head(self, canvas, top, left, right):
        """``left`` and ``right`` in grey on the line ``top``, ruled off from the story below."""
        canvas.setFillColor(colors.grey)
        self.mixed.draw(canvas, self.left_margin, top, left, 8)
        self.mixed.draw(canvas, self.pagesize[0] - self.right_margin, top, right, 8, align="right")
        canvas.setStrokeColor(self.rule_color)
        canvas.line(self.left_margin, top - 2 * mm, self.pagesize[0] - self.right_margin, top - 2 * mm)

    def page_label(self, data, page, total):
        return _("Page %(page)s of %(total)s", page=page, total=total)

    def _on_page_end(self, canvas, data, page, total):
        """Drawn once the page count is known: "page X of Y" at the foot of the page, on the right."""
        canvas.saveState()
        canvas.setFillColor(colors.grey)
        self.mixed.draw(
            canvas,
            self.pagesize[0] - self.page_number_right,
            self.page_number_bottom,
            self.page_label(data, page, total),
            self.page_number_size,
            align="right",
        )
        canvas.restoreState()

    # --- output -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def story(self, data):
        """The document's flowables for ``data``."""

    def build(self, data):
        """``data`` as PDF bytes (the same data always gives the same bytes)."""
        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=self.left_margin,
            rightMargin=self.right_margin,
            topMargin=self.top_margin,
            bottomMargin=self.bottom_margin,
            invariant=True,
            title=self.document_title(data),
            author=self.document_author(data),
            creator="Checkup Portal",
        )
        doc.addPageTemplates(self._page_templates(data))
        story = self.story(data)
        with _BUILD_LOCK:
            doc.build(
                story,
                canvasmaker=functools.partial(
                    NumberedCanvas, on_page_end=lambda canvas, page, total: self._on_page_end(canvas, data, page, total)
                ),
            )
        return buffer.getvalue()
