"""The staff account list's rows printed in Python (#16), byte for byte what templates/admin/_account_rows.html
printed with its own loop: 50 rows a page of name, email, roles, organization and status. Values are escaped as
the template escaped them, labels translated once per page, the detail link an address pattern;
tests/accounts/test_account_rows.py renders the old loop beside it."""

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.core.labels import ROLE_LABELS
from checkup.web.row_printing import address_pattern, translated


def account_rows(rows):
    """The table body's rows for AccountRows (services/accounts/accounts.py); no rows: one line saying so."""
    if not rows:
        nobody = translated(gettext("No account matches."))
        return Markup(f'\n<tr><td colspan="4">{nobody}</td></tr>\n')
    detail_link = address_pattern("admin_accounts.detail", "user_id")
    role_badges = {code: f'<span class="badge">{escape(str(label))}</span> ' for code, label in ROLE_LABELS.items()}
    active = translated(gettext("Active"))
    deactivated = translated(gettext("Deactivated"))
    deactivated = f'<span class="badge cancelled">{deactivated}</span>'
    parts = []
    for row in rows:
        roles = "".join(role_badges[role] for role in row.role_names)
        organization = row.organization_name
        organization = "" if organization is None else f'<small class="muted">{escape(organization)}</small>'
        parts.append(
            f'\n<tr>\n  <td><a href="{escape(detail_link % row.id)}">{escape(row.name)}</a></td>\n'
            f"  <td>{escape(row.email)}</td>\n  <td>{roles}\n      {organization}</td>\n"
            f"  <td>{active if row.is_active else deactivated}</td>\n</tr>\n"
        )
    return Markup("".join(parts))
