"""Shared reads made cheap for a big center (#16): the active add-on modules with their items, a client's
staff accesses, the weekly template form and an appointment's details read as before, through prepared
statements, in a fixed number of queries."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from checkup.core import audit
from checkup.core.audit import Actor
from checkup.forms.capacity import template_form
from checkup.models import AddonModule
from checkup.services.access import access_log
from checkup.services.catalog import addon_modules
from checkup.services.mail import booking_mail
from tests import factories

pytestmark = pytest.mark.both_dbs


def test_active_modules_carry_their_items_by_code_in_one_query_and_follow_catalog_writes(app, count_queries):
    b, a, c = factories.make_item("B-ITEM", price="20.00"), factories.make_item("A-ITEM"), factories.make_item("C")
    first = factories.make_module("FIRST", [b, a], price="25.00", sort_order=1)
    factories.make_module("SECOND", [c, a], sort_order=2)
    factories.make_module("OFF", [a, b, c], active=False)
    factories.make_module("EMPTY", [], sort_order=3)  # a module with no item (yet)
    with count_queries() as q:
        modules = addon_modules.active_modules_with_items()
    assert q.count == 1
    assert [m.code for m in modules] == ["FIRST", "SECOND", "EMPTY"]
    assert [[link.item.code for link in m.module_items] for m in modules] == [["A-ITEM", "B-ITEM"], ["A-ITEM", "C"], []]
    module = modules[0]
    assert all(link.module is module and link.item_id == link.item.id for link in module.module_items)
    assert module.price == first.price and addon_modules.module_price(module, [b]) == Decimal("16.67")  # 20 of 30
    assert not module.is_dirty() and not module.module_items[0].item.is_dirty()
    assert [m.code for m in addon_modules.active_modules_with_items(["SECOND", "OFF", "NONE"])] == ["SECOND"]
    assert addon_modules.active_modules_with_items([]) == []
    AddonModule.update(active=False).where(AddonModule.id == first.id).execute()
    assert [m.code for m in addon_modules.active_modules_with_items()] == ["SECOND", "EMPTY"]


def test_staff_accesses_count_and_page_past_the_end_clamped(app, count_queries):
    client = factories.make_client()
    admin = factories.make_user("admin", "scheduler")
    empty = access_log.staff_accesses(client.id, 3)
    assert (empty.items, empty.number, empty.pages, empty.total) == ([], 1, 1, 0)
    for _ in range(30):
        audit.record(Actor(admin), "directory.client_viewed", client)
    with count_queries() as q:
        page = access_log.staff_accesses(client.id, 9)
    assert q.count == 3
    assert (page.number, page.pages, page.total, len(page.items)) == (2, 2, 30, 5)
    assert {(a.user_id, a.roles, str(a.purpose)) for a in page.items} == {
        (admin.id, ("admin", "scheduler"), "Opened your client record")
    }
    first = access_log.staff_accesses(client.id)
    assert len(first.items) == 25 and first.items[0].at >= first.items[-1].at >= page.items[0].at


def test_the_template_form_class_is_made_once_per_resources_and_labels(app):
    resources = [SimpleNamespace(id=1, daily_capacity=5), SimpleNamespace(id=2, daily_capacity=7)]
    with app.test_request_context():
        one = template_form(resources, {1: "CT · CT", 2: "MR · MR"})
        two = template_form(resources, {1: "CT · CT", 2: "MR · MR"})
        renamed = template_form(resources, {1: "CT · Scanner", 2: "MR · MR"})
        assert type(one) is type(two) and type(renamed) is not type(one)
        assert [f.label.text for f in renamed.resource_fields] == ["CT · Scanner", "MR · MR"]
        assert [f.data for f in one.resource_fields] == [5, 7]
        assert [entry.form.start.label.text for entry in one.slots][:2] == ["Start of slot 1", "Start of slot 2"]
        assert one.slots[2].form.capacity.label.text == "Capacity of slot 3"


def test_appointment_details_of_no_appointment(app, count_queries):
    with count_queries() as q:
        assert booking_mail.appointment_details(2_000_000_000) == (None, [])
    assert q.count == 1


def test_the_roles_of_few_some_and_many_accounts(app):
    client = factories.make_client()
    staff = [factories.make_user("physician", *(("chief",) if n % 2 else ())) for n in range(27)]
    for count in (1, 2, 6, 27):
        for user in staff[:count]:
            audit.record(Actor(user), "directory.client_viewed", client)
        accesses = access_log.all_staff_accesses(client.id)
        expected = {u.id: ("physician", "chief") if n % 2 else ("physician",) for n, u in enumerate(staff[:count])}
        assert {a.user_id: a.roles for a in accesses} == expected
