"""The staff consent form a GET shows is built once per language, answers and version and kept
(blueprints/desk/directory.py): every page still prints its own request's CSRF token and the answers and
version in force now, never those of the page that built the kept form."""

import re

import pytest

from checkup.models.care import MARKETING_EMAIL
from checkup.services.accounts import consents
from tests import factories

pytestmark = pytest.mark.both_dbs
TOKEN = re.compile(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">')


def _page(app, client, person):
    return client.get(f"/directory/clients/{person.id}/consents").get_data(as_text=True)


def test_each_page_prints_its_own_token_and_the_answers_in_force(app, client):
    app.config["WTF_CSRF_ENABLED"] = True  # the tests' app turns it off; the center's has it on
    desk = factories.make_user("scheduler", name="Desk")
    person = factories.make_client(name="Qian")
    factories.sign_in_directly(client, desk)
    first = _page(app, client, person)
    other = app.test_client()
    factories.sign_in_directly(other, factories.make_user("scheduler", name="Desk"))
    second = _page(app, other, person)  # from the kept form
    tokens = TOKEN.findall(first), TOKEN.findall(second)
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]
    assert first.replace(tokens[0][0], "-") == second.replace(tokens[1][0], "-")  # the same page but the token
    assert 'name="version" type="hidden" value="0"' in second and " checked" not in second.split("<fieldset>")[1][:900]
    consents.record(None, person.id, MARKETING_EMAIL, True, "staff_paper")
    third = _page(app, client, person)
    version = consents.version_of(consents.latest_rows(person.id))
    assert f'name="version" type="hidden" value="{version}"' in third and version != 0
    box = re.search(r'<input[^>]*name="marketing_email"[^>]*>', third).group(0)
    assert " checked" in box and TOKEN.findall(third) == tokens[0]  # the first session's own token again
