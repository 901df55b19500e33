"""HR's pages: the dashboard, the employee list and its export, invitations, the company profile."""

import io

import pytest
from openpyxl import load_workbook

from checkup.models import AuditEvent, Enrollment, Message, Organization
from tests import factories
from tests.enrollment_helpers import Roster
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def roster(app):
    roster = Roster()
    roster.employee("Ann Not", "not_invited", department="Sales")
    roster.employee("Ben Invited", "invited", department="Sales")
    roster.employee("Dan Booked", "booked", department="Plant", category="Managers")
    roster.employee("Fay Completed", "completed", department="Plant")
    roster.employee("Nora NoMail", "not_invited", department="Plant", email=False)
    return roster


@pytest.fixture
def hr(client, roster):
    return sign_in_directly(client, factories.make_user("hr", organization=roster.org, email="hr@acme.test"))


@pytest.fixture
def stranger(roster):
    """Another company's contract with an employee of its own."""
    other = Roster(center=roster.center, name="Other Co")
    other.employee("Olga Other", "completed")
    return other


def text(response):
    return response.get_data(as_text=True)


def main(response):
    """The page's own content (the header carries a per-request CSRF token)."""
    return text(response).split("<main", 1)[-1].split("</main>", 1)[0]


def test_dashboard_shows_counts_chart_and_tables(client, hr, roster, stranger):
    page = client.get("/hr")
    html = text(page)
    assert page.status_code == 200
    assert roster.contract.name in html and stranger.contract.name not in html
    assert 'role="img"' in html
    assert "Not invited: 2; Invited: 1; Booked: 1; Checked in: 0; Completed: 1; No-show: 0" in html
    # the longest bar (2 not invited) ends at 84 %, half of it is 24 % long; the table repeats every figure
    assert 'width="48.0%"' in html and 'width="24.0%"' in html and '<text x="84.0%"' in html
    assert (
        '<td class="num" data-label="Not invited">2</td>' in html
        and '<td class="num" data-label="Total">5</td>' in html
    )
    assert "By department" in html and "By category" in html and "Managers" in html and "Plant" in html
    assert "Olga Other" not in html


def test_employee_list_shows_status_and_filters(client, hr, roster, stranger):
    html = text(client.get("/hr/employees"))
    assert all(name in html for name in ("Ann Not", "Ben Invited", "Dan Booked", "Fay Completed", "Nora NoMail"))
    assert "Olga Other" not in html and "No email" in html
    only = text(client.get("/hr/employees", query_string={"status": "completed", "contract": roster.contract.id}))
    assert "Fay Completed" in only and "Ann Not" not in only
    fragment = client.post("/hr/employees", data={"q": "ann"}, headers={"HX-Request": "true"})
    assert "<h1>" not in text(fragment) and "Ann Not" in text(fragment) and "Ben Invited" not in text(fragment)
    assert "Ben Invited" in text(client.get("/hr/employees", query_string={"q": "ann"}))  # never read from an address


def test_employee_rows_escape_names_and_label_each_checkbox(client, hr, roster):
    roster.employee('<b>Al & "Bo"</b>', "booked")
    html = main(client.get("/hr/employees"))
    assert "<b>Al" not in html
    assert 'class="visually-hidden">Select &lt;b&gt;Al &amp; &#34;Bo&#34;&lt;/b&gt;</label>' in html
    assert '<span class="badge info">Booked</span>' in html and '<span class="badge ">Not invited</span>' in html


def test_a_searched_list_exports_and_pages_by_post(client, hr, roster):
    html = text(client.post("/hr/employees", data={"q": "ann", "contract": roster.contract.id}))
    assert "Ann Not" in html and "q=ann" not in html and 'hx-post="/hr/employees"' in html
    assert 'method="post" action="/hr/employees.xlsx"' in html and 'name="q" value="ann"' in html
    response = client.post("/hr/employees.xlsx", data={"q": "ann", "contract": roster.contract.id})
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["Ann Not"]


def test_employee_list_queries_do_not_grow_with_rows(client, hr, roster, count_queries):
    with count_queries() as few:
        assert client.get("/hr/employees").status_code == 200
    for n in range(40):
        roster.employee(f"Worker {n}", ["invited", "booked", "completed", "no_show"][n % 4], department=f"D{n % 5}")
    with count_queries() as many:
        assert client.get("/hr/employees").status_code == 200
    assert few.count == many.count


def test_dashboard_queries_do_not_grow_with_rows(client, hr, roster, count_queries):
    with count_queries() as few:
        client.get("/hr")
    for n in range(30):
        roster.employee(f"Worker {n}", "booked", department=f"D{n}")
    with count_queries() as many:
        client.get("/hr")
    assert few.count == many.count


def test_export_is_a_neutralised_xlsx_and_audited(client, hr, roster):
    roster.employee("=cmd|' /C calc'!A0", department="@evil", employee_no="-1+1")
    response = client.get("/hr/employees.xlsx", query_string={"contract": roster.contract.id})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    evil = next(r for r in rows if "calc" in str(r[1]))
    assert evil[:3] == ("'-1+1", "'=cmd|' /C calc'!A0", "'@evil")
    assert len(rows) == 7
    assert AuditEvent.select().where(AuditEvent.action == "hr.export", AuditEvent.user == hr.id).count() == 1


def test_export_follows_the_filters(client, hr, roster):
    response = client.get("/hr/employees.xlsx", query_string={"status": "invited"})
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["Ben Invited"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/hr/employees"),
        ("get", "/hr/employees.xlsx"),
        ("get", "/hr/invitations"),
        ("get", "/hr/invitations/progress"),
        ("post", "/hr/invitations"),
    ],
)
def test_another_organizations_contract_answers_like_a_missing_one(client, hr, stranger, method, path):
    def ask(contract_id):
        if method == "post":
            return client.post(path, data={"contract": contract_id, "mode": "all"})
        return client.get(path, query_string={"contract": contract_id, "mode": "all"})

    theirs, missing = ask(stranger.contract.id), ask(999999)
    assert theirs.status_code == missing.status_code == 404
    assert main(theirs) == main(missing)
    assert Message.select().count() == 0 and AuditEvent.select().where(AuditEvent.action == "hr.export").count() == 0


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999", "1.5"])
def test_bad_contract_values_are_404_not_500(client, hr, value):
    for path in ("/hr/employees", "/hr/employees.xlsx", "/hr/invitations", "/hr/invitations/progress"):
        assert client.get(path, query_string={"contract": value}).status_code == 404


def test_bad_filter_values_are_ignored(client, hr):
    response = client.get(
        "/hr/employees",
        query_string={"status": "nope", "category": "x", "page": "-4", "department": "z" * 500, "q": "q" * 500},
    )
    assert response.status_code == 200
    response = client.post(
        "/hr/employees", data={"status": "nope", "category": "x", "page": "-4", "department": "z" * 500, "q": "q" * 500}
    )
    assert response.status_code == 200


def test_invitations_confirm_then_send(client, hr, roster, outbox):
    overview = text(client.get("/hr/invitations"))
    assert "1 employee has no email address" in overview
    confirm = text(client.get("/hr/invitations", query_string={"contract": roster.contract.id, "mode": "all"}))
    assert "1 employee will get an invitation email now." in confirm
    assert "1 employee was invited already and is left out." in confirm and outbox() == []
    response = client.post("/hr/invitations", data={"contract": roster.contract.id, "mode": "all"})
    assert response.status_code == 303
    after = text(client.get(response.headers["Location"]))
    assert "1 invitation sent." in after
    assert "1 employee has no email address and could not be invited." in after
    assert "1 employee was invited already and was left out." in after
    assert "2 employees have booked already and were left out." in after
    assert [m["To"] for m in outbox()] == [
        Enrollment.get(Enrollment.employee_no == _no(roster, "Ann Not")).client.email
    ]


def _no(roster, name):
    from checkup.models import Client

    return Enrollment.select(Enrollment.employee_no).join(Client).where(Client.name == name).scalar()


def test_invite_selected_employees_from_the_list(client, hr, roster, outbox):
    ben = Enrollment.get(Enrollment.employee_no == _no(roster, "Ben Invited"))
    listing = text(client.get("/hr/employees"))
    assert f'name="ids" value="{ben.id}"' in listing
    confirm = client.get(
        "/hr/invitations", query_string={"contract": roster.contract.id, "mode": "selected", "ids": [ben.id]}
    )
    assert "1 of them was invited before and gets a new link" in text(confirm)
    response = client.post(
        "/hr/invitations", data={"contract": roster.contract.id, "mode": "selected", "ids": [ben.id]}
    )
    assert response.status_code == 303 and [m["To"] for m in outbox()] == [ben.client.email]


def test_invitations_refused_for_a_draft_contract(client, hr, roster, outbox):
    draft = factories.make_contract(roster.org, status="draft")
    response = client.post("/hr/invitations", data={"contract": draft.id, "mode": "all"})
    assert response.status_code == 422 and "only for an active contract" in text(response)
    empty = client.post("/hr/invitations", data={"contract": roster.contract.id, "mode": "selected"})
    assert empty.status_code == 422 and "Select at least one employee" in text(empty)
    assert outbox() == []


def test_progress_fragment(client, hr, roster):
    response = client.get("/hr/invitations/progress", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Every invitation has been sent." in text(response)
    assert "<h1>" not in text(response)


def test_hr_edits_contact_fields_but_not_the_centers(client, hr, roster):
    page = text(client.get("/hr/profile"))
    assert 'name="phone"' in page and 'name="name"' not in page and 'name="value_tier"' not in page
    response = client.post(
        "/hr/profile",
        data={
            "address": "1 Factory Road",
            "phone": "021 5555 0101",
            "fax": "",
            "website": "https://acme.test",
            "email": "HR@ACME.EXAMPLE.COM",
            "manager": "Ms Li",
            "business_scope": "Machines",
            "employee_count": "320",
            "health_contact": "Mr Wu",
            "name": "Renamed",
            "value_tier": "vip",
            "account_manager": "Me",
        },
    )
    assert response.status_code == 303
    org = Organization.get_by_id(roster.org.id)
    assert (org.address, org.phone, org.email, org.employee_count, org.health_contact) == (
        "1 Factory Road",
        "021 5555 0101",
        "hr@acme.example.com",
        320,
        "Mr Wu",
    )
    assert (org.name, org.value_tier, org.account_manager) == ("Acme Test Co", "general", "")
    event = AuditEvent.get(AuditEvent.action == "hr.profile_updated")
    assert event.user_id == hr.id and "address" in event.detail


def test_profile_errors_are_shown_and_nothing_is_saved(client, hr, roster):
    response = client.post(
        "/hr/profile", data={"website": "javascript:alert(1)", "employee_count": "-5", "address": "Changed"}
    )
    assert response.status_code == 422
    assert "Enter a web address starting with http:// or https://." in text(response)
    assert Organization.get_by_id(roster.org.id).address == ""
