"""The weekly template's blank form (a GET) is printed once per language, day and active resources and kept
(blueprints/desk/capacity.py, #16): each request still gets its own CSRF token, the page is the one the form
printed afresh makes, and a changed resource, another language or another day prints it anew."""

import re

import pytest
from flask import render_template
from flask_babel import force_locale

from checkup.blueprints.desk import capacity as capacity_views
from checkup.core import clock
from checkup.core.i18n import localized
from checkup.forms.capacity import template_form
from checkup.models import Resource
from checkup.services.catalog import catalog
from tests import factories

pytestmark = pytest.mark.both_dbs
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def http(app, client, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    capacity_views._BLANK_TEMPLATE_FORMS.clear()
    factories.sign_in_directly(client, make_user("scheduler"))
    return client


def _form_part(page):
    start = page.index('<form method="post" action="/desk/capacity/template"')
    return page[start : page.index("</form>", start) + 7]


def _fresh_form(app, language):
    """The form as capacity/_template_form.html prints it from a WTForms form built now."""
    with app.test_request_context("/desk/capacity/template"), force_locale(language):
        resources = catalog.resources(active_only=True)
        labels = {r.id: f"{r.code} · {localized(r)}" for r in resources}
        form = template_form(resources, labels, today=clock.today())
        return TOKEN.sub("-", render_template("capacity/_template_form.html", form=form))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_kept_form_is_the_fresh_one_with_each_request_its_own_token(app, http, client, language):
    factories.make_resource("CT", capacity=7)
    factories.make_resource("MR", capacity=3, name_zh="磁共振 <b>")
    headers = {"Accept-Language": language}
    first = http.get("/desk/capacity/template", headers=headers).get_data(as_text=True)
    assert len(capacity_views._BLANK_TEMPLATE_FORMS) == 1
    second = http.get("/desk/capacity/template", headers=headers).get_data(as_text=True)
    assert TOKEN.sub("-", first) == TOKEN.sub("-", second)
    assert TOKEN.search(second) and TOKEN.sub("-", _form_part(second)) == _fresh_form(app, language)
    # the kept form carries the request's own token (the one the page's other forms carry), and another
    # session gets another
    assert TOKEN.search(_form_part(second)).group(1) in re.findall(r'data-csrf-token="([^"]+)"', second)
    other = app.test_client()
    factories.sign_in_directly(other, factories.make_user("scheduler"))
    third = other.get("/desk/capacity/template", headers=headers).get_data(as_text=True)
    assert TOKEN.search(_form_part(third)).group(1) != TOKEN.search(_form_part(second)).group(1)
    assert TOKEN.sub("-", _form_part(third)) == TOKEN.sub("-", _form_part(second))


def test_a_changed_resource_or_language_prints_the_form_anew(app, http):
    ct = factories.make_resource("CT", capacity=7)
    page = http.get("/desk/capacity/template").get_data(as_text=True)
    assert re.search(rf'name="resource_{ct.id}"[^>]*value="7"', page)
    Resource.update(daily_capacity=9).where(Resource.id == ct.id).execute()
    page = http.get("/desk/capacity/template").get_data(as_text=True)
    assert re.search(rf'name="resource_{ct.id}"[^>]*value="9"', page)
    Resource.update(active=False).where(Resource.id == ct.id).execute()
    page = http.get("/desk/capacity/template").get_data(as_text=True)
    assert f"resource_{ct.id}" not in page
    zh = http.get("/desk/capacity/template", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert _form_part(zh) != _form_part(page)
    assert len(capacity_views._BLANK_TEMPLATE_FORMS) == 4


def test_without_csrf_the_form_is_printed_each_time_and_not_kept(app, client, make_user):
    app.config["WTF_CSRF_ENABLED"] = False
    capacity_views._BLANK_TEMPLATE_FORMS.clear()
    factories.sign_in_directly(client, make_user("scheduler"))
    page = client.get("/desk/capacity/template").get_data(as_text=True)
    assert 'name="slots-0-start"' in page and "csrf_token" not in _form_part(page)
    assert capacity_views._BLANK_TEMPLATE_FORMS == {}
