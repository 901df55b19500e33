"""The report font: an embedded TrueType CJK font kept in the repository, so Chinese renders on any machine.

DroidSansFallbackFull.ttf (Apache-2.0, see LICENSE-DroidSansFallback.txt) is TrueType, which reportlab
embeds as a subset; OpenType/CFF fonts such as Noto CJK cannot be read by reportlab. Without the file we
fall back to the built-in STSong-Light CID font, which is not embedded (viewers need a CJK font).

DroidSansFallbackFull has no Latin letters, digits or punctuation: ``MixedText`` sets text in
Helvetica and switches to ``BODY_FONT`` only for the runs Helvetica cannot show.
"""

import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

BODY_FONT = "CheckupSans"
FONT_FILE = Path(__file__).with_name("fonts") / "DroidSansFallbackFull.ttf"
FALLBACK_CID_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
# Characters neither font has, written the way a reader still understands.
SUBSTITUTES = {"≤": "<=", "≥": ">=", "↑": "^", "↓": "v", "→": "->", "−": "-", "✓": "x"}

_lock = threading.Lock()
_registered = None


def register_fonts():
    """Register ``BODY_FONT`` once per process (idempotent, thread-safe); returns ``BODY_FONT``."""
    global _registered
    if _registered:
        return _registered
    with _lock:
        if _registered:
            return _registered
        if BODY_FONT in pdfmetrics.getRegisteredFontNames():
            pass
        elif FONT_FILE.exists():
            pdfmetrics.registerFont(TTFont(BODY_FONT, str(FONT_FILE)))
        else:
            font = UnicodeCIDFont(FALLBACK_CID_FONT)
            font.fontName = font.name = BODY_FONT  # same name either way, so documents never branch
            pdfmetrics.registerFont(font)
        for bold in (0, 1):  # <b> around Chinese text keeps the same face instead of failing
            for italic in (0, 1):
                addMapping(BODY_FONT, bold, italic, BODY_FONT)
        _registered = BODY_FONT
        return _registered


class MixedText:
    """Splits text into (font, run) pairs: Helvetica where it can, the CJK font for what it cannot show."""

    def __init__(self, latin=LATIN_FONT, cjk=None):
        self.latin, self.cjk = latin, cjk or register_fonts()
        face = getattr(pdfmetrics.getFont(self.cjk), "face", None)
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
            char = SUBSTITUTES.get(char, char)
            font = self.font_for(char[0])
            if result and result[-1][0] == font:
                result[-1][1] += char
            else:
                result.append([font, char])
        return [(font, run) for font, run in result]

    def markup(self, text):
        """Escaped Paragraph markup for ``text`` (user text is never read as markup); newlines become <br/>."""
        return "".join(
            (escape(run) if font == self.latin else f'<font name="{font}">{escape(run)}</font>').replace("\n", "<br/>")
            for font, run in self.runs(text)
        )

    def width(self, text, size):
        return sum(pdfmetrics.stringWidth(run, font, size) for font, run in self.runs(text))

    def draw(self, canv, x, y, text, size, align="left"):
        runs = self.runs(text)
        if align == "right":
            x -= sum(pdfmetrics.stringWidth(run, font, size) for font, run in runs)
        for font, run in runs:
            canv.setFont(font, size)
            canv.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, font, size)
