"""The catalog's packages and limited resources (items and ranges are in ``catalog``).

Same contract as ``checkup.services.catalog.catalog``: writes in ``db.atomic()`` with an audit
event; ValidationError / NotFound on bad input; ``*_problems`` only read.
"""

from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import is_chinese
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import Department, ExamItem, Package, PackageItem, Resource
from checkup.models.base import db
from checkup.models.catalog import PACKAGE_SEXES
from checkup.services.catalog import item_bundles
from checkup.services.catalog.catalog import (
    AGE_LIMIT,
    CAPACITY_LIMIT,
    CENT,
    DESCRIPTION_LIMIT,
    FIX_FIELDS,
    Checker,
    changes_of,
)

# --- packages --------------------------------------------------------------------------------

ITEM_LIMIT = 500  # far beyond any real package; keeps the IN (...) list small
PACKAGE_FIELDS = (
    "code",
    "name_en",
    "name_zh",
    "description_en",
    "description_zh",
    "sex",
    "age_min",
    "age_max",
    "price",
    "active",
)


class PackageListRow(NamedTuple):
    """One package as the list shows it: its own columns, how many items it holds and their prices' total."""

    id: int
    code: str
    name_en: str
    name_zh: str
    sex: str
    age_min: int
    age_max: int
    price: Decimal
    active: bool
    item_count: int
    items_total: Decimal


def _packages_query():
    return (
        Package.select(
            Package.id,
            Package.code,
            Package.name_en,
            Package.name_zh,
            Package.sex,
            Package.age_min,
            Package.age_max,
            Package.price,
            Package.active,
            fn.COUNT(ExamItem.id),
            fn.COALESCE(fn.SUM(ExamItem.price), 0),
        )
        .join(PackageItem, JOIN.LEFT_OUTER)
        .join(ExamItem, JOIN.LEFT_OUTER)
        .group_by(Package.id)
        .order_by(Package.code)
    )


def _one_package_query(package_id):
    return _packages_query().where(Package.id == package_id)


# the list (and a row redrawn after a click) is built once per process: only the search runs its own SQL
_ALL_PACKAGES = PreparedSelect(_packages_query, "checkup_catalog_package_list", samples=())
_ONE_PACKAGE = PreparedSelect(_one_package_query, "checkup_catalog_package_row", samples=(-2_000_000_501,))


def list_packages(search="", only_id=None):
    """Packages (``PackageListRow``) with their item count and the total of their item prices, in one query."""
    if only_id is not None:
        rows = _ONE_PACKAGE.plain(only_id)
    elif search:
        term = f"%{search}%"
        rows = plain_tuples(_packages_query().where(Package.code**term | Package.name_en**term | Package.name_zh**term))
    else:
        rows = _ALL_PACKAGES.plain()
    # SQLite sums decimals as floats
    return [PackageListRow(*row[:-1], Decimal(str(row[-1])).quantize(CENT)) for row in rows]


def _package_query(package_id):
    return Package.select().where(Package.id == package_id)


def _package_item_ids_query(package_id):
    return PackageItem.select(PackageItem.item).where(PackageItem.package == package_id)


# built once, prepared on PostgreSQL: a package's edit page reads both
_PACKAGE = PreparedSelect(_package_query, "checkup_catalog_package")
_PACKAGE_ITEM_IDS = PreparedSelect(_package_item_ids_query, "checkup_catalog_package_item_ids")


def get_package(package_id):
    package_id = storable_id(package_id)
    rows = _PACKAGE.rows(package_id) if package_id else []
    if not rows:
        raise NotFound(_l("No such package."))
    return rows[0]


def package_item_ids(package_id):
    return [item_id for (item_id,) in _PACKAGE_ITEM_IDS.plain(package_id)]


class ItemChoice(NamedTuple):
    """One checkbox of a package's or module's item list: its name in the page's language, its price as shown."""

    id: int
    code: str
    name: str
    price: str
    sex: str
    active: bool


def _choosable_items_query():
    return (
        ExamItem.select(
            Department.id,
            Department.name_en,
            Department.name_zh,
            ExamItem.id,
            ExamItem.code,
            ExamItem.name_en,
            ExamItem.name_zh,
            ExamItem.price,
            ExamItem.sex,
            ExamItem.active,
        )
        .join(Department)
        .order_by(Department.sort_order, Department.code, ExamItem.code)
    )


# every item, built once and prepared on PostgreSQL (the inactive ones are left out below: a catalog holds a
# few hundred items, and a query naming the chosen ids had to be built again for each page)
_CHOOSABLE_ITEMS = PreparedSelect(_choosable_items_query, "checkup_catalog_choosable_items")


def choosable_item_rows():
    """Every item as the item checkboxes are printed from, plain rows in one query (``items_by_department``
    takes them): what a kept form's markup follows."""
    return tuple(_CHOOSABLE_ITEMS.plain())


def items_by_department(include_ids=(), rows=None):
    """[(department's name, [ItemChoice])] of active items (plus ``include_ids``) in one query (none when
    ``rows`` are ``choosable_item_rows()`` read already), for choosing: plain rows, the names in the page's
    language and the prices as shown worked out here once (not a model object, a ``localized`` and a money
    macro per checkbox)."""
    include = set(include_ids)
    chinese = is_chinese()
    groups = []
    department_id = None
    for dept_id, dept_en, dept_zh, item_id, code, name_en, name_zh, price, sex, active in (
        _CHOOSABLE_ITEMS.plain() if rows is None else rows
    ):
        if not active and item_id not in include:
            continue
        if dept_id != department_id:
            department_id = dept_id
            groups.append(((chinese and dept_zh) or dept_en, []))
        price_text = f"{price:.2f}" if price is not None else ""
        groups[-1][1].append(ItemChoice(item_id, code, (chinese and name_zh) or name_en, price_text, sex, bool(active)))
    return groups


def package_problems(values, package_id=None):
    """Normalised values and {field: message} for a package; reads only."""
    check = Checker(values)
    check.code(Package, package_id)
    check.text("name_en", Package.name_en.max_length, required=True)
    check.text("name_zh", Package.name_zh.max_length)
    check.text("description_en", DESCRIPTION_LIMIT)
    check.text("description_zh", DESCRIPTION_LIMIT)
    check.one_of("sex", PACKAGE_SEXES, _l("Choose any, male or female."))
    age_min = check.number("age_min", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    age_max = check.number("age_max", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    if age_min is not None and age_max is not None and age_min > age_max:
        check.errors.setdefault("age_max", _l("The highest age must not be below the lowest age."))
    check.money("price")
    check.values["active"] = bool(check.values.get("active", True))
    raw_ids = list(values.get("items") or [])
    ids = {id_from_text(i) for i in raw_ids[: ITEM_LIMIT + 1]}
    if not raw_ids:
        check.errors["items"] = _l("Choose at least one item.")
    elif (
        len(raw_ids) > ITEM_LIMIT
        or None in ids
        or (ExamItem.select().where(ExamItem.id.in_(list(ids))).count() != len(ids))
    ):
        check.errors["items"] = _l("Choose items from the list.")
    clean = {k: check.values.get(k) for k in PACKAGE_FIELDS}
    clean["items"] = sorted(i for i in ids if i is not None)
    return clean, check.errors


PACKAGES = item_bundles.BundleKind(
    Package,
    PackageItem,
    "package",
    created="catalog.package_created",
    updated="catalog.package_updated",
    activated="catalog.package_activated",
    deactivated="catalog.package_deactivated",
)


def save_package(actor, values, package_id=None):
    """Create (no id) or update a package and its item list, all or nothing. Raises ValidationError."""
    package = get_package(package_id) if package_id is not None else None
    values, errors = package_problems(values, package_id)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    before = sorted(package_item_ids(package.id)) if package is not None else []
    return get_package(item_bundles.save(PACKAGES, actor, package, values, before))


def set_package_active(actor, package_id, active):
    package = get_package(package_id)
    item_bundles.set_active(PACKAGES, actor, package, active)
    return get_package(package.id)


def package_row(package_id):
    """One package as the list shows it (with item count and total)."""
    rows = list_packages(only_id=package_id)
    if not rows:
        raise NotFound(_l("No such package."))
    return rows[0]


# --- limited resources -----------------------------------------------------------------------

RESOURCE_FIELDS = ("code", "name_en", "name_zh", "daily_capacity", "active")


def list_resources():
    """Resources with the number of items that consume each, in one query."""
    return list(
        Resource.select(Resource, fn.COUNT(ExamItem.id).alias("item_count"))
        .join(ExamItem, JOIN.LEFT_OUTER)
        .group_by(Resource.id)
        .order_by(Resource.code)
    )


def get_resource(resource_id):
    resource_id = storable_id(resource_id)
    resource = resource_id and Resource.get_or_none(Resource.id == resource_id)
    if not resource:
        raise NotFound(_l("No such resource."))
    return resource


def resource_problems(values, resource_id=None):
    check = Checker(values)
    check.code(Resource, resource_id)
    check.text("name_en", Resource.name_en.max_length, required=True)
    check.text("name_zh", Resource.name_zh.max_length)
    check.number("daily_capacity", required=True, whole=True, minimum=0, maximum=CAPACITY_LIMIT)
    check.values["active"] = bool(check.values.get("active", True))
    return {k: check.values.get(k) for k in RESOURCE_FIELDS}, check.errors


def save_resource(actor, values, resource_id=None):
    """Create (no id) or update a limited resource. Raises ValidationError."""
    resource = get_resource(resource_id) if resource_id is not None else None
    values, errors = resource_problems(values, resource_id)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    try:
        with db.atomic():
            if resource is None:
                resource = Resource.create(**values)
                audit.record(actor, "catalog.resource_created", resource, code=resource.code)
            else:
                diff = changes_of(resource, values)
                Resource.update(**values).where(Resource.id == resource.id).execute()
                audit.record(actor, "catalog.resource_updated", resource, changes=diff)
    except IntegrityError:
        raise ValidationError(FIX_FIELDS, {"code": _l("The code %(code)s is already used.", code=values["code"])})
    return get_resource(resource.id)
