"""A contract page's content as a GET prints it is kept per language and what it shows, HR's page too
(blueprints/desk/contracts.py, #16): the kept one is the freshly printed one, with each request's own CSRF token;
a change shows at once; a page printed with an error or a form sent back is printed as it is, never kept."""

import datetime
import re

import pytest

from checkup.blueprints.desk import contracts as contract_pages
from checkup.core import clock
from checkup.models import ContractReservation, GroupContract, Slot
from checkup.models.base import utcnow
from tests import factories

pytestmark = pytest.mark.both_dbs

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _content(page):
    return TOKEN.sub("-", page[page.index('<p class="breadcrumb">') : page.index("</main>")])


def _contract(org, state):
    """A contract in ``state``: a draft without or with categories, an active one with reservations, a closed one."""
    if state == "empty draft":
        return factories.make_contract(org, status="draft", categories=[], notes="<b>Ask HR</b>")
    if state == "draft":
        return factories.make_contract(
            org, status="draft", categories=["Managers", {"label": "Women 40+", "sex": "female", "age_min": 40}]
        )
    contract = factories.make_contract(org, status=state, notes="Two floors & a canteen")
    if state == "active":
        day = clock.today() + datetime.timedelta(days=10)
        for hour, released in ((8, None), (9, utcnow())):
            slot = Slot.create(day=day, start_time=datetime.time(hour), end_time=datetime.time(hour + 1), capacity=5)
            ContractReservation.create(contract=contract, slot=slot, places=2, remaining=2, released_at=released)
    return contract


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("state", ["empty draft", "draft", "active", "closed"])
@pytest.mark.parametrize("area", ["desk", "hr"])
def test_kept_content_is_the_fresh_one_with_each_session_its_own_token(app, client, language, state, area):
    app.config["WTF_CSRF_ENABLED"] = True
    org = factories.make_organization("Acme <Manufacturing>")
    contract = _contract(org, state)
    role = {"desk": "scheduler", "hr": "hr"}[area]
    factories.sign_in_directly(client, factories.make_user(role, organization=org if area == "hr" else None))
    path, headers = f"/{area}/contracts/{contract.id}", {"Accept-Language": language}
    contract_pages._KEPT_BODIES._kept.clear()
    fresh = client.get(path, headers=headers).get_data(as_text=True)  # printed now
    kept = client.get(path, headers=headers).get_data(as_text=True)  # the kept one, filled with the token
    assert _content(kept) == _content(fresh) and kept == fresh
    tokens = set(TOKEN.findall(kept))  # the page's own forms' and the content's: one token, the request's
    assert len(tokens) == 1
    content = kept[kept.index('<p class="breadcrumb">') : kept.index("</main>")]
    forms = {"empty draft": 1, "draft": 3, "active": 2 if area == "desk" else 0, "closed": 0}
    assert len(TOKEN.findall(content)) == forms[state]
    other = app.test_client()
    factories.sign_in_directly(other, factories.make_user(role, organization=org if area == "hr" else None))
    theirs = other.get(path, headers=headers).get_data(as_text=True)
    assert set(TOKEN.findall(theirs)).isdisjoint(tokens) and _content(theirs) == _content(kept)
    if state == "draft":
        assert ("Managers" in kept) and ("Edit" in kept or "编辑" in kept)


def test_a_change_or_another_language_shows_at_once(client, org_staff):
    org, _staff = org_staff
    contract = _contract(org, "active")
    path = f"/desk/contracts/{contract.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Two floors &amp; a canteen" in page and page.count("Still reserved") == 1
    GroupContract.update(notes="One floor").where(GroupContract.id == contract.id).execute()
    ContractReservation.update(released_at=None).execute()
    page = client.get(path).get_data(as_text=True)
    assert "One floor" in page and "canteen" not in page and page.count("Still reserved") == 2
    zh = client.get(path, headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "One floor" in zh and "Still reserved" not in zh


def test_a_page_with_an_error_is_printed_with_it_and_not_kept(client, org_staff):
    org, _staff = org_staff
    contract = factories.make_contract(org, status="draft")
    path = f"/desk/contracts/{contract.id}"
    client.get(path)
    refused = client.post(f"{path}/activate")  # the error above, the same words in the list of what is missing
    assert refused.status_code == 422 and refused.get_data(as_text=True).count("not confirmed the categories") == 2
    assert client.get(path).get_data(as_text=True).count("not confirmed the categories") == 1
    active = factories.make_contract(org)
    path = f"/desk/contracts/{active.id}"
    client.get(path)
    unticked = client.post(f"{path}/close", data={})
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert "Tick the box" not in client.get(path).get_data(as_text=True)


@pytest.fixture
def org_staff(client):
    org = factories.make_organization("Acme")
    return org, factories.sign_in_directly(client, factories.make_user("scheduler"))
