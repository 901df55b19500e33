"""The cashier's receipt (收费收据): one payment, possibly split across methods, as a one-page PDF.

Plain data in (``receipt_data`` in services/money/receipts.py builds it), bytes out; Chinese names and the
amount in capital numerals (人民币大写) render with the embedded CJK font of the base renderer.
"""

from decimal import Decimal

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from checkup.reports.group_document import GroupDocumentRenderer

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
SECTIONS = ["", "万", "亿"]


def _four_digits(number):
    """0 < number < 10000 in capital numerals, with inner zeros read once (e.g. 1005 → 壹仟零伍)."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + UNITS[position]
    return text


def amount_in_words(amount):
    """An amount in yuan as written on Chinese receipts: ¥1,418.50 → 壹仟肆佰壹拾捌元伍角整."""
    cents = int((Decimal(amount) * 100).quantize(Decimal(1)))
    if cents == 0:
        return "零元整"
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = ""
    if yuan:
        sections, n = [], yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        parts, pending_zero = [], False
        for index in range(len(sections) - 1, -1, -1):
            section = sections[index]
            if section == 0:
                pending_zero = bool(parts)
                continue
            if parts and (pending_zero or section < 1000):
                parts.append("零")
            parts.append(_four_digits(section) + SECTIONS[index])
            pending_zero = False
        text = "".join(parts) + "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def money_text(value):
    return f"¥{Decimal(value):,.2f}"


class ReceiptRenderer(GroupDocumentRenderer):
    """Receipt of one payment; the page head names the center, the foot the receipt number."""

    def document_title(self, data):
        return _("Receipt")

    def _on_page(self, canvas, doc, data):
        canvas.saveState()
        self._draw_band(canvas, 6 * mm)
        self._draw_running_head(
            canvas,
            self.pagesize[1] - self.top_margin + 5 * mm,
            data.get("center", {}).get("name", ""),
            data.get("receipt_no", ""),
        )
        canvas.restoreState()

    def story(self, data):
        facts = [
            [_("Receipt number"), data["receipt_no"]],
            [_("Date"), data["received_at"]],
            [_("Client"), data["client"]],
            [_("Exam code"), data["exam_code"]],
            [_("Checkup"), data["package"]],
            [_("Cashier"), data["cashier"]],
        ]
        parts = [[p["method"], p["reference"], money_text(p["amount"])] for p in data["parts"]]
        parts.append([_("Total"), "", money_text(data["total"])])
        return [
            self.paragraph(_("Receipt"), "Title"),
            self.paragraph(data["center"]["name"], "Subtitle"),
            self.table([_("Item"), _("Detail")], facts, (0.3, 0.7), right_from=2),
            Spacer(1, 4 * mm),
            self.heading(_("Paid")),
            self.table([_("Method"), _("Reference"), _("Amount")], parts, (0.3, 0.4, 0.3), right_from=2, total_rows=1),
            Spacer(1, 3 * mm),
            self.paragraph(_("Amount in words: %(words)s", words=amount_in_words(data["total"])), "Subheading"),
            self.paragraph(_("Currency: %(currency)s", currency=data["currency"]), "Small"),
            Spacer(1, 6 * mm),
            self.paragraph(
                _("This receipt is not a tax invoice (发票). Ask the front desk or your account page for one."), "Small"
            ),
        ]
