"""Admin: staff and HR accounts, roles, deactivation, audit log."""

import re

import pytest

from checkup.models import AuditEvent, User, UserRole
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin", email="boss@example.com", name="Boss")
    login(user)
    return user


def test_create_staff_account_sends_a_set_password_link(client, admin, outbox):
    response = client.post(
        "/admin/accounts/new", data={"name": "Dr. Wu", "email": "Wu@Example.com", "roles": ["physician", "counselor"]}
    )
    assert response.status_code == 303
    user = User.get(User.email == "wu@example.com")
    assert user.role_names == {"physician", "counselor"}
    [mail] = outbox()
    link = re.search(r"http://localhost(/password/reset/\S+)", mail.get_content()).group(1)
    client.post("/logout")
    assert client.get(link).headers["Location"] == "/password/reset"  # the token is traded for the session
    assert (
        client.post("/password/reset", data={"password": "doctor-password", "confirm": "doctor-password"}).status_code
        == 303
    )
    assert (
        client.post("/login", data={"email": "wu@example.com", "password": "doctor-password"}).headers["Location"]
        == "/exam"
    )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "X", "email": "x@example.com", "roles": []}, "Choose at least one role."),
        ({"name": "X", "email": "x@example.com", "roles": ["hr"]}, "Choose the organization"),
        ({"name": "X", "email": "x@example.com", "roles": ["hr", "admin"]}, "exactly one role"),
        ({"name": "X", "email": "x@example.com", "roles": ["superuser"]}, "Choose at least one role."),
        ({"name": "X", "email": "boss@example.com", "roles": ["admin"]}, "already exists"),
        ({"name": "", "email": "x@example.com", "roles": ["admin"]}, "This field is required."),
        ({"name": "X", "email": "nope", "roles": ["admin"]}, "Enter a valid email address."),
    ],
)
def test_bad_account_input_is_shown_and_changes_nothing(client, admin, data, message):
    before = User.select().count()
    response = client.post("/admin/accounts/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert User.select().count() == before


def test_hr_account_belongs_to_its_organization(client, admin):
    org = factories.make_organization("Acme")
    response = client.post(
        "/admin/accounts/new",
        data={"name": "HR", "email": "hr@acme-corp.example.com", "roles": ["hr"], "organization": str(org.id)},
    )
    assert response.status_code == 303
    assert User.get(User.email == "hr@acme-corp.example.com").organization_id == org.id


def test_roles_change_is_audited_and_own_admin_role_is_kept(client, admin, make_user):
    staff = make_user("scheduler")
    assert (
        client.post(f"/admin/accounts/{staff.id}/roles", data={"roles": ["scheduler", "counselor"]}).status_code == 303
    )
    assert {r.role for r in UserRole.select().where(UserRole.user == staff.id)} == {"scheduler", "counselor"}
    event = AuditEvent.get(AuditEvent.action == "account.roles_changed")
    assert event.user_id == admin.id and event.object_id == str(staff.id)
    response = client.post(f"/admin/accounts/{admin.id}/roles", data={"roles": ["scheduler"]})
    assert response.status_code == 422
    assert "own admin role" in response.get_data(as_text=True)
    assert {r.role for r in UserRole.select().where(UserRole.user == admin.id)} == {"admin"}


def test_admin_cannot_deactivate_themself(client, admin):
    response = client.post(f"/admin/accounts/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert User.get_by_id(admin.id).is_active


def test_missing_account_is_404(client, admin):
    assert client.get("/admin/accounts/99999").status_code == 404
    assert client.post("/admin/accounts/99999/roles", data={"roles": ["admin"]}).status_code == 404


def test_account_list_search_and_fragment(client, admin, make_user):
    make_user("physician", email="zhang@example.com", name="张医生")
    page = client.post("/admin/accounts", data={"q": "zhang"}).get_data(as_text=True)
    assert "zhang@example.com" in page and "boss@example.com" not in page and "<html" in page
    assert 'hx-post="/admin/accounts"' in page and "hx-get" not in page
    fragment = client.post("/admin/accounts", data={"q": "zhang"}, headers={"HX-Request": "true"})
    assert "zhang@example.com" in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    boosted = client.post("/admin/accounts", data={"q": "zhang"}, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    assert "boss@example.com" in client.get("/admin/accounts?q=zhang").get_data(as_text=True)  # not from an address


def test_account_list_queries_do_not_grow_with_rows(client, admin, make_user, count_queries):
    make_user("hr")
    with count_queries() as few:
        client.get("/admin/accounts")
    for _ in range(20):
        make_user("hr")
    with count_queries() as many:
        client.get("/admin/accounts")
    assert few.count == many.count


def test_audit_log_lists_events_and_survives_bad_page(client, admin):
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "auth.login" in page
    assert client.get("/admin/audit?page=abc").status_code == 200
    assert client.get("/admin/audit?page=-4&action=nope").status_code == 200


def test_dashboard_shows_the_catalog_counts(client, admin):
    from tests import factories

    factories.make_item()
    html = client.get("/admin").get_data(as_text=True)
    assert "built-in method" not in html
    assert '<p class="big-number">1</p>' in html


def test_account_list_pages_by_address_and_a_search_pages_by_form(client, admin, make_user):
    from checkup.services.accounts.accounts import ACCOUNTS_PER_PAGE

    def rows(html):
        return len(re.findall(r'href="/admin/accounts/\d+"', html))

    for n in range(ACCOUNTS_PER_PAGE + 5):
        make_user("hr", email=f"paged{n:03d}@example.com", name=f"Paged {n:03d}")
    first = client.get("/admin/accounts?role=hr").get_data(as_text=True)
    assert rows(first) == ACCOUNTS_PER_PAGE
    assert "Accounts 1 to 50; more on the next page." in first
    assert 'href="/admin/accounts?page=2&amp;role=hr"' in first
    second = client.get("/admin/accounts?page=2&role=hr", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second and rows(second) == 5
    assert "paged054@example.com" in second and "paged000@example.com" not in second
    assert "55 accounts." in second
    searched = client.post("/admin/accounts", data={"q": "paged", "page": "2"}).get_data(as_text=True)
    assert "paged054@example.com" in searched and "paged000@example.com" not in searched
    assert 'name="q" value="paged"' in searched and "?q=" not in searched  # the term never enters an address
    assert rows(client.get("/admin/accounts?page=abc").get_data(as_text=True)) == ACCOUNTS_PER_PAGE  # page 1
    past = client.get("/admin/accounts?page=999").get_data(as_text=True)
    assert "No more accounts on this page." in past and rows(past) == 0
