"""Add-on modules in the catalog: a priced set of items a client may buy on top of a package, with its own
eligible sex and ages (a prostate module is for men; the booking refuses it to a woman).

Same contract as ``checkup.services.catalog.catalog``: writes in ``db.atomic()`` with an audit event;
ValidationError / NotFound on bad input; ``module_problems`` only reads.
"""

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import AddonModule, AddonModuleItem, ExamItem
from checkup.models.catalog import PACKAGE_SEXES
from checkup.services.catalog import item_bundles
from checkup.services.catalog.catalog import AGE_LIMIT, CENT, DESCRIPTION_LIMIT, FIX_FIELDS, Checker

ITEM_LIMIT = 100
MODULE_FIELDS = (
    "code",
    "name_en",
    "name_zh",
    "description_en",
    "description_zh",
    "sex",
    "age_min",
    "age_max",
    "price",
    "sort_order",
    "active",
)


def _modules_query():
    return (
        AddonModule.select(
            AddonModule,
            fn.COUNT(ExamItem.id).alias("item_count"),
            fn.COALESCE(fn.SUM(ExamItem.price), 0).alias("items_total"),
        )
        .join(AddonModuleItem, JOIN.LEFT_OUTER)
        .join(ExamItem, JOIN.LEFT_OUTER)
        .group_by(AddonModule.id)
        .order_by(AddonModule.sort_order, AddonModule.code)
    )


def _one_module_query(module_id):
    return _modules_query().where(AddonModule.id == module_id)


# the list (and a row redrawn after a click) is built once per process: only the search runs its own SQL
_ALL_MODULES = PreparedSelect(_modules_query, "checkup_catalog_addon_module_list", samples=())
_ONE_MODULE = PreparedSelect(_one_module_query, "checkup_catalog_addon_module_row", samples=(-2_000_000_511,))


def list_modules(search="", only_id=None):
    """Modules with their item count and the total of their items' list prices, in one query."""
    if only_id is not None:
        modules = _ONE_MODULE.rows(only_id)
    elif search:
        term = f"%{search}%"
        modules = list(
            _modules_query().where(AddonModule.code**term | AddonModule.name_en**term | AddonModule.name_zh**term)
        )
    else:
        modules = _ALL_MODULES.rows()
    for module in modules:  # SQLite sums decimals as floats
        module.items_total = Decimal(str(module.items_total)).quantize(CENT)
    return modules


def module_row(module_id):
    rows = list_modules(only_id=module_id)
    if not rows:
        raise NotFound(_l("No such add-on module."))
    return rows[0]


def _module_query(module_id):
    return AddonModule.select().where(AddonModule.id == module_id)


def _module_item_ids_query(module_id):
    return AddonModuleItem.select(AddonModuleItem.item).where(AddonModuleItem.module == module_id)


# built once, prepared on PostgreSQL: a module's edit page reads both
_MODULE = PreparedSelect(_module_query, "checkup_catalog_addon_module")
_MODULE_ITEM_IDS = PreparedSelect(_module_item_ids_query, "checkup_catalog_addon_module_item_ids")


def get_module(module_id):
    module_id = storable_id(module_id)
    rows = _MODULE.rows(module_id) if module_id else []
    if not rows:
        raise NotFound(_l("No such add-on module."))
    return rows[0]


def module_item_ids(module_id):
    return [item_id for (item_id,) in _MODULE_ITEM_IDS.plain(module_id)]


def _active_modules_query():
    """Active modules, each row with one of its links and that link's item (none: NULLs), by sort order and
    code, a module's links by item code: the modules and their items in one statement."""
    return (
        AddonModule.select(AddonModule, AddonModuleItem, ExamItem)
        .join(AddonModuleItem, JOIN.LEFT_OUTER)
        .join(ExamItem, JOIN.LEFT_OUTER)
        .where(AddonModule.active == True)
        .order_by(AddonModule.sort_order, AddonModule.code, ExamItem.code, AddonModuleItem.id)
    )


_ACTIVE_MODULES = PreparedSelect(_active_modules_query, "checkup_active_addon_modules_items", samples=())


_MODULE_NAMES = tuple(field.name for field in AddonModule._meta.sorted_fields)
_LINK_NAMES = tuple(field.name for field in AddonModuleItem._meta.sorted_fields)
_ITEM_NAMES = tuple(field.name for field in ExamItem._meta.sorted_fields)


def _model(model, names, values):
    """A row of plain columns (core/plain_rows) as the model object peewee would build from it (its
    ``__data__`` keyed by field name, nothing dirty), without peewee's per-field conversions and setattrs:
    these few dozen rows are read on every booking page."""
    row = model.__new__(model)
    row.__data__ = dict(zip(names, values, strict=True))
    row._dirty = set()
    row.__rel__ = {}
    return row


def active_modules_with_items(codes=None):
    """Active modules (only ``codes`` when given) with ``module_items`` (each link with its ``item`` and
    ``module`` set, by item code) as a prefetch would set them: one prepared query of plain columns
    whatever the number of modules."""
    wanted = set(codes) if codes is not None else None
    modules = []
    module = None
    module_end = len(_MODULE_NAMES)
    link_end = module_end + len(_LINK_NAMES)
    for row in _ACTIVE_MODULES.plain():
        if module is None or module.id != row[0]:
            module = _model(AddonModule, _MODULE_NAMES, row[:module_end])
            module.module_items = []
            if wanted is None or module.code in wanted:
                modules.append(module)
        if row[module_end] is None or (wanted is not None and module.code not in wanted):
            continue  # a module with no item, or one not asked for
        link = _model(AddonModuleItem, _LINK_NAMES, row[module_end:link_end])
        link.__rel__["module"] = module
        link.__rel__["item"] = _model(ExamItem, _ITEM_NAMES, row[link_end:])
        module.module_items.append(link)
    return modules


def module_price(module, new_items):
    """The module's price for a client who gets only ``new_items`` of it (the package has the rest): in proportion
    to the list prices of the items it still adds, to the cent. ``module.module_items`` with their items loaded
    (``active_modules_with_items``)."""
    return shared_price(module.price, (link.item.price for link in module.module_items), (i.price for i in new_items))


def shared_price(price, all_prices, new_prices):
    """A module's ``price`` for the items of list prices ``new_prices`` among all its items' ``all_prices``."""
    whole = sum(all_prices, Decimal("0"))
    part = sum(new_prices, Decimal("0"))
    if not whole or part == whole:
        return price
    return (price * part / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def price_shares(price, items):
    """``price`` split over ``items`` by their list prices (to the cent; the last takes the rounding), for the
    appointment's item lines."""
    whole = sum((item.price for item in items), Decimal("0"))
    shares, left = [], price
    for n, item in enumerate(items):
        if n == len(items) - 1:
            share = left
        elif whole:
            share = (price * item.price / whole).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            share = (price / len(items)).quantize(CENT, rounding=ROUND_HALF_UP)
        share = min(share, left)
        shares.append(share)
        left -= share
    return shares


def module_problems(values, module_id=None):
    """Normalised values and {field: message} for a module; reads only."""
    check = Checker(values)
    check.code(AddonModule, module_id)
    check.text("name_en", AddonModule.name_en.max_length, required=True)
    check.text("name_zh", AddonModule.name_zh.max_length)
    check.text("description_en", DESCRIPTION_LIMIT)
    check.text("description_zh", DESCRIPTION_LIMIT)
    check.one_of("sex", PACKAGE_SEXES, _l("Choose any, male or female."))
    age_min = check.number("age_min", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    age_max = check.number("age_max", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    if age_min is not None and age_max is not None and age_min > age_max:
        check.errors.setdefault("age_max", _l("The highest age must not be below the lowest age."))
    check.money("price")
    check.number("sort_order", whole=True, minimum=0, maximum=10000)
    if check.values.get("sort_order") is None:
        check.values["sort_order"] = 0
    check.values["active"] = bool(check.values.get("active", True))
    raw_ids = list(values.get("items") or [])
    ids = {id_from_text(i) for i in raw_ids[: ITEM_LIMIT + 1]}
    items = []
    if not raw_ids:
        check.errors["items"] = _l("Choose at least one item.")
    elif len(raw_ids) > ITEM_LIMIT or None in ids:
        check.errors["items"] = _l("Choose items from the list.")
    else:
        items = list(ExamItem.select().where(ExamItem.id.in_(list(ids))))
        if len(items) != len(ids):
            check.errors["items"] = _l("Choose items from the list.")
    sex = check.values.get("sex")
    if not check.errors.get("items") and sex in ("male", "female"):
        other = [i.code for i in items if i.sex not in ("any", sex)]
        if other:
            check.errors["items"] = _l(
                "These items are not for the module's sex: %(codes)s.", codes=", ".join(sorted(other))[:200]
            )
    clean = {k: check.values.get(k) for k in MODULE_FIELDS}
    clean["items"] = sorted(i for i in ids if i is not None)
    return clean, check.errors


MODULES = item_bundles.BundleKind(
    AddonModule,
    AddonModuleItem,
    "module",
    created="catalog.module_created",
    updated="catalog.module_updated",
    activated="catalog.module_activated",
    deactivated="catalog.module_deactivated",
)


def save_module(actor, values, module_id=None):
    """Create (no id) or update a module and its item list, all or nothing. Raises ValidationError."""
    module = get_module(module_id) if module_id is not None else None
    values, errors = module_problems(values, module_id)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    before = sorted(module_item_ids(module.id)) if module is not None else []
    return get_module(item_bundles.save(MODULES, actor, module, values, before))


def set_module_active(actor, module_id, active):
    module = get_module(module_id)
    item_bundles.set_active(MODULES, actor, module, active)
    return get_module(module.id)
