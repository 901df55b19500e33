"""The catalog for the exam floor: containers, stations and their order, item eligibility, add-on modules
(the admin's pages and the rules behind them), and the demo catalog that uses them."""

from decimal import Decimal

import pytest

from checkup.demo import demo_data
from checkup.models import AddonModule, AddonModuleItem, AuditEvent, ExamItem, StationOrderRule
from checkup.models.catalog import CONTAINER_CODES
from checkup.services.catalog import containers, station_order
from checkup.services.catalog.station_order import Stop
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def floor(app):
    class Floor:
        lab = factories.make_department("LAB-LIVER", name_en="Liver function", sort_order=1)
        draw = factories.make_department("DRAW", name_en="Blood draw", name_zh="采血室", sort_order=2)
        us = factories.make_department("US", name_en="Ultrasound", sort_order=3)
        endo = factories.make_department("ENDO", name_en="Endoscopy", sort_order=4)
        alt = factories.make_item("ALT", lab, price="20.00", container="SST", station=draw, fasting=True)
        psa = factories.make_item("TPSA", lab, price="80.00", container="SST", station=draw, sex="male")
        ca125 = factories.make_item("CA125", lab, price="90.00", container="SST", station=draw, sex="female")

    return Floor


def html(response):
    return response.get_data(as_text=True)


# --- the order of stations ---------------------------------------------------------------------------


def stop(sid, order, fasting=False):
    return Stop(sid, order, f"S{sid}", fasting=fasting)


def test_fasting_stations_come_first_then_the_sort_order():
    stops = [stop(1, 1), stop(2, 2, fasting=True), stop(3, 3), stop(4, 4, fasting=True)]
    assert [s.station_id for s in station_order.order_stations(stops, [])] == [2, 4, 1, 3]


def test_an_order_rule_holds_even_across_the_fasting_line():
    # 3 (not fasting) must come before 2 (fasting): the rule wins, and 2 still comes as early as it can
    stops = [stop(1, 1), stop(2, 2, fasting=True), stop(3, 3)]
    ordered = station_order.order_stations(stops, [(3, 2), (9, 1)])  # a rule naming an absent station is ignored
    assert [s.station_id for s in ordered] == [3, 2, 1]


def test_a_cycle_of_rules_is_broken_by_the_base_order_and_no_station_is_lost():
    stops = [stop(1, 1), stop(2, 2), stop(3, 3)]
    ordered = station_order.order_stations(stops, [(1, 2), (2, 1), (3, 1)])
    assert sorted(s.station_id for s in ordered) == [1, 2, 3]
    assert [s.station_id for s in ordered].index(3) < [s.station_id for s in ordered].index(1)


def test_containers_are_filled_in_draw_order_once_each():
    assert containers.in_draw_order(["EDTA", "SST", "CIT", "SST", "URINE", "", "nope", "FLU"]) == [
        "CIT",
        "SST",
        "EDTA",
        "FLU",
        "URINE",
    ]
    assert set(containers.CONTAINERS) == set(CONTAINER_CODES)


# --- items: container, station, fasting, eligibility ---------------------------------------------------


def item_data(department, **overrides):
    data = {
        "code": "HBA1C",
        "name_en": "HbA1c",
        "name_zh": "糖化血红蛋白",
        "department": str(department.id),
        "unit": "%",
        "result_type": "numeric",
        "choices": "",
        "price": "40",
        "prep_note_en": "",
        "prep_note_zh": "",
        "resource": "",
        "container": "EDTA",
        "station": "",
        "fasting": "y",
        "sex": "any",
        "age_min": "0",
        "age_max": "120",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_admin_gives_an_item_its_container_station_fasting_and_eligibility(client, admin, floor):
    form = html(client.get("/admin/catalog/items/new"))
    assert "EDTA tube (purple cap)" in form and "Blood draw" in form and 'name="fasting"' in form
    data = item_data(floor.lab, station=str(floor.draw.id), sex="female", age_min="35", age_max="70")
    response = client.post("/admin/catalog/items/new", data=data)
    assert response.status_code == 303
    item = ExamItem.get(ExamItem.code == "HBA1C")
    assert (item.container, item.station_id, item.fasting, item.sex, item.age_min, item.age_max) == (
        "EDTA",
        floor.draw.id,
        True,
        "female",
        35,
        70,
    )
    page = html(client.get(f"/admin/catalog/items/{item.id}"))
    assert "EDTA tube (purple cap)" in page and "Blood draw" in page and "done fasting" in page
    response = client.post(f"/admin/catalog/items/{item.id}/edit", data=dict(data, container="", fasting=""))
    assert response.status_code == 303
    item = ExamItem.get_by_id(item.id)
    assert (item.container, item.fasting) == ("", False)
    (event,) = AuditEvent.select().where(AuditEvent.action == "catalog.item_updated")
    assert "container" in event.detail and "fasting" in event.detail


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("container", "BLOOD", "Choose a container from the list"),
        ("station", "999999", "Choose a station from the list"),
        ("sex", "other", "Choose any, male or female"),
        ("age_max", "10", "The highest age must not be below the lowest age"),
    ],
)
def test_a_bad_container_station_or_age_is_refused_on_its_field(client, admin, floor, field, value, message):
    data = item_data(floor.lab, **{field: value, "age_min": "20"})
    response = client.post("/admin/catalog/items/new", data=data)
    assert response.status_code == 422
    assert message in html(response)
    assert not ExamItem.select().where(ExamItem.code == "HBA1C").exists()


# --- add-on modules -----------------------------------------------------------------------------------


def module_data(items, **overrides):
    data = {
        "code": "TUMOR-F",
        "name_en": "Tumour markers for women",
        "name_zh": "女性肿瘤标志物",
        "description_en": "",
        "description_zh": "",
        "sex": "female",
        "age_min": "18",
        "age_max": "120",
        "price": "280",
        "sort_order": "1",
        "items": [str(i.id) for i in items],
        "active": "y",
    }
    data.update(overrides)
    return data


def test_admin_creates_lists_and_edits_an_addon_module(client, admin, floor, count_queries):
    page = html(client.get("/admin/catalog/modules/new"))
    assert "CA125" in page and "Female" in page  # items show the sex they are for
    response = client.post("/admin/catalog/modules/new", data=module_data([floor.alt, floor.ca125]))
    assert response.status_code == 303
    module = AddonModule.get(AddonModule.code == "TUMOR-F")
    assert (module.sex, module.price) == ("female", Decimal("280"))
    assert {r.item_id for r in AddonModuleItem.select().where(AddonModuleItem.module == module.id)} == {
        floor.alt.id,
        floor.ca125.id,
    }
    factories.make_module("THY", [floor.alt], price="150")
    with count_queries() as few:
        listing = html(client.get("/admin/catalog/modules"))
    factories.make_module("BMD", [floor.alt], price="120")
    with count_queries() as more:
        client.get("/admin/catalog/modules")
    assert few.count == more.count  # one query for the modules whatever their number
    assert "女性肿瘤标志物" in listing or "Tumour markers for women" in listing
    assert "110.00" in listing  # the items' list prices, next to the module price
    response = client.post(f"/admin/catalog/modules/{module.id}/edit", data=module_data([floor.ca125], price="99"))
    assert response.status_code == 303
    assert AddonModule.get_by_id(module.id).price == Decimal("99")
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert "catalog.module_created" in actions and "catalog.module_updated" in actions


def test_a_module_for_women_cannot_hold_an_item_for_men(client, admin, floor):
    response = client.post("/admin/catalog/modules/new", data=module_data([floor.ca125, floor.psa]))
    assert response.status_code == 422
    assert "not for the module&#39;s sex: TPSA" in html(response) or "not for the module's sex: TPSA" in html(response)
    assert not AddonModule.select().exists()


def test_a_module_can_be_withdrawn_from_sale(client, admin, floor):
    module = factories.make_module("THY", [floor.alt], price="150")
    response = client.post(
        f"/admin/catalog/modules/{module.id}/active", data={"active": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "Not offered" in html(response)
    assert AddonModule.get_by_id(module.id).active is False


def test_an_item_in_a_module_is_not_deleted(client, admin, floor):
    factories.make_module("LIVER", [floor.alt])
    client.post(f"/admin/catalog/items/{floor.alt.id}/delete")
    assert ExamItem.select().where(ExamItem.id == floor.alt.id).exists()


# --- order rules -------------------------------------------------------------------------------------


def test_admin_adds_an_order_rule_and_the_opposite_one_is_refused(client, admin, floor):
    page = html(client.get("/admin/catalog/station-order"))
    assert "No order rules yet." in page
    data = {"before": str(floor.us.id), "after": str(floor.endo.id), "note_en": "Ultrasound first", "note_zh": ""}
    assert client.post("/admin/catalog/station-order", data=data).status_code == 303
    assert [(r.before_id, r.after_id) for r in StationOrderRule.select()] == [(floor.us.id, floor.endo.id)]
    refused = client.post("/admin/catalog/station-order", data=dict(data, before=data["after"], after=data["before"]))
    assert refused.status_code == 422 and "The opposite rule exists already" in html(refused)
    same = client.post("/admin/catalog/station-order", data=dict(data, after=data["before"]))
    assert same.status_code == 422 and "Choose two different stations." in html(same)
    assert StationOrderRule.select().count() == 1
    rule = StationOrderRule.get()
    assert client.post(f"/admin/catalog/station-order/{rule.id}/delete").status_code == 303
    assert not StationOrderRule.select().exists()
    assert client.post("/admin/catalog/station-order/999999/delete").status_code == 404


# --- the demo catalog ---------------------------------------------------------------------------------


def test_every_demo_lab_item_has_a_container_and_a_station():
    departments = {d[0] for d in demo_data.DEPARTMENTS}
    lab_items = [i["code"] for i in demo_data.EXAM_ITEMS if i["department"].startswith("LAB-")]
    assert lab_items and set(lab_items) == set(demo_data.ITEM_CONTAINERS)
    assert set(demo_data.ITEM_CONTAINERS.values()) <= set(CONTAINER_CODES)
    assert set(demo_data.ITEM_STATIONS) == set(demo_data.ITEM_CONTAINERS)
    assert set(demo_data.ITEM_STATIONS.values()) <= departments
    physical = [i["code"] for i in demo_data.EXAM_ITEMS if not i["department"].startswith("LAB-")]
    assert not set(physical) & set(demo_data.ITEM_CONTAINERS)  # physical and imaging items take none
    assert {first for first, *_ in demo_data.STATION_ORDER_RULES} | {
        then for _f, then, *_ in demo_data.STATION_ORDER_RULES
    } <= departments


def test_demo_modules_fit_the_sex_of_their_items():
    items = {i["code"] for i in demo_data.EXAM_ITEMS}
    assert len(demo_data.ADDON_MODULES) >= 8
    for module in demo_data.ADDON_MODULES:
        assert set(module["items"]) <= items, module["code"]
        for code in module["items"]:
            if code in demo_data.MALE_ONLY_ITEMS:
                assert module["sex"] == "male", (module["code"], code)
            if code in demo_data.FEMALE_ONLY_ITEMS:
                assert module["sex"] == "female", (module["code"], code)
    by_code = {m["code"]: m for m in demo_data.ADDON_MODULES}
    assert by_code["PROSTATE"]["sex"] == "male" and by_code["TUMOR-F"]["sex"] == "female"
