"""The referral letter as a PDF (see ``base.BaseRenderer``): whom the client is referred to, why, the
relevant findings and the counselor's signature; ``data`` comes from
``checkup.services.care.referrals.letter_data``.
"""

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from checkup.reports.base import BaseRenderer


class ReferralLetterRenderer(BaseRenderer):
    left_margin = 20 * mm
    right_margin = 20 * mm
    top_margin = 22 * mm
    bottom_margin = 20 * mm
    font_size = 10
    leading_ratio = 1.4

    def _styles(self):
        return {
            "Cell": dict(fontSize=9, leading=12),
            "Small": dict(fontSize=8, leading=10.5, textColor=colors.grey),
            "Heading": dict(fontSize=12, leading=16, spaceBefore=10, spaceAfter=4, textColor=self.accent),
            "Title": dict(fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=4, textColor=self.accent),
            "Center": dict(alignment=TA_CENTER, textColor=colors.grey),
        }

    def document_title(self, data):
        return _("Referral letter")

    def _on_page(self, canvas, doc, data):
        canvas.saveState()
        self._draw_band(canvas, 8 * mm)
        canvas.setFillColor(colors.grey)
        center = data.get("center", {})
        footer = " · ".join(
            part for part in (center.get("name", ""), center.get("phone", ""), data.get("number", "")) if part
        )
        self.mixed.draw(canvas, self.left_margin, 10 * mm, footer, 8)
        canvas.restoreState()

    def _facts(self, rows, widths):
        table = Table(
            [[self.paragraph(k, "Cell"), self.paragraph(v, "Cell")] for k, v in rows], colWidths=widths, hAlign="LEFT"
        )
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.rule_color),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def _findings(self, data, width):
        findings = data.get("findings", [])
        story = [self.paragraph(_("Relevant findings"), "Heading")]
        if not findings:
            return story + [self.paragraph(_("No findings are attached to this referral."))]
        header = [_("Item"), _("Result"), _("Unit"), _("Reference range"), _("Flag")]
        rows = [[self.paragraph(h, "Cell") for h in header]]
        for finding in findings:
            if finding.get("text"):  # a physician's observation: one line across the table
                rows.append([self.paragraph(finding["text"], "Cell"), "", "", "", ""])
                continue
            rows.append(
                [self.paragraph(finding.get(key, ""), "Cell") for key in ("name", "value", "unit", "reference", "flag")]
            )
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.rule_color),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        style += [("SPAN", (0, i), (-1, i)) for i, f in enumerate(findings, start=1) if f.get("text")]
        table = Table(rows, colWidths=[w * width for w in (0.38, 0.16, 0.12, 0.2, 0.14)], repeatRows=1)
        table.setStyle(TableStyle(style))
        return story + [table]

    def _signature(self, data):
        block = [
            Spacer(1, 12 * mm),
            self.paragraph(_("Referring counselor: %(name)s", name=data.get("referred_by", ""))),
        ]
        block += [
            Spacer(1, 10 * mm),
            self.paragraph(_("Signature: ______________________    Date: %(date)s", date=data.get("date", ""))),
        ]
        block += [
            Spacer(1, 6 * mm),
            self.paragraph(
                _(
                    "Please return the outcome of the consultation to the center so we can complete "
                    "the client's follow-up."
                ),
                "Small",
            ),
        ]
        return [KeepTogether(block)]

    def story(self, data):
        """The letter for ``data``."""
        width = self.content_width
        client, target, center = data.get("client", {}), data.get("target", {}), data.get("center", {})
        story = [
            self.paragraph(center.get("name", ""), "Center"),
            self.paragraph(_("Referral letter"), "Title"),
            self.paragraph(
                _("No. %(number)s · %(date)s", number=data.get("number", ""), date=data.get("date", "")), "Center"
            ),
            Spacer(1, 6 * mm),
        ]
        story.append(self.paragraph(_("Referred to"), "Heading"))
        story.append(self._facts([(target.get("kind", ""), target.get("name", ""))], [45 * mm, width - 45 * mm]))
        story.append(self.paragraph(_("Client"), "Heading"))
        story.append(
            self._facts(
                [
                    (_("Full name"), client.get("name", "")),
                    (_("Sex"), client.get("sex", "")),
                    (_("Age"), client.get("age", "")),
                ],
                [45 * mm, width - 45 * mm],
            )
        )
        story.append(self.paragraph(_("Reason for referral"), "Heading"))
        story.append(self.paragraph(data.get("reason", "")))
        story += self._findings(data, width)
        return story + self._signature(data)
