"""Admin catalog: packages (items grouped by department, totals, activation) and limited resources."""

from decimal import Decimal

import pytest

from checkup.models import AuditEvent, Package, PackageItem, Resource
from tests import factories
from tests.catalog import HX

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def items(app):
    lab = factories.make_department("LAB", name_en="Laboratory", sort_order=1)
    img = factories.make_department("IMG", name_en="Imaging", sort_order=2)
    return [
        factories.make_item("GLU", department=lab, price="25.50"),
        factories.make_item("ALT", department=lab, price="30"),
        factories.make_item("CT1", department=img, price="400"),
    ]


def package_data(chosen, **overrides):
    data = {
        "code": "BASIC",
        "name_en": "Basic checkup",
        "name_zh": "基础体检",
        "description_en": "For adults.",
        "description_zh": "",
        "sex": "any",
        "age_min": "18",
        "age_max": "70",
        "price": "399",
        "items": [str(i.id) for i in chosen],
        "active": "y",
    }
    data.update(overrides)
    return data


def html(response):
    return response.get_data(as_text=True)


# --- packages ---------------------------------------------------------------------------------------


def test_package_form_groups_items_by_department(client, admin, items):
    page = html(client.get("/admin/catalog/packages/new"))
    assert page.index("Laboratory") < page.index("GLU") < page.index("Imaging") < page.index("CT1")
    assert f'id="items-{items[0].id}"' in page and f'for="items-{items[0].id}"' in page


def test_admin_creates_a_package_and_the_list_shows_count_and_item_total(client, admin, items):
    response = client.post("/admin/catalog/packages/new", data=package_data(items[:2]))
    assert response.status_code == 303
    package = Package.get(Package.code == "BASIC")
    assert package.price == Decimal("399.00") and (package.age_min, package.age_max) == (18, 70)
    assert {pi.item_id for pi in PackageItem.select()} == {items[0].id, items[1].id}
    assert AuditEvent.select().where(AuditEvent.action == "catalog.package_created").count() == 1
    row = html(client.get("/admin/catalog/packages?q=basic", headers=HX))
    assert "<html" not in row and "Basic checkup" in row
    assert ">2<" in row and "55.50" in row and "399.00" in row


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("code", "", "This field is required."),
        ("name_en", "n" * 121, "Use at most 120 characters."),
        ("description_en", "d" * 2001, "Use at most 2000 characters."),
        ("price", "abc", "Enter a number"),
        ("price", "-1", "Enter 0 or more."),
        ("age_min", "x", "Enter a whole number"),
        ("age_max", "10", "The highest age must not be below the lowest age."),
        ("sex", "other", "Not a valid choice"),
        ("items", [], "Choose at least one item."),
        ("items", ["999"], "Choose items from the list."),
        ("items", ["abc"], "Choose items from the list."),
        ("items", [str(n) for n in range(1, 2000)], "Choose items from the list."),
    ],
)
def test_bad_package_input_is_reported_next_to_the_field(client, admin, items, field, value, message):
    response = client.post("/admin/catalog/packages/new", data=package_data(items, **{field: value}))
    assert response.status_code == 422
    page = html(response)
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:200]
    assert Package.select().count() == 0 and PackageItem.select().count() == 0


def test_an_empty_form_shows_every_problem_at_once(client, admin, items):
    response = client.post("/admin/catalog/packages/new", data={"sex": "any"})
    assert response.status_code == 422
    page = html(response)
    for field in ("code", "name_en", "price", "items"):
        assert f'id="{field}-error"' in page, field
    assert "Choose at least one item." in page


def test_duplicate_package_code_is_refused(client, admin, items):
    factories.make_package("BASIC", items=items[:1])
    response = client.post("/admin/catalog/packages/new", data=package_data(items, code="basic"))
    assert response.status_code == 422 and "already used" in html(response)
    assert Package.select().count() == 1


def test_editing_a_package_replaces_its_items(client, admin, items):
    package = factories.make_package("BASIC", items=items[:2], price="100")
    page = html(client.get(f"/admin/catalog/packages/{package.id}/edit"))
    assert 'value="BASIC"' in page and f'value="{items[0].id}" checked' in page
    assert f'value="{items[2].id}" checked' not in page
    response = client.post(
        f"/admin/catalog/packages/{package.id}/edit", data=package_data([items[2]], price="450.5", sex="female")
    )
    assert response.status_code == 303
    package = Package.get_by_id(package.id)
    assert package.price == Decimal("450.50") and package.sex == "female"
    assert [pi.item_id for pi in PackageItem.select()] == [items[2].id]
    event = AuditEvent.get(AuditEvent.action == "catalog.package_updated")
    assert "female" in event.detail


def test_a_failed_edit_keeps_the_old_items(client, admin, items):
    package = factories.make_package("BASIC", items=items[:2])
    response = client.post(f"/admin/catalog/packages/{package.id}/edit", data=package_data([items[2]], price="x"))
    assert response.status_code == 422
    assert f'value="{items[2].id}" checked' in html(response)  # the choice the user made is shown again
    assert sorted(pi.item_id for pi in PackageItem.select()) == sorted([items[0].id, items[1].id])


def test_activate_and_deactivate_a_package(client, admin, items):
    package = factories.make_package("BASIC", items=items)
    row = client.post(f"/admin/catalog/packages/{package.id}/active", data={"active": "0"}, headers=HX)
    assert row.status_code == 200 and html(row).lstrip().startswith("<tr") and "Not offered" in html(row)
    assert "455.50" in html(row)
    assert Package.get_by_id(package.id).active is False
    plain = client.post(f"/admin/catalog/packages/{package.id}/active", data={"active": "1"})
    assert plain.status_code == 303 and Package.get_by_id(package.id).active is True
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.action ** "catalog.%").order_by(AuditEvent.id)]
    assert actions == ["catalog.package_deactivated", "catalog.package_activated"]


def test_packages_list_runs_the_same_number_of_queries_for_3_or_30(client, admin, items, count_queries):
    for n in range(3):
        factories.make_package(f"P{n}", items=items)
    with count_queries() as few:
        client.get("/admin/catalog/packages")
    for n in range(27):
        factories.make_package(f"Q{n}", items=items[: n % 3 + 1])
    with count_queries() as many:
        page = html(client.get("/admin/catalog/packages"))
    assert page.count('<tr id="package-') == 30
    assert many.count == few.count


def test_package_inline_validation_writes_nothing(client, admin, items):
    factories.make_package("BASIC", items=items)
    before = factories.row_counts(Package, PackageItem, AuditEvent)
    response = client.post("/admin/catalog/packages/validate/code", data=package_data(items), headers=HX)
    assert "already used" in html(response) and "<html" not in html(response)
    assert factories.row_counts(Package, PackageItem, AuditEvent) == before


def test_missing_packages_are_404(client, admin):
    assert client.get("/admin/catalog/packages/999/edit").status_code == 404
    assert client.post("/admin/catalog/packages/999/active", data={"active": "1"}).status_code == 404


# --- limited resources --------------------------------------------------------------------------------


def test_admin_adds_and_edits_a_resource(client, admin):
    response = client.post(
        "/admin/catalog/resources/new",
        data={"code": "CT", "name_en": "CT scanner", "name_zh": "CT机", "daily_capacity": "40", "active": "y"},
    )
    assert response.status_code == 303
    resource = Resource.get(Resource.code == "CT")
    assert resource.daily_capacity == 40
    factories.make_item("CT1", resource=resource)
    page = html(client.get("/admin/catalog/resources"))
    assert "CT scanner" in page and ">40<" in page and ">1<" in page
    edit = client.post(
        f"/admin/catalog/resources/{resource.id}/edit",
        data={"code": "CT", "name_en": "CT scanner", "daily_capacity": "35"},
    )
    assert edit.status_code == 303
    resource = Resource.get_by_id(resource.id)
    assert resource.daily_capacity == 35 and resource.active is False  # deactivated, never deleted
    assert AuditEvent.select().where(AuditEvent.action ** "catalog.resource_%").count() == 2


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("daily_capacity", "abc", "Enter a whole number"),
        ("daily_capacity", "10001", "Enter 10000 or less."),
        ("daily_capacity", "-1", "Enter 0 or more."),
        ("daily_capacity", "2.5", "Enter a whole number"),
        ("code", "CT", "already used"),
        ("name_en", "", "This field is required."),
        ("name_zh", "长" * 101, "Use at most 100 characters."),
    ],
)
def test_bad_resource_input_is_reported_next_to_the_field(client, admin, field, value, message):
    factories.make_resource("CT")
    data = {"code": "MRI", "name_en": "MRI", "daily_capacity": "10", field: value}
    response = client.post("/admin/catalog/resources/new", data=data)
    assert response.status_code == 422
    page = html(response)
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:200]
    assert Resource.select().count() == 1


def test_resource_inline_validation_and_query_count(client, admin, count_queries):
    factories.make_resource("CT")
    before = factories.row_counts(Resource, AuditEvent)
    bad = html(
        client.post(
            "/admin/catalog/resources/validate/daily_capacity",
            headers=HX,
            data={"code": "MRI", "name_en": "MRI", "daily_capacity": "lots"},
        )
    )
    assert "Enter a whole number" in bad
    assert factories.row_counts(Resource, AuditEvent) == before
    factories.make_resource()
    factories.make_item(resource=factories.make_resource())
    with count_queries() as few:
        client.get("/admin/catalog/resources")
    for n in range(27):
        factories.make_item(resource=factories.make_resource())
    with count_queries() as many:
        client.get("/admin/catalog/resources")
    assert many.count == few.count
    assert client.get("/admin/catalog/resources/999/edit").status_code == 404
