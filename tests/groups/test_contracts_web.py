"""Group contract pages: the center's (/desk/contracts) and HR's (/hr/contracts)."""

import datetime
import re
from html.parser import HTMLParser

import pytest

from checkup.core import clock
from checkup.models import AuditEvent, ContractCategory, ContractReservation, GroupContract, Slot
from checkup.models.base import utcnow
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def org(app):
    return factories.make_organization("Acme Manufacturing")


@pytest.fixture
def staff(client):
    return factories.sign_in_directly(client, factories.make_user("scheduler"))


@pytest.fixture
def hr(client, org):
    return factories.sign_in_directly(client, factories.make_user("hr", organization=org))


def form_values(**changes):
    today = clock.today()
    values = {
        "name": "Annual checkup",
        "year": str(today.year),
        "window_start": today.isoformat(),
        "window_end": (today + datetime.timedelta(days=30)).isoformat(),
        "discount_percent": "10",
        "no_show_charge_percent": "50",
        "reservation_release_days": "3",
        "notes": "",
    }
    values.update(changes)
    return values


def text(response):
    return response.get_data(as_text=True)


def audited(action):
    return AuditEvent.select().where(AuditEvent.action == action).count()


# --- the center's pages -------------------------------------------------------------------------------


def test_staff_list_filters_by_status_and_organization(client, staff, org):
    factories.make_contract(org, name="Acme live")
    factories.make_contract(factories.make_organization("Beta Foods"), status="draft", name="Beta draft")
    page = text(client.get("/desk/contracts"))
    assert "Acme live" in page and "Beta draft" in page and "Group contracts" in page
    drafts = text(client.get("/desk/contracts?status=draft"))
    assert "Beta draft" in drafts and "Acme live" not in drafts
    acme = text(client.get(f"/desk/contracts?org={org.id}"))
    assert "Acme live" in acme and "Beta draft" not in acme
    fragment = text(client.get("/desk/contracts?status=active", headers={"HX-Request": "true"}))
    assert "Acme live" in fragment and "<html" not in fragment
    for odd in ("?status=<b>", "?org=abc", "?org=99999999999999", "?org=-1"):
        assert client.get(f"/desk/contracts{odd}").status_code == 200


def test_staff_list_issues_a_fixed_number_of_queries(client, staff, org, count_queries):
    factories.make_contract(org, categories=["A", "B"])
    with count_queries() as few:
        assert client.get("/desk/contracts").status_code == 200
    for _ in range(6):
        factories.make_contract(factories.make_organization(), categories=["X", "Y", "Z"])
    with count_queries() as many:
        assert client.get("/desk/contracts").status_code == 200
    assert few.count == many.count


def test_staff_create_a_draft_for_an_organization(client, staff, org):
    assert f'<option selected value="{org.id}">' in text(client.get(f"/desk/contracts/new?org={org.id}"))
    response = client.post("/desk/contracts/new", data=form_values(organization=str(org.id)))
    contract = GroupContract.get()
    assert response.status_code == 303 and response.location.endswith(f"/desk/contracts/{contract.id}")
    assert (contract.organization_id, contract.status, contract.name) == (org.id, "draft", "Annual checkup")
    assert audited("contract.created") == 1


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("organization", "", "This field is required."),
        ("organization", "999999", "Choose an organization"),
        ("name", "", "This field is required."),
        ("year", "1850", "Enter 2000 or more."),
        ("window_end", "2000-01-01", "must not end before it starts"),
        ("window_start", "31/12/2025", "Not a valid date"),
        ("discount_percent", "150", "Enter 100 or less."),
        ("no_show_charge_percent", "-5", "Enter 0 or more."),
        ("reservation_release_days", "x", "Enter a whole number"),
    ],
)
def test_staff_create_shows_each_error_beside_its_field(client, staff, org, field, value, message):
    response = client.post("/desk/contracts/new", data={**form_values(organization=str(org.id)), field: value})
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error" class="field-error">[^<]*{re.escape(message)}', text(response)), field
    assert GroupContract.select().count() == 0


def test_staff_detail_edit_and_category_pages(client, staff, org):
    contract = factories.make_contract(org, status="draft", categories=[], name="Draft one")
    package = factories.make_package(name_en="Executive")
    detail = text(client.get(f"/desk/contracts/{contract.id}"))
    assert "Draft one" in detail and "Add at least one category." in detail
    assert client.post(f"/desk/contracts/{contract.id}/edit", data=form_values(name="Draft renamed")).status_code == 303
    assert GroupContract.get_by_id(contract.id).name == "Draft renamed"
    response = client.post(
        f"/desk/contracts/{contract.id}/categories/new",
        data={
            "label": "Managers",
            "sex": "",
            "age_min": "40",
            "age_max": "",
            "package": str(package.id),
            "company_pays": "y",
        },
    )
    assert response.status_code == 303
    category = ContractCategory.get()
    assert (category.label, category.age_min, category.age_max, category.company_pays, category.addons_allowed) == (
        "Managers",
        40,
        None,
        True,
        False,
    )
    assert "Executive" in text(client.get(f"/desk/contracts/{contract.id}"))
    bad = client.post(
        f"/desk/contracts/{contract.id}/categories/{category.id}/edit",
        data={"label": "Managers", "age_min": "50", "age_max": "45", "package": str(package.id)},
    )
    assert bad.status_code == 422 and 'id="age_max-error"' in text(bad)
    assert (
        client.post(
            f"/desk/contracts/{contract.id}/categories/{category.id}/edit",
            data={"label": "Leaders", "package": str(package.id)},
        ).status_code
        == 303
    )
    assert ContractCategory.get_by_id(category.id).label == "Leaders"
    assert client.post(f"/desk/contracts/{contract.id}/categories/{category.id}/delete").status_code == 303
    assert ContractCategory.select().count() == 0
    assert [
        audited(a)
        for a in (
            "contract.updated",
            "contract.category_added",
            "contract.category_updated",
            "contract.category_deleted",
        )
    ] == [1, 1, 1, 1]


def test_an_active_contract_edits_only_its_end_and_notes(client, staff, org):
    contract = factories.make_contract(org, name="Live")
    form = text(client.get(f"/desk/contracts/{contract.id}/edit"))
    assert 'name="window_end"' in form and 'name="name"' not in form
    later = contract.window_end + datetime.timedelta(days=5)
    assert (
        client.post(
            f"/desk/contracts/{contract.id}/edit", data={"window_end": later.isoformat(), "notes": "More time"}
        ).status_code
        == 303
    )
    assert GroupContract.get_by_id(contract.id).window_end == later
    earlier = client.post(
        f"/desk/contracts/{contract.id}/edit", data={"window_end": contract.window_start.isoformat(), "notes": ""}
    )
    assert earlier.status_code == 422 and "can only be extended" in text(earlier)
    new_category = client.get(f"/desk/contracts/{contract.id}/categories/new")
    assert new_category.status_code == 303
    assert (
        client.post(f"/desk/contracts/{contract.id}/categories/{contract.categories[0].id}/delete").status_code == 303
    )
    assert ContractCategory.select().count() == 1


def test_staff_activate_then_close_with_confirmation(client, staff, org, monkeypatch):
    from tests.task_helpers import hold_tasks

    queued = hold_tasks(monkeypatch)
    contract = factories.make_contract(org, status="draft")
    refused = client.post(f"/desk/contracts/{contract.id}/activate")
    assert refused.status_code == 422 and "not confirmed the categories" in text(refused)
    GroupContract.update(hr_confirmed_at=utcnow()).where(GroupContract.id == contract.id).execute()
    assert client.post(f"/desk/contracts/{contract.id}/activate").status_code == 303
    assert GroupContract.get_by_id(contract.id).status == "active"
    unticked = client.post(f"/desk/contracts/{contract.id}/close", data={})
    assert unticked.status_code == 422 and "Tick the box" in text(unticked)
    assert GroupContract.get_by_id(contract.id).status == "active" and queued == []
    assert client.post(f"/desk/contracts/{contract.id}/close", data={"understood": "y"}).status_code == 303
    assert GroupContract.get_by_id(contract.id).status == "closed"
    assert queued == [("group_document.after_close", (contract.id,))]
    assert audited("contract.activated") == audited("contract.closed") == 1


def test_staff_reserve_and_give_back_places(client, staff, org):
    contract = factories.make_contract(org)
    day = clock.today() + datetime.timedelta(days=10)
    slot = Slot.create(day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=5, booked=1)
    page = text(client.get(f"/desk/contracts/{contract.id}/reservations/new?day={day.isoformat()}"))
    assert "4 free of 5" in page
    too_many = client.post(
        f"/desk/contracts/{contract.id}/reservations/new",
        data={"day": day.isoformat(), "slot": str(slot.id), "places": "5"},
    )
    assert too_many.status_code == 422 and "Only 4 places are free" in text(too_many)
    assert Slot.get_by_id(slot.id).reserved == 0
    assert (
        client.post(
            f"/desk/contracts/{contract.id}/reservations/new",
            data={"day": day.isoformat(), "slot": str(slot.id), "places": "3"},
        ).status_code
        == 303
    )
    assert Slot.get_by_id(slot.id).reserved == 3
    reservation = ContractReservation.get()
    assert client.post(f"/desk/contracts/{contract.id}/reservations/{reservation.id}/cancel").status_code == 303
    assert Slot.get_by_id(slot.id).reserved == 0
    for odd in ("day=nonsense", "day=2999-01-01", "day=", "day=2025-02-30"):
        assert client.get(f"/desk/contracts/{contract.id}/reservations/new?{odd}").status_code == 200


def test_unknown_and_odd_ids_are_404_never_500(client, staff, org):
    contract = factories.make_contract(org)
    for path in (
        "/desk/contracts/999999",
        "/desk/contracts/99999999999",
        f"/desk/contracts/{contract.id}/categories/999999/edit",
        "/desk/contracts/999999/reservations/new",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/desk/contracts/999999/activate",
        f"/desk/contracts/{contract.id}/reservations/999999/cancel",
        f"/desk/contracts/{contract.id}/categories/999999/delete",
    ):
        assert client.post(path).status_code == 404, path
    bad_slot = client.post(f"/desk/contracts/{contract.id}/reservations/new", data={"slot": "abc", "places": "1e9"})
    assert bad_slot.status_code == 422


# --- HR's pages ------------------------------------------------------------------------------------------


def test_hr_sees_only_its_own_contracts(client, hr, org):
    factories.make_contract(org, name="Ours")
    factories.make_contract(name="Someone else's")
    page = text(client.get("/hr/contracts"))
    assert "Ours" in page and "Someone else" not in page
    assert client.get("/desk/contracts").status_code == 403


def test_hr_drafts_a_contract_for_its_own_organization_only(client, hr, org):
    other = factories.make_organization("Rival")
    response = client.post("/hr/contracts/new", data=form_values(organization=str(other.id)))
    assert response.status_code == 303
    assert GroupContract.get().organization_id == org.id


def test_hr_edits_categories_and_confirms_but_cannot_activate(client, hr, org):
    contract = factories.make_contract(org, status="draft", categories=[])
    package = factories.make_package()
    assert client.post(f"/hr/contracts/{contract.id}/confirm").status_code == 422  # nothing to confirm yet
    assert (
        client.post(
            f"/hr/contracts/{contract.id}/categories/new", data={"label": "Everyone", "package": str(package.id)}
        ).status_code
        == 303
    )
    assert client.post(f"/hr/contracts/{contract.id}/confirm").status_code == 303
    assert GroupContract.get_by_id(contract.id).hr_confirmed_at is not None
    category = ContractCategory.get()
    assert (
        client.post(
            f"/hr/contracts/{contract.id}/categories/{category.id}/edit",
            data={"label": "All staff", "package": str(package.id)},
        ).status_code
        == 303
    )
    assert GroupContract.get_by_id(contract.id).hr_confirmed_at is None  # a change needs a new confirmation
    assert client.post(f"/hr/contracts/{contract.id}/edit", data=form_values(name="Ours 2025")).status_code == 303
    assert GroupContract.get_by_id(contract.id).name == "Ours 2025"
    for action in ("activate", "close"):
        assert client.post(f"/desk/contracts/{contract.id}/{action}").status_code == 403
    assert GroupContract.get_by_id(contract.id).status == "draft"
    assert audited("contract.categories_confirmed") == 1


def test_hr_cannot_edit_an_active_contract(client, hr, org):
    contract = factories.make_contract(org, name="Live")
    assert client.get(f"/hr/contracts/{contract.id}/edit").status_code == 303
    assert client.post(f"/hr/contracts/{contract.id}/edit", data=form_values(name="Changed")).status_code == 303
    assert GroupContract.get_by_id(contract.id).name == "Live"
    assert "Edit contract" not in text(client.get(f"/hr/contracts/{contract.id}"))


def test_another_organizations_contract_is_a_404_like_a_missing_one_on_every_hr_url(app, client, hr, org):
    theirs = factories.make_contract(status="draft", categories=["Theirs"], name="Secret deal")
    category_id = theirs.categories[0].id
    urls = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("hr_contracts.") and "contract_id" in rule.arguments
    ]
    assert len(urls) == 6

    for rule in urls:
        with app.test_request_context():
            from flask import url_for

            args = {"category_id": category_id} if "category_id" in rule.arguments else {}
            path = url_for(rule.endpoint, contract_id=theirs.id, **args)
            missing = url_for(rule.endpoint, contract_id=999999, **args)
        send = client.post if "POST" in rule.methods and "GET" not in rule.methods else client.get
        mine, gone = send(path), send(missing)
        assert mine.status_code == gone.status_code == 404, path
        assert factories.page_shape(mine, path) == factories.page_shape(gone, missing), path
        assert "Secret deal" not in text(mine)
        if "POST" in rule.methods and "GET" in rule.methods:
            assert client.post(path, data={"label": "Hacked", "name": "Hacked"}).status_code == 404
    assert GroupContract.get_by_id(theirs.id).name == "Secret deal"
    assert [c.label for c in ContractCategory.select()] == ["Theirs"]


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.fields, self.h1, self.unscoped_th = [], set(), [], 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.fields.append(attrs.get("id"))
        self.h1 += tag == "h1"
        self.unscoped_th += tag == "th" and "scope" not in attrs


def test_pages_have_labelled_fields_unique_ids_and_one_heading(client, org):
    """What axe would catch first, checked on every contract page (the browser suite runs axe itself)."""
    contract = factories.make_contract(org, status="draft", categories=["Staff", "Managers"])
    active = factories.make_contract(org, name="Live")
    day = clock.today() + datetime.timedelta(days=10)
    Slot.create(day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=5)
    staff_pages = [
        "/desk/contracts",
        "/desk/contracts/new",
        f"/desk/contracts/{contract.id}",
        f"/desk/contracts/{active.id}",
        f"/desk/contracts/{contract.id}/edit",
        f"/desk/contracts/{active.id}/edit",
        f"/desk/contracts/{contract.id}/categories/new",
        f"/desk/contracts/{contract.id}/categories/{contract.categories[0].id}/edit",
        f"/desk/contracts/{active.id}/reservations/new?day={day.isoformat()}",
    ]
    hr_pages = [
        "/hr/contracts",
        "/hr/contracts/new",
        f"/hr/contracts/{contract.id}",
        f"/hr/contracts/{contract.id}/categories/new",
    ]
    for user, pages in (
        (factories.make_user("admin"), staff_pages),
        (factories.make_user("hr", organization=org), hr_pages),
    ):
        factories.sign_in_directly(client, user)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            markup = _Markup()
            markup.feed(text(response))
            assert markup.h1 == 1, path
            assert len(markup.ids) == len(set(markup.ids)), path
            assert all(field in markup.label_for for field in markup.fields), (path, markup.fields)
            assert markup.unscoped_th == 0, path
    failed = client.post("/hr/contracts/new", data={"name": ""})
    markup = _Markup()
    markup.feed(text(failed))
    assert failed.status_code == 422 and len(markup.ids) == len(set(markup.ids))
