"""The client list: active search (POSTed, never in an address), exact lookup by full ID, filters, paging,
fragments, query counts."""

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


def _search(client, headers=None, **fields):
    """What the search form sends: a POST (the term never goes into an address)."""
    return client.post("/directory/clients", data=fields, headers=headers)


def _names(response):
    html = response.get_data(as_text=True)
    return {name for name in ("王芳", "李娜", "张伟", "Zhou Jie") if name in html}


@pytest.fixture
def people():
    acme = make_organization("Acme Ltd")
    make_client_with_id(
        NUMBER,
        name="王芳",
        sex="female",
        birth_date=BORN,
        phone="13800138000",
        email="wang.fang@example.com",
        organization=acme,
        employee_no="A-77",
    )
    make_client(name="李娜", phone="13911112222", email="lina@example.org")
    make_client(
        name="张伟", sex="male", phone="13700000000", email="zw@example.net", organization=acme, employee_no="A-78"
    )
    make_client(name="Zhou Jie", sex="male", email="zhou@example.com")
    return acme


@pytest.mark.parametrize(
    "query,expected",
    [
        ("王", {"王芳"}),
        ("zhou", {"Zhou Jie"}),
        ("1391111", {"李娜"}),
        ("LINA@EXAMPLE", {"李娜"}),
        ("A-7", {"王芳", "张伟"}),
        ("example.com", {"王芳", "Zhou Jie"}),
        ("", {"王芳", "李娜", "张伟", "Zhou Jie"}),
        ("nobody", set()),
        ("%", set()),
        ("_", set()),
        ("\\", set()),
    ],
)
def test_search_matches_name_phone_email_and_employee_number(client, staff, people, query, expected):
    response = _search(client, q=query)
    assert response.status_code == 200 and _names(response) == expected


def test_organization_filter(client, staff, people):
    response = client.get("/directory/clients", query_string={"org": people.id})
    assert _names(response) == {"王芳", "张伟"}
    both = _search(client, org=people.id, q="张")
    assert _names(both) == {"张伟"}


def test_a_full_id_finds_exactly_its_holder_and_never_enters_an_address(client, staff, people):
    page = _search(client, q=NUMBER)
    assert page.status_code == 200 and "Location" not in page.headers
    html = page.get_data(as_text=True)
    assert _names(page) == {"王芳"} and "110105**********" in html and NUMBER not in html
    lookup = AuditEvent.get(AuditEvent.action == "directory.client_looked_up_by_national_id")
    assert lookup.user_id == staff.id and NUMBER not in lookup.detail


def test_an_htmx_lookup_by_id_swaps_the_fragment_and_pushes_no_url(client, staff, people):
    response = _search(client, headers={"HX-Request": "true"}, q=NUMBER.lower())
    html = response.get_data(as_text=True)
    assert "<html" not in html and _names(response) == {"王芳"} and NUMBER not in html.upper()
    assert "HX-Push-Url" not in response.headers and "Location" not in response.headers


def test_part_of_an_id_or_a_wrong_one_finds_nobody(client, staff, people):
    assert _names(_search(client, q=NUMBER[:10])) == set()
    other = national_id_for(BORN, "female", sequence=32)
    assert _names(_search(client, q=other)) == set()


def test_a_stale_lookup_just_lists_everyone(client, staff, people):
    assert _names(client.get("/directory/clients?by_id=1")) == {"王芳", "李娜", "张伟", "Zhou Jie"}
    assert _names(_search(client, by_id="1")) == {"王芳", "李娜", "张伟", "Zhou Jie"}  # nothing in the session


def test_a_search_in_the_address_is_ignored(client, staff, people):
    assert _names(client.get("/directory/clients", query_string={"q": "王"})) == {"王芳", "李娜", "张伟", "Zhou Jie"}


def test_the_list_masks_every_id(client, staff, people):
    html = client.get("/directory/clients").get_data(as_text=True)
    assert "110105**********" in html and NUMBER not in html


def test_htmx_gets_the_results_fragment_and_a_plain_request_the_whole_page(client, staff, people):
    page = _search(client, q="王")
    html = page.get_data(as_text=True)
    assert (
        "<html" in html and 'id="client-results"' in html and 'hx-trigger="search, keyup delay:200ms changed"' in html
    )
    assert 'hx-post="/directory/clients"' in html and 'method="post"' in html and "hx-get" not in html
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = _search(client, headers={"HX-Request": "true"}, q="王")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<form" not in body and "王芳" in body and "<table" in body
    boosted = client.get("/directory/clients", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_fifty_clients_a_page_with_working_pager_links(client, staff):
    for n in range(51):
        make_client(name=f"Client {n:02d}")
    first = client.get("/directory/clients").get_data(as_text=True)
    assert len(RECORD_LINK.findall(first)) == 50 and "Client 49" in first and "Client 50" not in first
    # not counted: the page read one row more than it shows, so it knows a next page exists, not how many
    assert "Page 1<" in first and "Clients 1 to 50; more on the next page." in first
    assert 'href="/directory/clients?page=2"' in first
    second = client.get("/directory/clients?page=2").get_data(as_text=True)
    assert "Client 50" in second and len(RECORD_LINK.findall(second)) == 1 and "Page 2 of 2" in second
    assert "51 clients found." in second and 'rel="next"' not in second


def test_pager_links_keep_the_organization(client, staff, people):
    for n in range(51):
        make_client(name=f"Acme {n:02d}", organization=people)
    html = client.get("/directory/clients", query_string={"org": people.id}).get_data(as_text=True)
    assert f"/directory/clients?page=2&amp;org={people.id}" in html


def test_the_pages_of_a_search_post_the_search_again(client, staff, people):
    for n in range(51):
        make_client(name=f"Acme {n:02d}", organization=people)
    html = _search(client, q="Acme", org=people.id).get_data(as_text=True)
    assert "Page 1" in html and "?q=" not in html and "q=Acme" not in html
    pager = html[html.index('class="pager"') :]
    assert 'method="post" action="/directory/clients"' in pager and 'hx-post="/directory/clients"' in pager
    assert all(f'name="{n}" value="{v}"' in pager for n, v in (("q", "Acme"), ("org", people.id), ("page", 2)))
    second = _search(client, q="Acme", org=people.id, page="2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Acme 50" in second


def test_an_id_lookup_is_kept_by_its_hash_for_the_next_request_not_by_the_number(client, staff, people):
    _search(client, q=NUMBER)
    with client.session_transaction() as session:
        kept = str(dict(session))
    assert NUMBER not in kept.upper() and "110105**********" in kept
    again = _search(client, by_id="1", page="1")  # what a posted pager of the lookup sends
    assert _names(again) == {"王芳"} and NUMBER not in again.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-5",
        "page=0",
        "page=99999",
        "page=99999999999999999999",
        "page=%C2%B2",
        "org=xyz",
        "org=-1",
        "org=99999999999999999999",
        "org=0",
        "q=" + "x" * 5000,
        "by_id=1&page=2",
        "q=%E2%80%AE",
    ],
)
def test_odd_query_strings_never_break_the_list(client, staff, people, query):
    response = client.get(f"/directory/clients?{query}")
    assert response.status_code == 200
    assert "Page" in response.get_data(as_text=True) or "found" in response.get_data(as_text=True)


def test_nul_bytes_in_a_search_are_refused_cleanly(client, staff, people):
    assert client.get("/directory/clients?q=a%00b").status_code == 400
    assert _search(client, q="a\x00b").status_code == 400


def _fill(n, organization, start=0):
    for i in range(start, start + n):
        make_client_with_id(
            national_id_for(BORN, "female", sequence=i),
            name=f"Person {i:02d}",
            organization=organization if i % 2 else None,
        )


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
        _search(client, headers={"HX-Request": "true"}, q="Person")
    for i in range(27):
        make_client(name=f"Person x{i}", organization=acme)
    with count_queries() as large:
        _search(client, headers={"HX-Request": "true"}, q="Person")
    assert small.count == large.count


def test_quick_search_on_the_desk_is_a_plain_post_form_to_the_client_list(client, staff, people):
    html = client.get("/desk").get_data(as_text=True)
    quick = html[html.rindex("<form", 0, html.index("directory-quick-search")) :]
    quick = quick[: quick.index("</form>")]
    assert 'method="post" action="/directory/clients"' in quick and 'name="q"' in quick
    assert 'name="csrf_token"' in quick and 'for="quick-q"' in html
    result = client.post("/directory/clients", data={"q": "李"})  # what the form sends for 李
    assert _names(result) == {"李娜"}


# --- the exact-match fast path and the text search (services/accounts/client_search) -----------------


def test_a_whole_email_or_phone_number_is_looked_up_exactly(client, staff, people, count_queries):
    make_client(name="王芳芳", phone="13800138000-1", email="wang.fang@example.com.cn")
    for term in ("wang.fang@example.com", "WANG.FANG@EXAMPLE.COM", "13800138000", "138 0013 8000"):
        with count_queries() as one:
            found = _search(client, headers={"HX-Request": "true"}, q=term)
        assert _names(found) == {"王芳"}, term  # not 王芳芳, whose phone and email only contain the term
        assert "王芳芳" not in found.get_data(as_text=True)
        assert sum('FROM "client"' in q for q in one.queries) == 1  # answered by the exact lookup alone


def test_an_email_or_phone_number_on_nobody_is_searched_as_text(client, staff, people):
    make_client(name="赵强", phone="0755-13800138999")
    assert _names(_search(client, q="lina@example.org.cn")) == set()
    found = _search(client, q="13800138999").get_data(as_text=True)  # no exact holder: found inside the number
    assert "赵强" in found


def test_one_or_two_characters_match_the_start_of_the_name_only(client, staff, people):
    make_client(name="欧阳芳")
    assert _names(_search(client, q="芳")) == set()  # inside a name: needs three characters
    assert "欧阳芳" in _search(client, q="欧阳").get_data(as_text=True)
    assert _names(_search(client, q="13")) == set()  # two digits: not a phone search
    assert _names(_search(client, q="Zh")) == {"Zhou Jie"}
    assert _names(_search(client, q="zh")) == {"Zhou Jie"}  # case does not matter


def test_the_list_never_counts_the_whole_directory(client, staff, people, count_queries):
    with count_queries() as listing:
        client.get("/directory/clients")
    with count_queries() as searching:
        _search(client, headers={"HX-Request": "true"}, q="example")
    for statement in listing.queries + searching.queries:
        assert not ("COUNT(" in statement.upper() and 'FROM "client"' in statement and "LIMIT" not in statement)


def test_too_many_matches_to_sort_are_paged_by_a_plain_query_in_the_same_order(app, people, monkeypatch):
    from checkup.services.accounts import client_search, clients

    for n in range(4):
        make_client(name=f"Acme Person {n}", email=f"p{n}@acme.example")
    sorted_out = clients.search_clients("acme.example")
    monkeypatch.setattr(client_search, "CANDIDATE_CAP", 2)
    plain = clients.search_clients("acme.example")
    names = [c.name for c in plain.items]
    assert names == [c.name for c in sorted_out.items] == [f"Acme Person {n}" for n in range(4)]
    assert plain.total == 4 and all(c.national_id_masked == "" for c in plain.items)


def test_a_page_past_the_end_of_a_search_shows_its_last_page_or_nothing(app, people, monkeypatch):
    from checkup.services.accounts import client_search, clients

    for n in range(3):
        make_client(name=f"Acme Person {n}", email=f"p{n}@acme.example")
    beyond = clients.search_clients("acme.example", page=5)
    assert [c.name for c in beyond.items] in ([], [f"Acme Person {n}" for n in range(3)])  # SQLite: empty
    monkeypatch.setattr(client_search, "CANDIDATE_CAP", 1)
    monkeypatch.setattr(clients, "PER_PAGE", 2)
    assert [c.name for c in clients.search_clients("acme.example", page=2).items] == ["Acme Person 2"]
