"""The catalog's lists read plain rows (services/catalog): the item list's rows and the one row an inline edit
swaps back are the same markup, and the package and module forms' checkboxes show names and prices as the
item's own page does, in either language."""

import re

import pytest
from flask_babel import force_locale

from checkup.services.catalog import catalog, catalog_packages
from tests import factories
from tests.catalog import HX

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def items(app):
    lab = factories.make_department("LAB", name_en="Laboratory", name_zh="检验科", sort_order=1)
    scan = factories.make_department("IMG", name_en="Imaging", name_zh="", sort_order=2)
    ct = factories.make_resource("CT", name_en="CT scanner", name_zh="CT机")
    return [
        factories.make_item("GLU", lab, "25.5", name_en="Fasting glucose", name_zh="空腹血糖"),
        factories.make_item("CT1", scan, "380", name_en="Chest CT", resource=ct, sex="male"),
        factories.make_item("OLD", lab, "1", name_en="Retired test", active=False),
    ]


def _row(page, item_id):
    return re.search(rf'<tr id="item-{item_id}">.*?</tr>', page, re.S).group()


def test_a_swapped_row_is_the_row_the_list_shows(client, admin, items):
    listed = client.get("/admin/catalog/items").get_data(as_text=True)
    for item in items:
        alone = client.get(f"/admin/catalog/items/{item.id}/row", headers=HX).get_data(as_text=True)
        assert _row(alone, item.id) == _row(listed, item.id)
    ct_row = _row(listed, items[1].id)
    assert "380.00" in ct_row and "CT scanner" in ct_row and "Imaging" in ct_row
    assert '<span class="badge cancelled">Inactive</span>' in _row(listed, items[2].id)


def test_list_rows_match_the_models_in_chinese_too(app, items):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        rows = {row.id: row for row in catalog.list_items()}
        for item in items:
            assert rows[item.id] == catalog.item_list_row(catalog.get_item(item.id))
        assert rows[items[0].id].name == "空腹血糖" and rows[items[0].id].department == "检验科"
        assert rows[items[1].id].department == "Imaging" and rows[items[1].id].resource == "CT机"


def test_package_checkboxes_name_price_and_group_the_items(app, items):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        groups = catalog_packages.items_by_department({items[2].id})
    assert [name for name, _ in groups] == ["检验科", "Imaging"]
    lab_items = groups[0][1]
    assert [(i.code, i.name, i.price, i.active) for i in lab_items] == [
        ("GLU", "空腹血糖", "25.50", True),
        ("OLD", "Retired test", "1.00", False),
    ]
    with app.test_request_context():
        assert [i.code for _, group in catalog_packages.items_by_department() for i in group] == ["GLU", "CT1"]
