"""The directory's client list printed in Python (#16), byte for byte the rows templates/directory/_client_results.html
printed in its Jinja loop: 50 rows a page of seven cells each. Values are escaped as the template escaped them, the
sexes' labels translated once per page, the detail link an address pattern; tests/accounts/test_directory_rows.py
renders the old loop beside it."""

from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.core.labels import choice_label
from checkup.web.row_printing import address_pattern, translated

DASH = "—"


def client_rows(clients):
    """The list's table rows for ``clients`` (the page's items: name, sex, birth_date, national_id_masked, phone,
    organization, employee_no); none: the one row saying so."""
    if not clients:
        nobody = translated(gettext("No client matches."))
        return Markup(f'\n  <tr><td colspan="7">{nobody}</td></tr>\n  ')
    detail = address_pattern("directory.client_detail", "client_id")
    sexes = {sex: escape(str(choice_label("sex", sex))) for sex in ("male", "female")}
    parts = []
    for c in clients:
        sex = sexes.get(c.sex)
        if sex is None:
            sex = escape(choice_label("sex", c.sex))
        organization = c.organization
        parts.append(
            f"""
  <tr>
    <td><a href="{escape(detail % c.id)}">{escape(c.name)}</a></td>
    <td>{sex}</td>
    <td>{escape(c.birth_date.isoformat())}</td>
    <td><span class="directory-masked">{escape(c.national_id_masked or DASH)}</span></td>
    <td>{escape(c.phone or DASH)}</td>
    <td>{escape(organization.name) if organization else DASH}</td>
    <td>{escape(c.employee_no or DASH)}</td>
  </tr>
  """
        )
    return Markup("".join(parts))
