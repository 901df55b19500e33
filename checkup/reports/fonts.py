"""The report font: an embedded TrueType CJK font kept in the repository, so Chinese renders on any machine.

DroidSansFallbackFull.ttf (Apache-2.0, see LICENSE-DroidSansFallback.txt) is TrueType, which reportlab
embeds as a subset; OpenType/CFF fonts such as Noto CJK cannot be read by reportlab. Without the file we
fall back to the built-in STSong-Light CID font, which is not embedded (viewers need a CJK font).

DroidSansFallbackFull has no Latin letters, digits or punctuation: ``MixedText`` sets text in
Helvetica and switches to ``BODY_FONT`` only for the runs Helvetica cannot show, and to the standard
Symbol font (every PDF viewer has it) for the arrows and signs of results: ↑ ↓ → ≤ ≥ −.

``MixedParagraph`` breaks lines the way Chinese is set: between any two Chinese characters, but never
inside a Latin word, a number or a number and its unit ("HbA1c 6.5%", "6.5 mmol/L"), and never before
a closing mark ("，。）") nor after an opening one.
"""

import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.paragraph import Paragraph, ParaLines, _handleBulletWidth, cjkU, makeCJKParaLine

BODY_FONT = "CheckupSans"
FONT_FILE = Path(__file__).with_name("fonts") / "DroidSansFallbackFull.ttf"
FALLBACK_CID_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
SYMBOL_FONT = "Symbol"  # one of the 14 standard PDF fonts: never embedded, always there
SYMBOL_CHARS = frozenset("↑↓→≤≥−")
# Characters no font here has, written the way a reader still understands.
SUBSTITUTES = {"✓": "x"}

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
        if char in SYMBOL_CHARS:
            return SYMBOL_FONT
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


# --- line breaking ---------------------------------------------------------------------------------

# reportlab's rules for Japanese, with the Chinese full-width marks they lack
CANNOT_START = ALL_CANNOT_START + "，；：！？）》〉…"
CANNOT_END = ALL_CANNOT_END + "（《〈"
_NUMBER = re.compile(r"[<>≤≥±~+-]?[0-9]+(?:[.,][0-9]+)*$")
# what may follow a number as its unit, after a space: a letter, %, µ, °, ‰, a Chinese unit (岁, 次/分)
_UNIT_START = re.compile(r"[A-Za-zµ%‰°\u4e00-\u9fff/]")


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def text_language(text):
    """The language a piece of free text is written in, read from its script: "zh" when Chinese carries it
    (a Chinese character weighs about a Latin word: "左乳结节（BI-RADS 3类）" is Chinese, an English
    sentence quoting one Chinese term is English), "en" for Latin words, "" for neither ("1+", "—")."""
    text = str(text or "")
    han = len(_HAN.findall(text))
    latin = sum(len(word) for word in _LATIN_WORD.findall(text))
    if han and han * 3 >= latin:
        return "zh"
    return "en" if latin else ""


def _is_cjk(char):
    """Chinese (and Japanese/Korean) characters and their punctuation: a line may break around each."""
    return "\u2e80" <= char


def _break_before(text, i):
    """May a line start at ``text[i]`` (``text``: the paragraph's characters, one per glyph)?"""
    before, char = text[i - 1], text[i]
    if char.isspace() or char in CANNOT_START or before in CANNOT_END:
        return False
    if before.isspace():
        head = text[max(0, i - 24) : i].rstrip()
        word = head.rsplit(None, 1)[-1] if head else ""
        # "6.5 mmol/L", "72 次/分": a number keeps its unit on its line
        return not (_NUMBER.search(word) and _UNIT_START.match(char))
    return _is_cjk(before) or _is_cjk(char)


def _trimmed(glyphs):
    """``glyphs`` without the spaces that would end the line (a line break eats them)."""
    end = len(glyphs)
    while end and str(glyphs[end - 1]).isspace():
        end -= 1
    return glyphs[:end]


def mixed_frag_split(frags, max_widths, calc_bounds):
    """reportlab's ``cjkFragSplit`` with Chinese line breaking rules (see ``MixedParagraph``): the
    paragraph's glyphs are grouped into units that never break inside, laid out greedily line by line.
    A unit wider than a whole line (a long address) is the only thing ever cut, at the line's end."""
    glyphs = []
    for frag in frags:
        text = frag.text
        if text:
            glyphs.extend(cjkU(char, frag, "utf8") for char in text)
        else:
            glyphs.append(cjkU(text, frag, "utf8"))
    # one character per glyph ("\n" for a <br/>, a private-use mark for an image), so rules can look around
    text = "".join("\n" if hasattr(g.frag, "lineBreak") else (str(g) or "\uf8ff") for g in glyphs)
    units, start = [], 0
    for i in range(1, len(glyphs) + 1):
        if i == len(glyphs) or text[i - 1] == "\n" or _break_before(text, i):
            units.append(glyphs[start:i])
            start = i

    lines = []

    def limit():
        return max_widths[min(len(lines), len(max_widths) - 1)]

    def finish(line, line_break):
        kept = line if line_break else _trimmed(line)
        used = sum(g.width for g in kept)
        lines.append(makeCJKParaLine(kept, limit(), used, limit() - used, line_break, calc_bounds))

    line, line_width = [], 0.0  # line_width: with the spaces after its last word
    for unit in units:
        content = _trimmed(unit)
        content_width = sum(g.width for g in content)
        if line and line_width + content_width > limit() + 1e-6:
            finish(line, False)
            line, line_width = [], 0.0
        while len(content) > 1 and content_width > limit() + 1e-6:
            # wider than a whole line on its own (a long address or link): cut where the line ends
            cut, used = 0, 0.0
            while cut < len(content) and used + content[cut].width <= limit():
                used += content[cut].width
                cut += 1
            cut = max(cut, 1)
            finish(content[:cut], False)
            unit, content = unit[cut:], content[cut:]
            content_width = sum(g.width for g in content)
        ends_line = bool(unit) and hasattr(unit[-1].frag, "lineBreak")
        if not line and not content and not ends_line:
            continue  # spaces at the start of a line
        line.extend(unit)
        line_width += sum(g.width for g in unit)
        if ends_line:
            finish(line, True)
            line, line_width = [], 0.0
    if line:
        finish(line, False)
    return ParaLines(kind=1, lines=lines)


class MixedParagraph(Paragraph):
    """A Paragraph (style ``wordWrap="CJK"``) that breaks Chinese per character and Latin per word."""

    def breakLinesCJK(self, maxWidths):
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        if hasattr(self, "blPara") and getattr(self, "_splitpara", 0):
            return self.blPara
        style = self.style
        self.height = 0
        _handleBulletWidth(self.bulletText, style, maxWidths)
        if not self.frags:
            return ParaLines(
                kind=0,
                fontSize=style.fontSize,
                fontName=style.fontName,
                textColor=style.textColor,
                lines=[],
                ascent=style.fontSize,
                descent=-0.2 * style.fontSize,
            )
        auto_leading = getattr(self, "autoLeading", getattr(style, "autoLeading", ""))
        return mixed_frag_split(self.frags, maxWidths, auto_leading not in ("", "off"))
