"""The package and module forms and an item's page as a GET prints them: kept per language and what they show
(blueprints/admin/catalog_rows.kept_form, kept_item_body), the same markup as the templates print afresh, each
request with its own CSRF token; a change shows at once and a form sent back with errors is never kept."""

import re

import pytest
from flask import render_template
from flask_babel import force_locale

from checkup.blueprints.admin import catalog_rows
from checkup.forms.catalog import ModuleForm, PackageForm, RangeForm
from checkup.models import ExamItem, Package
from checkup.services.catalog import addon_modules, catalog, catalog_packages, containers
from tests import factories

pytestmark = pytest.mark.both_dbs

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def catalog_rows_of_items(app):
    lab = factories.make_department("LAB", name_en="Laboratory", name_zh="检验科", sort_order=1)
    img = factories.make_department("IMG", name_en="Imaging", name_zh="影像科", sort_order=2)
    glu = factories.make_item("GLU", department=lab, price="25.50", name_zh="血糖", result_type="numeric")
    alt = factories.make_item("ALT", department=lab, price="30", sex="male", name_en="ALT <liver>")
    old = factories.make_item("OLD", department=img, price="400", active=False)
    factories.make_range(glu, low="3.9", high="6.1")
    return glu, alt, old


def _body(page):
    return TOKEN.sub("-", page[page.index("<h1>") : page.index("</main>")]).rstrip()


def _fresh_page(app, path, language, template, context):
    """The page as its template prints it with everything built now (its form part included, never kept)."""
    with app.test_request_context(path), force_locale(language):
        return _body(render_template(template, **context()))


def _package_context(package_id):
    def context():
        package = catalog_packages.get_package(package_id) if package_id else None
        selected = set(catalog_packages.package_item_ids(package_id)) if package_id else set()
        data = {k: getattr(package, k) for k in catalog_packages.PACKAGE_FIELDS} if package else None
        form = PackageForm(data={**data, "items": [str(i) for i in selected]}) if data else PackageForm()
        groups = catalog_packages.items_by_department(selected)
        return {"form": form, "package": package, "item_checkboxes": catalog_rows.item_groups(groups, selected)}

    return context


def _module_context(module_id):
    def context():
        module = addon_modules.get_module(module_id) if module_id else None
        selected = set(addon_modules.module_item_ids(module_id)) if module_id else set()
        data = {k: getattr(module, k) for k in addon_modules.MODULE_FIELDS} if module else None
        form = ModuleForm(data={**data, "items": [str(i) for i in selected]}) if data else ModuleForm()
        groups = catalog_packages.items_by_department(selected)
        return {"form": form, "module": module, "item_checkboxes": catalog_rows.item_groups(groups, selected, True)}

    return context


def _item_context(item_id):
    def context():
        item = catalog.get_item(item_id)
        return {
            "item": item,
            "container": containers.container(item.container),
            "ranges": catalog.item_ranges(item.id),
            "range_form": RangeForm(formdata=None),
        }

    return context


@pytest.mark.parametrize("language", ["en", "zh"])
def test_kept_pages_are_the_fresh_ones_with_each_session_its_own_token(
    app, client, make_user, catalog_rows_of_items, language
):
    app.config["WTF_CSRF_ENABLED"] = True
    glu, alt, old = catalog_rows_of_items
    package = factories.make_package("BASIC", items=[glu, old], name_zh="基础 & <套餐>", description_en="a\r\nb")
    module = factories.make_module("EXTRA", items=[alt], sex="male", sort_order=3)
    factories.sign_in_directly(client, make_user("admin"))
    other = app.test_client()
    factories.sign_in_directly(other, make_user("admin"))
    headers = {"Accept-Language": language}
    pages = [
        (f"/admin/catalog/packages/{package.id}/edit", "catalog/package_form.html", _package_context(package.id)),
        ("/admin/catalog/packages/new", "catalog/package_form.html", _package_context(None)),
        (f"/admin/catalog/modules/{module.id}/edit", "catalog/module_form.html", _module_context(module.id)),
        ("/admin/catalog/modules/new", "catalog/module_form.html", _module_context(None)),
        (f"/admin/catalog/items/{glu.id}", "catalog/item_detail.html", _item_context(glu.id)),
        (f"/admin/catalog/items/{alt.id}", "catalog/item_detail.html", _item_context(alt.id)),
    ]
    for path, template, context in pages:
        first = client.get(path, headers=headers).get_data(as_text=True)
        second = client.get(path, headers=headers).get_data(as_text=True)
        assert _body(first) == _body(second) == _fresh_page(app, path, language, template, context), path
        tokens = set(TOKEN.findall(second))
        assert len(tokens) == 1, path  # every form on the page carries the request's own token
        theirs = other.get(path, headers=headers).get_data(as_text=True)
        assert set(TOKEN.findall(theirs)).isdisjoint(tokens) and _body(theirs) == _body(second), path


def test_a_changed_package_item_or_language_shows_at_once(client, admin, catalog_rows_of_items):
    glu, alt, old = catalog_rows_of_items
    package = factories.make_package("BASIC", items=[glu])
    path = f"/admin/catalog/packages/{package.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert f'value="{glu.id}" checked' in page and f'value="{alt.id}" >' in page and "OLD" not in page
    Package.update(name_en="Renamed package").where(Package.id == package.id).execute()
    factories.make_package("OTHER", items=[alt])  # another package's items are not this one's
    page = client.get(path).get_data(as_text=True)
    assert 'value="Renamed package"' in page and f'value="{alt.id}" >' in page
    ExamItem.update(name_en="Fasting glucose", price=26).where(ExamItem.id == glu.id).execute()
    ExamItem.update(active=True).where(ExamItem.id == old.id).execute()
    page = client.get(path).get_data(as_text=True)
    assert "GLU · Fasting glucose" in page and "(26.00)" in page and f'id="items-{old.id}"' in page
    zh = client.get(path, headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "GLU · 血糖" in zh and "影像科" in zh and "Imaging" not in zh


def test_an_item_page_shows_a_new_range_and_station_at_once(client, admin, catalog_rows_of_items):
    glu = catalog_rows_of_items[0]
    path = f"/admin/catalog/items/{glu.id}"
    assert "6.1" in client.get(path).get_data(as_text=True)
    factories.make_range(glu, sex="male", low="4.2", high="7.7", age_min=60)
    station = factories.make_department("US", name_en="Ultrasound room")
    ExamItem.update(station=station).where(ExamItem.id == glu.id).execute()
    page = client.get(path).get_data(as_text=True)
    assert "7.7" in page and "Ultrasound room" in page


def test_forms_sent_back_with_errors_are_printed_with_them_and_not_kept(client, admin, catalog_rows_of_items):
    glu = catalog_rows_of_items[0]
    package = factories.make_package("BASIC", items=[glu])
    path = f"/admin/catalog/packages/{package.id}/edit"
    client.get(path)
    refused = client.post(path, data={"code": "", "name_en": "Mine <b>", "items": []})
    assert refused.status_code == 422
    assert "Choose at least one item." in refused.get_data(as_text=True)
    assert 'value="Mine &lt;b&gt;"' in refused.get_data(as_text=True)
    again = client.get(path).get_data(as_text=True)
    assert "Choose at least one item." not in again and "Mine" not in again and f'value="{glu.id}" checked' in again
    refused = client.post("/admin/catalog/modules/new", data={"name_en": "Half a module"}).get_data(as_text=True)
    assert "Half a module" in refused
    assert "Half a module" not in client.get("/admin/catalog/modules/new").get_data(as_text=True)
    refused = client.post(f"/admin/catalog/items/{glu.id}/ranges", data={"sex": "any", "age_min": "9", "age_max": "2"})
    assert refused.status_code == 422 and "must not be below" in refused.get_data(as_text=True)
    assert "must not be below" not in client.get(f"/admin/catalog/items/{glu.id}").get_data(as_text=True)


def test_missing_records_answer_404(client, admin):
    for path in (
        "/admin/catalog/packages/987654/edit",
        "/admin/catalog/modules/987654/edit",
        "/admin/catalog/items/987654",
    ):
        assert client.get(path).status_code == 404
