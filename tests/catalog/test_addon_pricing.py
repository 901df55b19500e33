"""An add-on module's price lives with the modules in the catalog (services/catalog/addon_modules.py): the
module's price for the items it still adds to a package, and that price split over its items to the cent.
The booking quotes with it."""

from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.models import AppointmentAddon, AppointmentItem
from checkup.services.booking import booking
from checkup.services.catalog import addon_modules
from tests import factories
from tests.booking_helpers import Center

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def center(app):
    center = Center()
    dept = factories.make_department("LAB-THY")
    center.tsh = factories.make_item("TSH", dept, price="40.00")
    center.ft3 = factories.make_item("FT3", dept, price="30.00")
    center.ft4 = factories.make_item("FT4", dept, price="30.00")
    factories.make_module("THYROID", [center.tsh, center.ft3, center.ft4], price="80.00")
    return center


def thyroid():
    (module,) = addon_modules.active_modules_with_items(["THYROID"])
    return module


def test_the_module_price_drops_in_proportion_to_what_the_package_already_has(center):
    module = thyroid()
    assert addon_modules.module_price(module, [center.tsh, center.ft3, center.ft4]) == Decimal("80.00")
    assert addon_modules.module_price(module, [center.ft3, center.ft4]) == Decimal("48.00")  # 60 of 100
    assert addon_modules.module_price(module, [center.ft4]) == Decimal("24.00")


def test_the_price_splits_over_the_items_to_the_cent_the_last_taking_the_rounding(center):
    shares = addon_modules.price_shares(Decimal("80.00"), [center.tsh, center.ft3, center.ft4])
    assert shares == [Decimal("32.00"), Decimal("24.00"), Decimal("24.00")]
    odd = addon_modules.price_shares(Decimal("10.00"), [center.ft3, center.ft3, center.ft3])
    assert odd == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")] and sum(odd) == Decimal("10.00")
    free = factories.make_item("FREE", price="0.00")
    assert addon_modules.price_shares(Decimal("1.00"), [free, free]) == [Decimal("0.50"), Decimal("0.50")]


def test_the_booking_prices_a_module_with_the_catalog_s_rule(center):
    package = factories.make_package("THY-PKG", [center.blood, center.tsh], price="150.00")
    appointment = booking.book(Actor(), factories.make_client().id, center.slot.id, package.code, ["THYROID"])
    (addon,) = AppointmentAddon.select().where(AppointmentAddon.appointment == appointment.id)
    assert addon.price == addon_modules.module_price(thyroid(), [center.ft3, center.ft4]) == Decimal("48.00")
    lines = {
        r.item.code: r.price
        for r in AppointmentItem.select().where(AppointmentItem.appointment == appointment.id, AppointmentItem.is_addon)
    }
    assert lines == {"FT3": Decimal("24.00"), "FT4": Decimal("24.00")}
