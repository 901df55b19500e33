"""The consent form's markup a GET shows is kept (directory._kept_consent_form, templates/directory/
_consent_form.html) per language, the client, whether the viewer may grant and the answers in force: a page
printed from what is kept is the page printed afresh, in English and Chinese; a form with errors or a 409 is
printed as it is, never kept."""

import re

import pytest

from checkup.blueprints.desk import directory
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from tests import factories

pytestmark = pytest.mark.both_dbs
TOKEN = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+')


def _page(client, person, zh=False, method="GET", data=None):
    headers = {"Accept-Language": "zh"} if zh else {}
    reply = client.open(f"/directory/clients/{person.id}/consents", method=method, data=data, headers=headers)
    return reply.status_code, TOKEN.sub(r"\1-", reply.get_data(as_text=True))


def _fresh(monkeypatch, client, person, zh=False):
    """The page printed with nothing kept (the form rendered by the page's include)."""
    with monkeypatch.context() as patch:
        patch.setattr(directory, "_kept_consent_form", lambda page, rows: None)
        return _page(client, person, zh)


@pytest.mark.parametrize("role", ["scheduler", "counselor"])
@pytest.mark.parametrize("zh", [False, True])
def test_a_kept_form_prints_as_a_fresh_one(app, client, monkeypatch, role, zh):
    app.config["WTF_CSRF_ENABLED"] = True
    factories.sign_in_directly(client, factories.make_user(role, name="Desk"))
    person, never_asked = factories.make_client(name="Qian <b>"), factories.make_client(name="Zhao")
    consents.record(None, person.id, MARKETING_EMAIL, True, "staff_paper")
    consents.record(None, person.id, SERVICE_REMINDERS, False, "unsubscribe_link")
    for who in (person, never_asked):
        assert _page(client, who, zh) == _page(client, who, zh) == _fresh(monkeypatch, client, who, zh)
    consents.record(None, person.id, MARKETING_EMAIL, False, "staff_phone")  # a new version: a new key
    status, page = _page(client, person, zh)
    assert (status, page) == _fresh(monkeypatch, client, person, zh)
    version = consents.version_of(consents.latest_rows(person.id))
    assert f'name="version" type="hidden" value="{version}"' in page


def test_error_forms_and_conflicts_are_never_kept(app, client, monkeypatch):
    factories.sign_in_directly(client, factories.make_user("scheduler", name="Desk"))
    person = factories.make_client(name="Qian")
    directory._KEPT_CONSENT_FORMS._kept.clear()
    status, page = _page(client, person, method="POST", data={"marketing_email": "y", "version": "0"})
    assert status == 422 and "field-error" in page and not directory._KEPT_CONSENT_FORMS._kept
    stale = {"source": "staff_phone", "confirmed": "y", "version": "12345"}
    status, page = _page(client, person, method="POST", data=stale)
    assert status == 409 and not directory._KEPT_CONSENT_FORMS._kept
    assert _page(client, person)[1].count("<form") == _fresh(monkeypatch, client, person)[1].count("<form")
