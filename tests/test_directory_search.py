"""The client list: active search, exact lookup by full ID, filters, paging, fragments, query counts."""
import datetime
import re

import pytest

from checkup.models import AuditEvent
from tests.factories import make_client, make_client_with_id, make_organization, national_id_for, sign_in_directly

pytestmark = pytest.mark.both_dbs

BORN = datetime.date(1988, 8, 8)
NUMBER = national_id_for(BORN, "female", sequence=31)
RECORD_LINK = re.compile(r'href="/directory/clients/[0-9]+"')


@pytest.fixture
def staff(client, make_user):
    return sign_in_directly(client, make_user("scheduler"))


def _names(response):
    html = response.get_data(as_text=True)
    return {name for name in ("王芳", "李娜", "张伟", "Zhou Jie") if name in html}


@pytest.fixture
def people():
    acme = make_organization("Acme Ltd")
    make_client_with_id(NUMBER, name="王芳", sex="female", birth_date=BORN, phone="13800138000",
                        email="wang.fang@example.com", organization=acme, employee_no="A-77")
    make_client(name="李娜", phone="13911112222", email="lina@example.org")
    make_client(name="张伟", sex="male", phone="13700000000", email="zw@example.net", organization=acme,
                employee_no="A-78")
    make_client(name="Zhou Jie", sex="male", email="zhou@example.com")
    return acme


@pytest.mark.parametrize("query,expected", [
    ("王", {"王芳"}), ("zhou", {"Zhou Jie"}), ("1391111", {"李娜"}), ("LINA@EXAMPLE", {"李娜"}),
    ("A-7", {"王芳", "张伟"}), ("example.com", {"王芳", "Zhou Jie"}), ("", {"王芳", "李娜", "张伟", "Zhou Jie"}),
    ("nobody", set()), ("%", set()), ("_", set()), ("\\", set()),
])
def test_search_matches_name_phone_email_and_employee_number(client, staff, people, query, expected):
    response = client.get("/directory/clients", query_string={"q": query})
    assert response.status_code == 200 and _names(response) == expected


def test_organization_filter(client, staff, people):
    response = client.get("/directory/clients", query_string={"org": people.id})
    assert _names(response) == {"王芳", "张伟"}
    both = client.get("/directory/clients", query_string={"org": people.id, "q": "张"})
    assert _names(both) == {"张伟"}


def test_a_full_id_finds_exactly_its_holder_and_leaves_the_url_at_once(client, staff, people):
    response = client.get("/directory/clients", query_string={"q": NUMBER})
    assert response.status_code == 303 and NUMBER not in response.headers["Location"]
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert _names(page) == {"王芳"} and "110105**********" in html and NUMBER not in html
    lookup = AuditEvent.get(AuditEvent.action == "directory.client_looked_up_by_national_id")
    assert lookup.user_id == staff.id and NUMBER not in lookup.detail


def test_an_htmx_lookup_by_id_swaps_the_fragment_and_pushes_a_clean_url(client, staff, people):
    response = client.get("/directory/clients", query_string={"q": NUMBER.lower()}, headers={"HX-Request": "true"},
                          follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "<html" not in html and _names(response) == {"王芳"}
    assert response.headers["HX-Push-Url"].startswith("/directory/clients?by_id=1")


def test_part_of_an_id_or_a_wrong_one_finds_nobody(client, staff, people):
    assert _names(client.get("/directory/clients", query_string={"q": NUMBER[:10]})) == set()
    other = national_id_for(BORN, "female", sequence=32)
    assert _names(client.get("/directory/clients", query_string={"q": other}, follow_redirects=True)) == set()


def test_a_stale_lookup_link_just_lists_everyone(client, staff, people):
    assert _names(client.get("/directory/clients?by_id=1")) == {"王芳", "李娜", "张伟", "Zhou Jie"}


def test_the_list_masks_every_id(client, staff, people):
    html = client.get("/directory/clients").get_data(as_text=True)
    assert "110105**********" in html and NUMBER not in html


def test_htmx_gets_the_results_fragment_and_a_plain_request_the_whole_page(client, staff, people):
    page = client.get("/directory/clients", query_string={"q": "王"})
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="client-results"' in html and 'hx-trigger="search, keyup delay:200ms changed"' in html
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/directory/clients", query_string={"q": "王"}, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<form" not in body and "王芳" in body and "<table" in body
    boosted = client.get("/directory/clients", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_fifty_clients_a_page_with_working_pager_links(client, staff):
    for n in range(51):
        make_client(name=f"Client {n:02d}")
    first = client.get("/directory/clients").get_data(as_text=True)
    assert len(RECORD_LINK.findall(first)) == 50 and "Client 49" in first and "Client 50" not in first
    assert "Page 1 of 2" in first and 'href="/directory/clients?page=2"' in first
    second = client.get("/directory/clients?page=2").get_data(as_text=True)
    assert "Client 50" in second and len(RECORD_LINK.findall(second)) == 1 and "Page 2 of 2" in second


def test_pager_links_keep_the_filters(client, staff, people):
    for n in range(51):
        make_client(name=f"Acme {n:02d}", organization=people)
    html = client.get("/directory/clients", query_string={"q": "Acme", "org": people.id}).get_data(as_text=True)
    assert f"/directory/clients?page=2&amp;q=Acme&amp;org={people.id}" in html


@pytest.mark.parametrize("query", ["page=abc", "page=-5", "page=0", "page=99999", "page=99999999999999999999",
                                   "page=%C2%B2", "org=xyz", "org=-1", "org=99999999999999999999", "org=0",
                                   "q=" + "x" * 5000, "by_id=1&page=2", "q=%E2%80%AE"])
def test_odd_query_strings_never_break_the_list(client, staff, people, query):
    response = client.get(f"/directory/clients?{query}")
    assert response.status_code == 200
    assert "Page" in response.get_data(as_text=True) or "found" in response.get_data(as_text=True)


def test_nul_bytes_in_a_search_are_refused_cleanly(client, staff, people):
    assert client.get("/directory/clients?q=a%00b").status_code == 400


def _fill(n, organization, start=0):
    for i in range(start, start + n):
        make_client_with_id(national_id_for(BORN, "female", sequence=i), name=f"Person {i:02d}",
                            organization=organization if i % 2 else None)


def test_the_list_runs_a_fixed_number_of_queries_whatever_its_length(client, staff, count_queries):
    acme = make_organization("Acme Ltd")
    _fill(3, acme)
    with count_queries() as small:
        assert client.get("/directory/clients").status_code == 200
    _fill(27, acme, start=3)
    with count_queries() as large:
        assert client.get("/directory/clients").get_data(as_text=True).count("Person ") == 30
    assert small.count == large.count


def test_the_fragment_runs_a_fixed_number_of_queries_too(client, staff, count_queries):
    acme = make_organization("Acme Ltd")
    _fill(3, acme)
    with count_queries() as small:
        client.get("/directory/clients?q=Person", headers={"HX-Request": "true"})
    for i in range(27):
        make_client(name=f"Person x{i}", organization=acme)
    with count_queries() as large:
        client.get("/directory/clients?q=Person", headers={"HX-Request": "true"})
    assert small.count == large.count


def test_quick_search_on_the_desk_is_a_plain_get_form_to_the_client_list(client, staff, people):
    html = client.get("/desk").get_data(as_text=True)
    assert 'action="/directory/clients"' in html and 'method="get"' in html and 'name="q"' in html
    assert 'for="quick-q"' in html
    result = client.get("/directory/clients?q=%E6%9D%8E")  # what the form sends for 李
    assert _names(result) == {"李娜"}
