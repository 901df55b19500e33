"""Admin catalog: exam items — list and active search, full-page forms, inline row edits, validation, delete."""

from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import Conflict, ValidationError
from checkup.models import AuditEvent, ExamItem, ReferenceRange
from checkup.services.catalog import catalog
from tests import factories
from tests.catalog import HX

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    return factories.make_department("LAB", name_en="Laboratory", name_zh="检验科")


def item_data(dept, **overrides):
    data = {
        "code": "GLU",
        "name_en": "Fasting glucose",
        "name_zh": "空腹血糖",
        "department": str(dept.id),
        "unit": "mmol/L",
        "result_type": "numeric",
        "choices": "",
        "price": "25.50",
        "prep_note_en": "Fast for 8 hours.",
        "prep_note_zh": "",
        "resource": "",
        "active": "y",
    }
    data.update(overrides)
    return data


def html(response):
    return response.get_data(as_text=True)


def catalog_events():
    return AuditEvent.select().where(AuditEvent.action ** "catalog.%").count()


# --- the list ---------------------------------------------------------------------------------------


def test_items_list_shows_items_with_bilingual_names_and_two_decimal_prices(client, admin, lab):
    factories.make_item(
        "ALT", department=lab, name_en="Alanine aminotransferase", name_zh="丙氨酸氨基转移酶", price="30"
    )
    page = html(client.get("/admin/catalog/items"))
    assert "<html" in page and 'id="item-rows"' in page
    assert "ALT" in page and "Alanine aminotransferase" in page and "30.00" in page
    assert 'aria-label="Catalog"' in page and 'aria-current="page"' in page  # the catalog sub-navigation
    client.post("/language", data={"locale": "zh"})
    assert "丙氨酸氨基转移酶" in html(client.get("/admin/catalog/items"))


def test_active_search_returns_only_the_rows_fragment_for_htmx(client, admin, lab):
    other = factories.make_department("IMG", name_en="Imaging")
    factories.make_item("ALT", department=lab, name_en="Alanine aminotransferase")
    factories.make_item("CT1", department=other, name_en="Chest CT")
    fragment = html(client.get("/admin/catalog/items?q=alanine", headers=HX))
    assert "<html" not in fragment and "ALT" in fragment and "CT1" not in fragment
    page = html(client.get("/admin/catalog/items?q=alanine"))
    assert "<html" in page and 'hx-trigger="search, keyup delay:200ms changed"' in page
    by_department = html(client.get(f"/admin/catalog/items?department={other.id}", headers=HX))
    assert "CT1" in by_department and "ALT" not in by_department
    # a boosted request wants the whole page even though htmx sent it
    assert "<html" in html(client.get("/admin/catalog/items", headers={**HX, "HX-Boosted": "true"}))


def test_items_list_runs_the_same_number_of_queries_for_3_or_30_items(client, admin, lab, count_queries):
    resource = factories.make_resource("CT")
    for n in range(3):
        factories.make_item(f"A{n}", department=lab, resource=resource)
    with count_queries() as few:
        assert client.get("/admin/catalog/items").status_code == 200
    for n in range(27):
        factories.make_item(f"B{n}", department=factories.make_department(), resource=resource)
    with count_queries() as many:
        response = client.get("/admin/catalog/items")
    assert html(response).count('<tr id="item-') == 30
    assert many.count == few.count


# --- new and edit pages -----------------------------------------------------------------------------


def test_admin_adds_an_item_and_it_is_audited(client, admin, lab):
    resource = factories.make_resource("GASTRO")
    form = html(client.get("/admin/catalog/items/new"))
    assert "Laboratory" in form and 'for="code"' in form and "hx-post" in form
    response = client.post("/admin/catalog/items/new", data=item_data(lab, resource=str(resource.id)))
    assert response.status_code == 303
    item = ExamItem.get(ExamItem.code == "GLU")
    assert item.price == Decimal("25.50") and item.name_zh == "空腹血糖" and item.resource_id == resource.id
    assert response.headers["Location"].endswith(f"/admin/catalog/items/{item.id}")
    event = AuditEvent.get(AuditEvent.action == "catalog.item_created")
    assert event.user_id == admin.id and event.object_id == str(item.id)
    assert "Fasting glucose" in html(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("code", "", "This field is required."),
        ("name_en", "", "This field is required."),
        ("name_en", "x" * 121, "Use at most 120 characters."),
        ("unit", "u" * 31, "Use at most 30 characters."),
        ("code", "has space", "no spaces"),
        ("price", "abc", "Enter a number, such as 12 or 12.5."),
        ("price", "NaN", "Enter a number, such as 12 or 12.5."),
        ("price", "1e3", "Enter a number, such as 12 or 12.5."),
        ("price", "-5", "Enter 0 or more."),
        ("price", "12.345", "Use at most 2 decimal places."),
        ("price", "", "This field is required."),
        ("department", "999", "Choose a department from the list."),
        ("department", "abc", "Choose a department from the list."),
        ("resource", "999", "Choose a resource from the list"),
        ("result_type", "photo", "Not a valid choice"),
    ],
)
def test_bad_item_input_is_reported_next_to_the_field_and_nothing_is_written(client, admin, lab, field, value, message):
    response = client.post("/admin/catalog/items/new", data=item_data(lab, **{field: value}))
    assert response.status_code == 422
    page = html(response)
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:200]
    assert ExamItem.select().count() == 0 and catalog_events() == 0


def test_choice_items_need_their_options(client, admin, lab):
    response = client.post("/admin/catalog/items/new", data=item_data(lab, result_type="choice", choices=""))
    assert response.status_code == 422 and "List at least two options" in html(response)
    ok = client.post(
        "/admin/catalog/items/new", data=item_data(lab, result_type="choice", choices=" Normal | Abnormal |Normal")
    )
    assert ok.status_code == 303
    assert ExamItem.get().choice_list == ["Normal", "Abnormal"]


def test_duplicate_code_is_refused_whatever_its_case(client, admin, lab):
    factories.make_item("GLU", department=lab)
    response = client.post("/admin/catalog/items/new", data=item_data(lab, code="glu"))
    assert response.status_code == 422
    assert "The code glu is already used." in html(response)
    assert ExamItem.select().count() == 1


def test_edit_page_saves_every_field_and_keeps_its_own_code(client, admin, lab):
    item = factories.make_item("GLU", department=lab, price="10")
    page = html(client.get(f"/admin/catalog/items/{item.id}/edit"))
    assert 'value="GLU"' in page and 'value="10.00"' in page
    response = client.post(f"/admin/catalog/items/{item.id}/edit", data=item_data(lab, price="12", unit="mg/dL"))
    assert response.status_code == 303
    item = ExamItem.get_by_id(item.id)
    assert (item.price, item.unit, item.prep_note_en) == (Decimal("12.00"), "mg/dL", "Fast for 8 hours.")
    event = AuditEvent.get(AuditEvent.action == "catalog.item_updated")
    assert "mg/dL" in event.detail


def test_an_item_with_ranges_cannot_become_a_text_item(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    factories.make_range(item)
    response = client.post(f"/admin/catalog/items/{item.id}/edit", data=item_data(lab, result_type="text"))
    assert response.status_code == 422 and "delete them before making it non-numeric" in html(response)
    assert ExamItem.get_by_id(item.id).result_type == "numeric"


def test_missing_items_are_404(client, admin):
    for url in ("/admin/catalog/items/999", "/admin/catalog/items/999/edit", "/admin/catalog/items/999/row/edit"):
        assert client.get(url).status_code == 404
    assert client.post("/admin/catalog/items/999/delete").status_code == 404
    assert client.get("/admin/catalog/items/abc").status_code == 404
    assert client.get(f"/admin/catalog/items/{10**30}").status_code == 404  # beyond any id column, not a 500


# --- inline validation ------------------------------------------------------------------------------


def test_inline_validation_reports_one_field_and_writes_nothing(client, admin, lab):
    factories.make_item("GLU", department=lab)
    before = factories.row_counts(ExamItem, AuditEvent), catalog_events()
    taken = client.post("/admin/catalog/items/validate/code", data=item_data(lab), headers=HX)
    assert taken.status_code == 200
    fragment = html(taken)
    assert "<html" not in fragment and 'id="code-field"' in fragment and "already used" in fragment
    assert 'aria-invalid="true"' in fragment and 'hx-post="/admin/catalog/items/validate/code"' in fragment
    bad_price = html(client.post("/admin/catalog/items/validate/price", data=item_data(lab, price="abc"), headers=HX))
    assert "Enter a number" in bad_price and 'value="abc"' in bad_price
    fine = html(client.post("/admin/catalog/items/validate/code", data=item_data(lab, code="NEW"), headers=HX))
    assert "field-error" not in fine
    assert (factories.row_counts(ExamItem, AuditEvent), catalog_events()) == before


def test_inline_validation_on_the_edit_page_accepts_the_items_own_code(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    response = client.post(f"/admin/catalog/items/{item.id}/validate/code", data=item_data(lab), headers=HX)
    assert "field-error" not in html(response)
    assert client.post("/admin/catalog/items/validate/password", data={}, headers=HX).status_code == 404


# --- inline row edit --------------------------------------------------------------------------------


def test_edit_row_swaps_in_a_form_and_save_swaps_back_the_row(client, admin, lab):
    item = factories.make_item("GLU", department=lab, price="10", name_en="Glucose")
    row_form = html(client.get(f"/admin/catalog/items/{item.id}/row/edit", headers=HX))
    assert row_form.lstrip().startswith("<tr") and "<html" not in row_form
    assert f'name="item-{item.id}-price"' in row_form and f'form="item-{item.id}-form"' in row_form
    prefix = f"item-{item.id}-"
    saved = client.post(
        f"/admin/catalog/items/{item.id}/row",
        headers=HX,
        data={
            prefix + "name_en": "Blood glucose",
            prefix + "name_zh": "血糖",
            prefix + "unit": "mmol/L",
            prefix + "price": "11.5",
            prefix + "active": "y",
        },
    )
    assert saved.status_code == 200
    row = html(saved)
    assert row.lstrip().startswith("<tr") and "Blood glucose" in row and "11.50" in row and "<input" not in row
    item = ExamItem.get_by_id(item.id)
    assert (item.name_en, item.price, item.active) == ("Blood glucose", Decimal("11.50"), True)
    cancel = html(client.get(f"/admin/catalog/items/{item.id}/row", headers=HX))
    assert "Blood glucose" in cancel and "<input" not in cancel


def test_row_errors_show_inside_the_row_and_change_nothing(client, admin, lab):
    item = factories.make_item("GLU", department=lab, price="10", name_en="Glucose")
    prefix = f"item-{item.id}-"
    data = {prefix + "name_en": "", prefix + "price": "abc", prefix + "active": "y"}
    swapped = client.post(f"/admin/catalog/items/{item.id}/row", headers=HX, data=data)
    assert swapped.status_code == 200  # htmx swaps only 2xx; the errors are in the row
    row = html(swapped)
    assert row.lstrip().startswith("<tr") and "This field is required." in row and "Enter a number" in row
    assert f'id="{prefix}price-error"' in row
    plain = client.post(f"/admin/catalog/items/{item.id}/row", data=data)
    assert plain.status_code == 422 and "<html" in html(plain)
    item = ExamItem.get_by_id(item.id)
    assert (item.name_en, item.price) == ("Glucose", Decimal("10.00"))


def test_row_edit_works_without_javascript(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    page = html(client.get(f"/admin/catalog/items/{item.id}/row/edit"))
    assert "<html" in page and f'action="/admin/catalog/items/{item.id}/row"' in page
    prefix = f"item-{item.id}-"
    response = client.post(
        f"/admin/catalog/items/{item.id}/row",
        data={prefix + "name_en": "Glucose", prefix + "price": "9", prefix + "unit": ""},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/catalog/items")
    assert ExamItem.get_by_id(item.id).active is False  # an unticked box is sent as nothing
    assert client.get(f"/admin/catalog/items/{item.id}/row").status_code == 302


# --- delete -----------------------------------------------------------------------------------------


def test_deleting_an_item_used_by_a_package_is_refused_with_the_package_named(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    factories.make_package("BASIC", items=[item])
    factories.make_package("FULL", items=[item])
    response = client.post(f"/admin/catalog/items/{item.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/items/{item.id}")
    page = html(client.get(response.headers["Location"]))
    assert "Used by package(s): BASIC, FULL; remove it from them first." in page
    assert ExamItem.select().count() == 1
    assert not AuditEvent.select().where(AuditEvent.action == "catalog.item_deleted").exists()


def test_deleting_an_unused_item_takes_its_ranges_with_it(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    factories.make_range(item)
    response = client.post(f"/admin/catalog/items/{item.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/catalog/items")
    assert ExamItem.select().count() == 0 and ReferenceRange.select().count() == 0
    assert "Item GLU deleted." in html(client.get("/admin/catalog/items"))
    assert AuditEvent.select().where(AuditEvent.action == "catalog.item_deleted").count() == 1


def test_htmx_delete_redirects_the_whole_page(client, admin, lab):
    item = factories.make_item("GLU", department=lab)
    response = client.post(f"/admin/catalog/items/{item.id}/delete", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/admin/catalog/items"


# --- the service on its own ----------------------------------------------------------------------------


def test_service_collects_every_field_problem_at_once_and_writes_nothing(lab):
    with pytest.raises(ValidationError) as raised:
        catalog.create_item(
            Actor(),
            {
                "code": "",
                "name_en": "n" * 200,
                "department": lab.id,
                "result_type": "choice",
                "choices": "only one",
                "price": "-1",
            },
        )
    assert set(raised.value.field_errors) == {"code", "name_en", "choices", "price"}
    assert ExamItem.select().count() == 0 and catalog_events() == 0


def test_service_updates_only_what_it_is_given_and_refuses_a_used_item_delete(lab):
    item = catalog.create_item(
        Actor(),
        {"code": "GLU", "name_en": "Glucose", "department": lab.id, "result_type": "numeric", "price": Decimal("10")},
    )
    updated = catalog.update_item(Actor(), item.id, {"price": "12.5"})
    assert (updated.price, updated.name_en, updated.department_id) == (Decimal("12.50"), "Glucose", lab.id)
    factories.make_package("BASIC", items=[item])
    with pytest.raises(Conflict) as refused:
        catalog.delete_item(Actor(), item.id)
    assert "BASIC" in str(refused.value.message)
    assert [e.action for e in AuditEvent.select().order_by(AuditEvent.id)] == [
        "catalog.item_created",
        "catalog.item_updated",
    ]
