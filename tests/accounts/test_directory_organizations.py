"""Organizations: list, search, filter, detail, create and edit, with their validation rules."""

import json
import re

import pytest

from checkup.models import AuditEvent, Organization
from tests.factories import make_client, make_organization, make_user, sign_in_directly

pytestmark = pytest.mark.both_dbs

GOOD = {
    "name": "Acme Ltd",
    "address": "上海市浦东新区世纪大道100号",
    "phone": "021-5555 1234",
    "fax": "021-5555 1235",
    "website": "https://acme.example.com/about",
    "email": "HR@Acme.example.com",
    "manager": "Mr Chen",
    "business_scope": "Precision tools",
    "employee_count": "1200",
    "health_contact": "Ms Li",
    "relationship_notes": "Annual checkup every May",
    "size_tier": "large",
    "value_tier": "vip",
    "account_manager": "Xu Min",
}


@pytest.fixture
def scheduler(client, make_user):
    return sign_in_directly(client, make_user("scheduler"))


def _detail(event):
    return json.loads(event.detail)


def test_creating_an_organization_saves_every_field_and_audits_it(client, scheduler):
    response = client.post("/directory/organizations/new", data=GOOD)
    assert response.status_code == 303
    org = Organization.get()
    assert response.headers["Location"] == f"/directory/organizations/{org.id}"
    assert (org.name, org.employee_count, org.size_tier, org.value_tier, org.email) == (
        "Acme Ltd",
        1200,
        "large",
        "vip",
        "hr@acme.example.com",
    )
    event = AuditEvent.get(AuditEvent.action == "directory.organization_created")
    assert event.user_id == scheduler.id and event.object_id == str(org.id) and "website" in _detail(event)["fields"]


def test_detail_shows_every_field_the_clients_on_file_and_hr_contacts(client, scheduler):
    client.post("/directory/organizations/new", data=GOOD)
    org = Organization.get()
    make_client(name="王芳", organization=org)
    make_client(name="李娜", organization=org)
    make_client(name="Elsewhere")
    make_user("hr", organization=org, name="Hu Rong", email="hu.rong@acme.example.com", phone="13812345678")
    make_user("hr", organization=org, name="Gone Away", email="gone@acme.example.com", is_active=False)
    html = client.get(f"/directory/organizations/{org.id}").get_data(as_text=True)
    for shown in (
        "Acme Ltd",
        "上海市浦东新区世纪大道100号",
        "021-5555 1234",
        "021-5555 1235",
        "Mr Chen",
        "Precision tools",
        "1200",
        "Ms Li",
        "Annual checkup every May",
        "Large",
        "VIP",
        "Xu Min",
        "hr@acme.example.com",
        'href="https://acme.example.com/about"',
        "Hu Rong",
        "hu.rong@acme.example.com",
    ):
        assert shown in html, shown
    assert re.search(r"Clients on file</dt>\s*<dd>2\b", html)
    assert "13812345678" not in html and "Gone Away" not in html
    assert f'href="/directory/clients?org={org.id}"' in html


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "This field is required."),
        ("name", "   ", "This field is required."),
        ("name", "x" * 201, "Use at most 200 characters."),
        ("address", "x" * 301, "Use at most 300 characters."),
        ("email", "hr-at-acme", "Enter a valid email address."),
        ("website", "javascript:alert(1)", "starting with http:// or https://"),
        ("website", "ftp://acme.example.com", "starting with http:// or https://"),
        ("website", "www.acme.example.com", "starting with http:// or https://"),
        ("website", "http://[::1", "starting with http:// or https://"),
        ("website", "https://" + "a" * 200 + ".com", "Use at most 200 characters."),
        ("phone", "call us", "Enter a phone number"),
        ("fax", "12", "Enter a phone number"),
        ("manager", "x" * 101, "Use at most 100 characters."),
        ("business_scope", "x" * 4001, "Use at most 4000 characters."),
        ("employee_count", "-1", "Enter a whole number from 0 to 10000000."),
        ("employee_count", "10000001", "Enter a whole number from 0 to 10000000."),
        ("employee_count", "99999999999999999999999", "Enter a whole number from 0 to 10000000."),
        ("employee_count", "many", "Not a valid integer value."),
        ("employee_count", "12.5", "Not a valid integer value."),
        ("health_contact", "x" * 101, "Use at most 100 characters."),
        ("relationship_notes", "x" * 4001, "Use at most 4000 characters."),
        ("size_tier", "huge", "Not a valid choice"),
        ("value_tier", "gold", "Not a valid choice"),
        ("account_manager", "x" * 101, "Use at most 100 characters."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_written(client, scheduler, field, value, message):
    response = client.post("/directory/organizations/new", data=dict(GOOD, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and f'id="{field}-error"' in html
    assert Organization.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action.startswith("directory.")).count() == 0


def test_optional_fields_may_be_left_empty(client, scheduler):
    data = {name: "" for name in GOOD} | {"name": "Tiny Co", "size_tier": "small", "value_tier": "general"}
    assert client.post("/directory/organizations/new", data=data).status_code == 303
    org = Organization.get()
    assert org.employee_count is None and org.website == "" and org.size_tier == "small"
    assert client.get(f"/directory/organizations/{org.id}").status_code == 200


def test_names_are_unique_whatever_their_case(client, scheduler):
    make_organization("Acme Ltd")
    response = client.post("/directory/organizations/new", data=dict(GOOD, name="  ACME ltd "))
    assert response.status_code == 422 and "already on file" in response.get_data(as_text=True)
    assert Organization.select().count() == 1


def test_editing_saves_changes_and_audits_the_changed_field_names(client, scheduler):
    org = make_organization("Acme Ltd", size_tier="medium", employee_count=10)
    page = client.get(f"/directory/organizations/{org.id}/edit").get_data(as_text=True)
    assert 'value="Acme Ltd"' in page and 'value="10"' in page
    data = {name: getattr(org, name) if getattr(org, name) is not None else "" for name in GOOD}
    data.update(size_tier="large", employee_count="2500", name="acme ltd")  # a change of case is not a clash
    assert client.post(f"/directory/organizations/{org.id}/edit", data=data).status_code == 303
    saved = Organization.get_by_id(org.id)
    assert (saved.name, saved.size_tier, saved.employee_count) == ("acme ltd", "large", 2500)
    event = AuditEvent.get(AuditEvent.action == "directory.organization_updated")
    assert _detail(event)["fields"] == ["employee_count", "name", "size_tier"]


def test_renaming_onto_another_organization_is_refused(client, scheduler):
    make_organization("Beta Corp")
    org = make_organization("Acme Ltd")
    response = client.post(f"/directory/organizations/{org.id}/edit", data=dict(GOOD, name="BETA CORP"))
    assert response.status_code == 422 and "already on file" in response.get_data(as_text=True)
    assert Organization.get_by_id(org.id).name == "Acme Ltd"


def test_unknown_organizations_are_404(client, scheduler):
    for url in (
        "/directory/organizations/4242",
        "/directory/organizations/4242/edit",
        "/directory/organizations/99999999999999999999",
    ):
        assert client.get(url).status_code == 404
    assert client.post("/directory/organizations/4242/edit", data=GOOD).status_code == 404


def _names(response):
    html = response.get_data(as_text=True)
    return {name for name in ("Acme Ltd", "Beta Corp", "Gamma 100%") if name in html}


@pytest.fixture
def companies():
    acme = make_organization("Acme Ltd", size_tier="large", value_tier="vip")
    make_organization("Beta Corp", size_tier="small", value_tier="general")
    make_organization("Gamma 100%", size_tier="large", value_tier="important")
    make_client(name="王芳", organization=acme)
    return acme


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"q": "acme"}, {"Acme Ltd"}),
        ({"q": "100%"}, {"Gamma 100%"}),
        ({"q": "%"}, {"Gamma 100%"}),
        ({"size": "large"}, {"Acme Ltd", "Gamma 100%"}),
        ({"value": "general"}, {"Beta Corp"}),
        ({"size": "large", "value": "vip"}, {"Acme Ltd"}),
        ({"size": "huge"}, {"Acme Ltd", "Beta Corp", "Gamma 100%"}),
        ({"q": "x" * 5000}, set()),
        ({"page": "abc"}, {"Acme Ltd", "Beta Corp", "Gamma 100%"}),
        ({"page": "-5"}, {"Acme Ltd", "Beta Corp", "Gamma 100%"}),
    ],
)
def test_list_search_and_filters(client, scheduler, companies, query, expected):
    response = client.get("/directory/organizations", query_string=query)
    assert response.status_code == 200 and _names(response) == expected


def test_list_shows_tiers_and_clients_on_file(client, scheduler, companies):
    html = client.get("/directory/organizations", query_string={"q": "Acme"}).get_data(as_text=True)
    assert "Large" in html and "VIP" in html and re.search(r'<td class="num">1</td>\s*</tr>', html)


def test_htmx_gets_only_the_results_fragment(client, scheduler, companies):
    page = client.get("/directory/organizations").get_data(as_text=True)
    assert "<html" in page and 'hx-push-url="true"' in page and 'hx-trigger="search, keyup delay:200ms changed"' in page
    fragment = client.get("/directory/organizations?q=beta", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "<form" not in fragment and "Beta Corp" in fragment


def test_the_list_runs_a_fixed_number_of_queries_whatever_its_length(client, scheduler, count_queries):
    for n in range(3):
        make_client(organization=make_organization(f"Org A{n}"))
    with count_queries() as small:
        client.get("/directory/organizations")
    for n in range(27):
        make_client(organization=make_organization(f"Org B{n}"))
    with count_queries() as large:
        assert client.get("/directory/organizations").get_data(as_text=True).count("/directory/organizations/") >= 30
    assert small.count == large.count
