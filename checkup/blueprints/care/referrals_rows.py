"""The referral list's rows printed in Python (#16): byte for byte what the loop of
templates/care/_referrals_results.html printed, from services/care/referrals ``ListedReferral`` tuples.
Labels are translated once per page; tests/care/test_referrals_rows.py renders the old loop beside it."""

from flask_babel import gettext
from markupsafe import Markup

from checkup.services.care import followups
from checkup.services.care.referrals import listed_target_text
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated
from checkup.web.templating import center_time


def referral_rows(items):
    """The ``<tr>`` of each listed referral (or the "no referral matches" row), between ``<tbody>`` and
    ``</tbody>`` as the template's loop printed them."""
    if not items:
        none_text = translated(gettext("No referral matches these filters."))
        return Markup(f'\n  <tr><td colspan="6">{none_text}</td></tr>\n  ')
    statuses = followups.label_texts("referral_status")
    detail = address_pattern("care_referrals.detail", "referral_id")
    parts = []
    add = parts.append
    for row in items:
        status = statuses.get(row.status, row.status)
        by = escaped(row.creator_name) if row.created_by_id and row.creator_id is not None else "—"
        add(
            f'\n  <tr>\n    <td><a href="{detail % row.id}">R{row.id:06d}</a></td>\n'
            f"    <td>{escaped(row.client_name)}</td>\n"
            f"    <td>{escaped(listed_target_text(row))}</td>\n"
            f"    <td>{escaped(status)}</td>\n"
            f"    <td>{escaped(center_time(row.proposed_at))}</td>\n"
            f"    <td>{by}</td>\n  </tr>\n  "
        )
    return Markup("".join(parts))
