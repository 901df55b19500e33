"""Who reaches the directory: admins and schedulers edit, counselors only read, nobody else gets in."""

import datetime

import pytest

from checkup.models import AuditEvent, Client, Organization
from tests.factories import make_client, make_organization, sign_in_directly

pytestmark = pytest.mark.both_dbs

CLIENT_DATA = {"name": "New Person", "sex": "female", "birth_date": "1985-06-01", "value_tier": "general"}
ORG_DATA = {"name": "New Org", "size_tier": "small", "value_tier": "general"}


@pytest.fixture
def records():
    org = make_organization("Acme Ltd")
    person = make_client(name="王芳", organization=org)
    return {"org": org.id, "client": person.id}


def _read_urls(ids):
    return [
        "/directory/clients",
        f"/directory/clients/{ids['client']}",
        "/directory/organizations",
        f"/directory/organizations/{ids['org']}",
    ]


def _write_urls(ids):
    return [
        "/directory/clients/new",
        f"/directory/clients/{ids['client']}/edit",
        "/directory/organizations/new",
        f"/directory/organizations/{ids['org']}/edit",
    ]


@pytest.mark.parametrize("role", ["client", "hr", "physician"])
def test_other_roles_get_403_everywhere(client, make_user, records, role):
    sign_in_directly(client, make_user(role))
    before = (Client.select().count(), Organization.select().count())
    for url in _read_urls(records) + _write_urls(records):
        assert client.get(url).status_code == 403, url
    for url in _write_urls(records):
        assert client.post(url, data=CLIENT_DATA | ORG_DATA).status_code == 403, url
    assert (Client.select().count(), Organization.select().count()) == before


def test_signed_out_visitors_are_sent_to_sign_in(client, records):
    response = client.get("/directory/clients?q=wang")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    htmx = client.get("/directory/clients", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    assert client.post("/directory/organizations/new", data=ORG_DATA).status_code == 302
    assert Organization.select().count() == 1


def test_counselors_read_and_search_but_never_edit(client, make_user, records):
    sign_in_directly(client, make_user("counselor"))
    for url in _read_urls(records):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "/edit" not in html and "/new" not in html, url
    for url in _write_urls(records):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data=CLIENT_DATA | ORG_DATA).status_code == 403, url
    assert Client.get_by_id(records["client"]).name == "王芳" and Organization.select().count() == 1
    assert (
        not AuditEvent.select()
        .where(
            AuditEvent.action.in_(
                [
                    "directory.client_created",
                    "directory.client_updated",
                    "directory.organization_created",
                    "directory.organization_updated",
                ]
            )
        )
        .exists()
    )


def test_a_counselor_viewing_a_client_is_audited(client, make_user, records):
    counselor = sign_in_directly(client, make_user("counselor"))
    client.get(f"/directory/clients/{records['client']}")
    event = AuditEvent.get(AuditEvent.action == "directory.client_viewed")
    assert event.user_id == counselor.id and event.object_type == "client"


@pytest.mark.parametrize("roles", [("admin",), ("scheduler",), ("counselor", "scheduler")])
def test_admins_and_schedulers_see_edit_links_and_can_write(client, make_user, records, roles):
    sign_in_directly(client, make_user(*roles))
    assert f"/directory/clients/{records['client']}/edit" in client.get(
        f"/directory/clients/{records['client']}"
    ).get_data(as_text=True)
    assert f"/directory/organizations/{records['org']}/edit" in client.get(
        f"/directory/organizations/{records['org']}"
    ).get_data(as_text=True)
    assert "/directory/clients/new" in client.get("/directory/clients").get_data(as_text=True)
    assert "/directory/organizations/new" in client.get("/directory/organizations").get_data(as_text=True)
    for url in _write_urls(records):
        assert client.get(url).status_code == 200, url
    assert client.post("/directory/clients/new", data=CLIENT_DATA).status_code == 303
    assert client.post("/directory/organizations/new", data=ORG_DATA).status_code == 303


@pytest.mark.parametrize(
    "url",
    [
        "/directory/clients/0",
        "/directory/clients/4242",
        "/directory/clients/4242/edit",
        "/directory/clients/99999999999999999999",
        "/directory/clients/abc",
        "/directory/organizations/4242",
        "/directory/organizations/0/edit",
        "/directory/organizations/99999999999999999999/edit",
        "/directory/nowhere",
    ],
)
def test_unknown_records_are_a_404_page(client, make_user, url):
    sign_in_directly(client, make_user("admin"))
    response = client.get(url)
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)


def test_an_unknown_client_view_is_not_audited(client, make_user):
    sign_in_directly(client, make_user("admin"))
    client.get("/directory/clients/4242")
    assert not AuditEvent.select().where(AuditEvent.action == "directory.client_viewed").exists()


def test_navigation_offers_the_directory_to_staff_who_may_use_it(client, make_user):
    sign_in_directly(client, make_user("counselor"))
    html = client.get("/directory/clients").get_data(as_text=True)
    assert 'href="/directory/clients" aria-current="page"' in html and 'href="/directory/organizations"' in html


def test_forms_carry_labels_for_every_input_and_scoped_headers(client, make_user, records):
    import re

    sign_in_directly(client, make_user("admin"))
    for url in [
        "/directory/clients/new",
        f"/directory/clients/{records['client']}/edit",
        "/directory/organizations/new",
        f"/directory/organizations/{records['org']}/edit",
        "/directory/clients",
        "/directory/organizations",
    ]:
        html = client.get(url).get_data(as_text=True)
        main = html.split("<main", 1)[1]
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', main):
            assert f'for="{input_id}"' in main, (url, input_id)
        assert "<th>" not in main
    html = client.get("/directory/clients").get_data(as_text=True)
    assert html.count('<th scope="col">') >= 7


def test_birth_dates_before_1900_are_refused(client, make_user):
    sign_in_directly(client, make_user("scheduler"))
    response = client.post("/directory/clients/new", data=dict(CLIENT_DATA, birth_date="1899-12-31"))
    assert response.status_code == 422 and Client.select().count() == 0
    assert datetime.date.today().year > 1900
