"""The directory's client list printed in Python (blueprints/desk/directory_rows.py) is what the loop of
templates/directory/_client_results.html printed, byte for byte: both sexes and a code the labels do not know,
with and without an organization, a masked ID number, a phone and an employee number, markup in every text, the
plain rows of the unsearched list and the model rows of a search, no rows at all; in English and Chinese."""

import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.desk.directory_rows import client_rows
from checkup.models import Client, Organization
from checkup.services.accounts.clients import ListedClient

# templates/directory/_client_results.html's rows as they were before they moved to Python (the template's loop)
OLD = """<tbody>
  {#- the rows' address is a pattern and the sexes are translated once per page (url_for costs ~10 µs a call) #}
  {%- set some_id = 987654321 %}
  {%- set detail_link = url_for('directory.client_detail', client_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d') %}
  {%- set sex_labels = {'male': choice_label('sex', 'male')|string, 'female': choice_label('sex', 'female')|string} %}
  {% for c in result.items %}
  <tr>
    <td><a href="{{ detail_link % c.id }}">{{ c.name }}</a></td>
    <td>{{ sex_labels[c.sex] if c.sex in sex_labels else choice_label('sex', c.sex) }}</td>
    <td>{{ c.birth_date.isoformat() }}</td>
    <td><span class="directory-masked">{{ c.national_id_masked or '—' }}</span></td>
    <td>{{ c.phone or '—' }}</td>
    <td>{{ c.organization.name if c.organization else '—' }}</td>
    <td>{{ c.employee_no or '—' }}</td>
  </tr>
  {% else %}
  <tr><td colspan="7">{{ _("No client matches.") }}</td></tr>
  {% endfor %}
  </tbody>"""
# the same place now
NEW = """<tbody>
  {#- the rows are printed in Python: blueprints/desk/directory_rows.py #}
  {{ client_rows(result.items) }}
  </tbody>"""


class _Result:
    def __init__(self, items):
        self.items = items


def _listed(number, sex, with_organization):
    row = ListedClient(
        (
            1000 + number,
            f"Ann <{sex}> & \"Co\" 'x'",
            sex,
            datetime.date(1980, 1, 1) + datetime.timedelta(days=number),
            None,
            "138<0>" if number % 2 else "",
            7 if with_organization else None,
            f"E-{number}<b>" if number % 3 else "",
            7 if with_organization else None,
            "Acme & <Sons>" if with_organization else None,
        )
    )
    row.national_id_masked = "110101**********1X" if number % 2 else ""
    return row


def _rows():
    rows = [_listed(n, sex, n % 2 == 0) for n, sex in enumerate(("male", "female", "other", "male", "female"))]
    rows.append(_listed(9, "female", True))
    rows[-1].name, rows[-1].organization.name = "李 明", "生产部"
    # a search's rows are model objects (services/accounts/clients._listed read by peewee)
    model = Client(id=77, name="Bo <i>", sex="male", birth_date=datetime.date(1990, 5, 6), phone="", employee_no="9")
    model.national_id_masked = ""
    rows.append(model)
    with_org = Client(id=78, name="Cy", sex="female", birth_date=datetime.date(1991, 5, 6), phone="1", employee_no="")
    with_org.organization = Organization(id=5, name="Org <5>")
    with_org.national_id_masked = "x"
    rows.append(with_org)
    return rows


def _render(app, language, template, rows):
    with app.test_request_context("/"), force_locale(language):
        return render_template_string(template, result=_Result(rows), client_rows=client_rows)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    rows = _rows()
    old = _render(app, language, OLD, rows)
    new = _render(app, language, NEW, rows)
    assert new == old
    assert "Ann &lt;male&gt; &amp; &#34;Co&#34; &#39;x&#39;" in new and 'href="/directory/clients/1000"' in new
    assert "Acme &amp; &lt;Sons&gt;" in new and "Org &lt;5&gt;" in new and "<td>other</td>" in new


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_rows_as_the_template_printed_them(app, language):
    old = _render(app, language, OLD, [])
    new = _render(app, language, NEW, [])
    assert new == old
    assert 'colspan="7"' in new
