"""What the desk's booking page shows from the catalog (#16), read in one statement of plain columns: the
active packages, the items of the package the page shows (the one asked for, else the first that fits the
client) and the active add-on modules with their items.

The page used to read these in three statements and build some 120 model objects (packages, a package's
~40 items, ~11 modules, their ~29 links and items) to print a few dozen values. Here the rows are plain
tuples and the page's figures (the offers, the quote's resources, the add-on choices and their prices) are
worked out as ``packages.offers_for``, ``booking.quote`` and ``booking.addon_choices`` work them out:
tests/booking/test_desk_booking_choices.py checks them against those on many clients, days and choices.
Nothing here is kept between requests: an admin's catalog edit shows on the next page."""

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from peewee import SQL

from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import AddonModule, AddonModuleItem, ExamItem, Package, PackageItem
from checkup.services.catalog.addon_modules import shared_price
from checkup.services.catalog.packages import fits

# the kinds of rows, in the order the statement returns them
_PACKAGE, _PACKAGE_ITEM, _MODULE_ITEM = 0, 1, 2
_NULL = SQL("NULL")
# an exam item's columns in every kind of row (a package's rows have NULLs in their place)
_ITEM_COLUMNS = (ExamItem.id, ExamItem.price, ExamItem.sex, ExamItem.age_min, ExamItem.age_max, ExamItem.resource)


class Choice:
    """A package or an add-on module as the page prints it (``localized`` reads its names)."""

    __slots__ = ("id", "code", "name_en", "name_zh", "sex", "age_min", "age_max", "price", "items", "offered_price")

    def __init__(self, row):
        (_kind, self.id, self.code, self.name_en, self.name_zh, self.sex, self.age_min, self.age_max, price) = row[:9]
        self.price = price if type(price) is Decimal else Decimal(str(price))  # SQLite may give a float
        self.items = []
        self.offered_price = None


class Item(NamedTuple):
    """What the page needs of an exam item: whom it fits, its list price and its limited resource (a tuple:
    some 70 a page, built cheaper than a frozen dataclass's)."""

    id: int
    price: Decimal
    sex: str
    age_min: int
    age_max: int
    resource_id: int | None


_new_item = tuple.__new__


def _item(row):
    price = row[10]
    return _new_item(Item, (row[9], price if type(price) is Decimal else Decimal(str(price)), *row[11:15]))


def _modules_part():
    # first: its columns are the fields whose conversions SQLite's rows go through
    return (
        AddonModule.select(
            SQL("2"),
            AddonModule.id,
            AddonModule.code,
            AddonModule.name_en,
            AddonModule.name_zh,
            AddonModule.sex,
            AddonModule.age_min,
            AddonModule.age_max,
            AddonModule.price,
            *_ITEM_COLUMNS,
            AddonModule.sort_order,
            ExamItem.code,
            AddonModuleItem.id,
        )
        .join(AddonModuleItem)
        .join(ExamItem)
        .where(AddonModule.active == True)
    )


def _packages_part():
    return Package.select(
        SQL("0"),
        Package.id,
        Package.code,
        Package.name_en,
        Package.name_zh,
        Package.sex,
        Package.age_min,
        Package.age_max,
        Package.price,
        _NULL,
        _NULL,
        _NULL,
        _NULL,
        _NULL,
        _NULL,
        Package.price,
        _NULL,
        _NULL,
    ).where(Package.active == True)


def _shown_package(asked, sex, age, code):
    """The id of the active package the page shows, if it fits: ``code``'s when ``asked``, else the first by
    price that fits (``offers_for``'s first eligible offer)."""
    fitting = (
        Package.select(Package.id)
        .where(
            Package.active == True,
            (Package.sex == "any") | (Package.sex == sex),
            Package.age_min <= age,
            Package.age_max >= age,
        )
        .order_by(Package.price, Package.id)
        .limit(1)
    )
    return fitting.where(Package.code == code) if asked else fitting


def _package_items(package_id, *after):
    """A package's items as rows of kind 1: ``_item`` reads them; ``after``: columns the union adds."""
    return (
        PackageItem.select(SQL("1"), PackageItem.package, *[_NULL] * 7, *_ITEM_COLUMNS, *after)
        .join(ExamItem)
        .where(PackageItem.package == package_id)
    )


def _package_items_part(asked, sex, age, code):
    return _package_items(_shown_package(asked, sex, age, code), _NULL, _NULL, _NULL)


def _catalog_query(asked, sex, age, code):
    return (_modules_part() + _packages_part() + _package_items_part(asked, sex, age, code)).order_by(
        SQL("1"), SQL("16"), SQL("3"), SQL("17"), SQL("18")
    )


def _prepared(asked):
    def build(sex, age, code=None):
        return _catalog_query(asked, sex, age, code)

    samples = ("\x00sex", -2_000_000_001, "\x00code") if asked else ("\x00sex", -2_000_000_001)
    return PreparedSelect(build, f"checkup_desk_booking_catalog_{'asked' if asked else 'first'}", samples=samples)


_CATALOG = PerShape(_prepared)


# only when the page's package is not the one the statement picked (two packages of one price)
_ITEMS = PreparedSelect(_package_items, "checkup_desk_booking_package_items", samples=(-2_000_000_001,))


@dataclass
class BookingChoices:
    offers: list  # Choice: the active packages that fit, by price
    package: Choice | None  # the one shown
    resource_ids: list  # what ``booking.quote(...).resource_ids`` gives (the add-ons' too when they are allowed)
    modules: list  # Choice: ``booking.addon_choices``, each with ``offered_price``


def booking_choices(sex, age, asked_code, chosen):
    """The page's catalog for a client of ``sex`` aged ``age`` on the exam day: ``asked_code`` the package
    asked for ('' or None: the first that fits), ``chosen`` the add-on codes ticked. One statement (two
    when two fitting packages share the first price and the statement picked the other)."""
    asked = bool(asked_code)
    rows = _CATALOG(asked).plain(sex, age, asked_code) if asked else _CATALOG(asked).plain(sex, age)
    offers, modules, items, items_of = [], [], [], None
    module = None
    for row in rows:
        kind = row[0]
        if kind == _MODULE_ITEM:
            if module is None or module.id != row[1]:
                module = Choice(row)
                modules.append(module)
            module.items.append(_item(row))
        elif kind == _PACKAGE:
            package = Choice(row)
            if fits(package, sex, age):
                offers.append(package)
        else:
            items_of = row[1]
            items.append(_item(row))
    code = asked_code or (offers[0].code if offers else "")
    package = next((offer for offer in offers if offer.code == code), None)
    if package is None:
        return BookingChoices(offers, None, [], [])
    if items_of != package.id:
        items = [_item(row) for row in _ITEMS.plain(package.id)]
    taken = {item.id for item in items}
    lines = [item for item in items if fits(item, sex, age)]
    lines += _addon_items(modules, chosen, set(taken), sex, age)
    resource_ids = sorted({item.resource_id for item in lines if item.resource_id})
    offered = []
    for module in modules:
        if not fits(module, sex, age):
            continue
        new = [item for item in module.items if item.id not in taken and fits(item, sex, age)]
        if new:
            module.offered_price = _module_price(module, new)
            offered.append(module)
    return BookingChoices(offers, package, resource_ids, offered)


def _module_price(module, new_items):
    return shared_price(module.price, (item.price for item in module.items), (item.price for item in new_items))


def _addon_items(modules, chosen, taken, sex, age):
    """The items the ``chosen`` add-ons add, as ``booking.quote`` adds them; none when it would refuse one
    (not active, not for this client, nothing new): the page then shows the package's times alone."""
    codes = sorted({str(code)[:20] for code in (chosen or []) if code})[:30]
    by_code = {module.code: module for module in modules}
    added = []
    for code in codes:
        module = by_code.get(code)
        if module is None or not fits(module, sex, age):
            return []
        new = [item for item in module.items if item.id not in taken and fits(item, sex, age)]
        if not new:
            return []
        added += new
        taken.update(item.id for item in new)
    return added
