"""The exam catalog: items, reference ranges, packages, limited resources.

Every write runs in ``db.atomic()`` and records an audit event. Bad input raises
``ValidationError(message, {field: message})`` and writes nothing; an unknown id
raises ``NotFound``; a refused delete raises ``Conflict``. The ``*_problems``
functions only read, so inline validation can call them safely.
"""

import re
from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.i18n import is_chinese, localized
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import (
    AddonModule,
    AddonModuleItem,
    Department,
    ExamItem,
    Package,
    PackageItem,
    ReferenceRange,
    Resource,
)
from checkup.models.base import db
from checkup.models.catalog import CONTAINER_CODES, PACKAGE_SEXES, RESULT_TYPES

AGE_LIMIT = 150
CAPACITY_LIMIT = 10000
DESCRIPTION_LIMIT = 2000
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
REQUIRED = _l("This field is required.")
FIX_FIELDS = _l("Please correct the fields marked below.")
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("99999999.99")


class RangeTableItem(NamedTuple):
    """One item of the physicians' reference table, as shown: names in the page's language, its ranges."""

    code: str
    name: str
    department: str
    unit: str
    ranges: list  # RangeTableRow, by sex, then youngest first


class RangeTableRow(NamedTuple):
    sex: str
    age_min: int
    age_max: int
    low: Decimal | None
    high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None


def _range_items_query(limit, term=None):
    items = (
        ExamItem.select(
            ExamItem.id,
            ExamItem.code,
            ExamItem.name_en,
            ExamItem.name_zh,
            ExamItem.unit,
            Department.name_en,
            Department.name_zh,
        )
        .join(Department)
        .where(ExamItem.active == True)
        .order_by(Department.sort_order, ExamItem.code)
    )
    if term is not None:
        items = items.where(ExamItem.code**term | ExamItem.name_en**term | ExamItem.name_zh**term)
    return items.limit(limit)


def _ranges_query(limit, term=None):
    return (
        ReferenceRange.select(
            ReferenceRange.item,
            ReferenceRange.sex,
            ReferenceRange.age_min,
            ReferenceRange.age_max,
            ReferenceRange.low,
            ReferenceRange.high,
            ReferenceRange.critical_low,
            ReferenceRange.critical_high,
        )
        .where(ReferenceRange.item.in_(_range_items_query(limit, term).select(ExamItem.id)))
        .order_by(ReferenceRange.sex, ReferenceRange.age_min)
    )


# the unsearched table (what the page shows first) built once and prepared on PostgreSQL; a search is built
# for its term
_RANGE_ITEMS = PreparedSelect(_range_items_query, "checkup_reference_table_items", samples=(-2_000_000_301,))
_RANGES = PreparedSelect(_ranges_query, "checkup_reference_table_ranges", samples=(-2_000_000_302,))


def reference_table(query="", limit=200):
    """Active items matching ``query`` (at most ``limit``, by department then code) with their reference
    ranges, in two queries, as plain rows with the names in the page's language (no model objects: a
    table of a hundred items with their ranges spent most of its time building them)."""
    if query:
        term = f"%{query}%"
        items, ranges = plain_tuples(_range_items_query(limit, term)), plain_tuples(_ranges_query(limit, term))
    else:
        items, ranges = _RANGE_ITEMS.plain(limit), _RANGES.plain(limit)
    chinese = is_chinese()
    table, by_item = [], {}
    for item_id, code, name_en, name_zh, unit, dept_en, dept_zh in items:
        row = RangeTableItem(code, (chinese and name_zh) or name_en, (chinese and dept_zh) or dept_en, unit, [])
        table.append(row)
        by_item[item_id] = row.ranges
    for item_id, *values in ranges:
        by_item[item_id].append(RangeTableRow(*values))
    return table


# --- parsing and checks shared with the forms ------------------------------------------------


def parse_number(raw, whole=False, places=2, minimum=None, maximum=None):
    """Text (or a number) -> int/Decimal within bounds; None for blank. Raises ValueError(message)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = format(raw, "f") if isinstance(raw, Decimal) else str(raw).strip()  # never '1E+2'
    if whole:
        if not re.fullmatch(r"-?[0-9]{1,12}", text):
            raise ValueError(_l("Enter a whole number, such as 30."))
        value = int(text)
    else:
        if not re.fullmatch(r"-?([0-9]{1,12}(\.[0-9]*)?|\.[0-9]+)", text):
            raise ValueError(_l("Enter a number, such as 12 or 12.5."))
        if len(text.partition(".")[2].rstrip("0")) > places:
            raise ValueError(_l("Use at most %(n)d decimal places.", n=places))
        value = Decimal(text)
    if minimum is not None and value < minimum:
        raise ValueError(_l("Enter %(min)s or more.", min=minimum))
    if maximum is not None and value > maximum:
        raise ValueError(_l("Enter %(max)s or less.", max=maximum))
    return value


class Checker:
    """Collects field problems for one set of values (normalising them in place)."""

    def __init__(self, values):
        self.values = dict(values)
        self.errors = {}

    def text(self, name, limit, required=False):
        value = self.values.get(name)
        value = "" if value is None else str(value).strip()
        self.values[name] = value
        if required and not value:
            self.errors.setdefault(name, REQUIRED)
        elif len(value) > limit:
            self.errors.setdefault(name, _l("Use at most %(max)d characters.", max=limit))
        return value

    def code(self, model, exclude_id=None):
        code = self.text("code", model.code.max_length, required=True)
        if code and "code" not in self.errors:
            if not CODE_PATTERN.fullmatch(code):
                self.errors["code"] = _l("Use letters, digits, '-', '_' or '.' (no spaces).")
            else:
                taken = model.select().where(fn.LOWER(model.code) == code.lower())
                if exclude_id is not None:
                    taken = taken.where(model.id != exclude_id)
                if taken.exists():
                    self.errors["code"] = _l("The code %(code)s is already used.", code=code)

    def number(self, name, required=False, **bounds):
        try:
            value = parse_number(self.values.get(name), **bounds)
        except ValueError as exc:
            self.errors.setdefault(name, exc.args[0])
            return None
        if value is None and required:
            self.errors.setdefault(name, REQUIRED)
        self.values[name] = value
        return value

    def money(self, name):
        value = self.number(name, required=True, places=2, minimum=0, maximum=MONEY_LIMIT)
        if value is not None:
            self.values[name] = value = value.quantize(CENT)
        return value

    def one_of(self, name, allowed, message):
        if self.values.get(name) not in allowed:
            self.errors.setdefault(name, message)

    def raise_if_any(self):
        if self.errors:
            raise ValidationError(FIX_FIELDS, self.errors)
        return self.values


def changes_of(obj, values):
    return {k: [str(getattr(obj, k)), str(v)] for k, v in values.items() if getattr(obj, k) != v}


# --- items -----------------------------------------------------------------------------------

ITEM_FIELDS = (
    "code",
    "name_en",
    "name_zh",
    "department",
    "unit",
    "result_type",
    "choices",
    "price",
    "prep_note_en",
    "prep_note_zh",
    "resource",
    "active",
    "container",
    "station",
    "fasting",
    "sex",
    "age_min",
    "age_max",
)
FK_FIELDS = ("department", "resource", "station")


def _departments_query():
    return Department.select().order_by(Department.sort_order, Department.code)


def _resources_query():
    return Resource.select().order_by(Resource.code)


def _active_resources_query():
    return Resource.select().where(Resource.active == True).order_by(Resource.code)


# built once, prepared on PostgreSQL: every item form lists both
_DEPARTMENTS = PreparedSelect(_departments_query, "checkup_catalog_departments")
_RESOURCES = PreparedSelect(_resources_query, "checkup_catalog_resources")
_ACTIVE_RESOURCES = PreparedSelect(_active_resources_query, "checkup_catalog_active_resources", samples=())


def departments():
    return _DEPARTMENTS.rows()


class NamedRow(NamedTuple):
    """A department or a resource as the catalog's lists and choices show it (no model object)."""

    id: int
    code: str
    name_en: str
    name_zh: str
    active: bool = True  # a department's is not read: always true


def _department_names_query():
    return Department.select(Department.id, Department.code, Department.name_en, Department.name_zh).order_by(
        Department.sort_order, Department.code
    )


def _resource_names_query():
    return Resource.select(Resource.id, Resource.code, Resource.name_en, Resource.name_zh, Resource.active).order_by(
        Resource.code
    )


_DEPARTMENT_NAMES = PreparedSelect(_department_names_query, "checkup_catalog_department_names")
_RESOURCE_NAMES = PreparedSelect(_resource_names_query, "checkup_catalog_resource_names")


def department_names():
    """Every department in the order ``departments()`` gives, as NamedRows (``active`` not read: true)."""
    return [NamedRow(*row) for row in _DEPARTMENT_NAMES.plain()]


def resource_names():
    """Every resource in the order ``resources()`` gives, as NamedRows."""
    return [NamedRow(*row) for row in _RESOURCE_NAMES.plain()]


def resources(active_only=False):
    return (_ACTIVE_RESOURCES if active_only else _RESOURCES).rows()


class ItemListRow(NamedTuple):
    """One row of the catalog's item list, as shown: names in the page's language, the price as text."""

    id: int
    code: str
    name: str
    department: str
    unit: str
    result_type: str
    price: str
    resource: str
    active: bool


def _price_text(value):
    return f"{Decimal(value or 0):.2f}"  # as web/templating's ``money`` filter shows it


_SAMPLE_TERM, _SAMPLE_DEPARTMENT, _SAMPLE_LIMIT = "\x00no such term", -2_000_000_311, -2_000_000_312


def _item_list_query(shape):
    """The item list's prepared select for ``shape`` = (searched, one department): its parameters are the
    search term (when searched), the department (when one), then the limit."""
    searched, one_department = shape

    def build(*params):
        values = iter(params)
        query = (
            ExamItem.select(
                ExamItem.id,
                ExamItem.code,
                ExamItem.name_en,
                ExamItem.name_zh,
                ExamItem.unit,
                ExamItem.result_type,
                ExamItem.price,
                ExamItem.active,
                Department.name_en,
                Department.name_zh,
                Resource.name_en,
                Resource.name_zh,
            )
            .join(Department)
            .join_from(ExamItem, Resource, JOIN.LEFT_OUTER)
            .order_by(Department.sort_order, ExamItem.code)
        )
        if searched:
            term = next(values)
            query = query.where(ExamItem.code**term | ExamItem.name_en**term | ExamItem.name_zh**term)
        if one_department:
            query = query.where(ExamItem.department == next(values))
        return query.limit(next(values))

    samples = [_SAMPLE_TERM] * searched + [_SAMPLE_DEPARTMENT] * one_department + [_SAMPLE_LIMIT]
    name = "checkup_catalog_item_list" + "_searched" * searched + "_in_department" * one_department
    return PreparedSelect(build, name, samples=samples)


# the item list (with or without a search or a department) is built once per process and shape
_ITEM_LIST = PerShape(_item_list_query)


def list_items(search="", department_id=None, limit=500):
    """Items with department and resource, filtered, in one query whatever the length; only the columns
    the list shows (code, names, unit, result type, price, active; the department's and resource's names),
    as plain rows with the names in the page's language and the price as shown (no model objects)."""
    params = []
    if search:
        params.append(f"%{search}%")
    if department_id:
        params.append(department_id)
    params.append(limit)
    rows = _ITEM_LIST((bool(search), bool(department_id))).plain(*params)
    chinese = is_chinese()
    return [
        ItemListRow(
            item_id,
            code,
            (chinese and name_zh) or name_en,
            (chinese and dept_zh) or dept_en,
            unit,
            result_type,
            _price_text(price),
            ((chinese and res_zh) or res_en) if res_en is not None else "",
            bool(active),
        )
        for (
            item_id,
            code,
            name_en,
            name_zh,
            unit,
            result_type,
            price,
            active,
            dept_en,
            dept_zh,
            res_en,
            res_zh,
        ) in rows
    ]


def item_list_row(item):
    """An ExamItem (its department and resource read as the model reads them) as a row of the item list."""
    return ItemListRow(
        item.id,
        item.code,
        localized(item),
        localized(item.department),
        item.unit,
        item.result_type,
        _price_text(item.price),
        localized(item.resource) if item.resource_id else "",
        bool(item.active),
    )


def _item_query(item_id):
    return (
        ExamItem.select(ExamItem, Department, Resource)
        .join(Department)
        .join_from(ExamItem, Resource, JOIN.LEFT_OUTER)
        .where(ExamItem.id == item_id)
    )


_ITEM = PreparedSelect(_item_query, "checkup_catalog_item")


def get_item(item_id):
    """The item with its department and resource (read as models: forms and writes use them)."""
    item_id = storable_id(item_id)
    rows = _ITEM.rows(item_id) if item_id else []
    if not rows:
        raise NotFound(_l("No such exam item."))
    return rows[0]


def item_problems(values, item_id=None):
    """Normalised values and {field: message} for an item; reads only."""
    check = Checker(values)
    check.code(ExamItem, item_id)
    for name in ("name_en", "name_zh", "unit", "prep_note_en", "prep_note_zh"):
        check.text(name, ExamItem._meta.fields[name].max_length, required=name == "name_en")
    check.one_of("result_type", RESULT_TYPES, _l("Choose a result type from the list."))
    options = [o.strip() for o in str(check.values.get("choices") or "").split("|")]
    options = list(dict.fromkeys(o for o in options if o))
    check.values["choices"] = "|".join(options) if check.values.get("result_type") == "choice" else ""
    if check.values.get("result_type") == "choice":
        if len(options) < 2:
            check.errors["choices"] = _l("List at least two options separated by |, such as Normal|Abnormal.")
        elif len(check.values["choices"]) > ExamItem.choices.max_length:
            check.errors["choices"] = _l("Use at most %(max)d characters.", max=ExamItem.choices.max_length)
    if (
        item_id is not None
        and check.values.get("result_type") in ("text", "choice")
        and (ReferenceRange.select().where(ReferenceRange.item == item_id).exists())
    ):
        check.errors["result_type"] = _l("This item has reference ranges; delete them before making it non-numeric.")
    check.money("price")
    department_id = id_from_text(check.values.get("department"))
    if department_id is None or not Department.select().where(Department.id == department_id).exists():
        check.errors["department"] = _l("Choose a department from the list.")
    check.values["department"] = department_id
    resource = check.values.get("resource")
    resource_id = id_from_text(resource) if resource not in (None, "") else None
    if resource not in (None, "") and (
        resource_id is None or not Resource.select().where(Resource.id == resource_id).exists()
    ):
        check.errors["resource"] = _l("Choose a resource from the list, or none.")
    check.values["resource"] = resource_id
    check.values["active"] = bool(check.values.get("active", True))
    _floor_problems(check)
    return {k: check.values.get(k) for k in ITEM_FIELDS}, check.errors


def _floor_problems(check):
    """The item's container, station, fasting flag and eligible sex and ages (issue 13)."""
    check.values["container"] = str(check.values.get("container") or "").strip()
    check.one_of("container", ("",) + CONTAINER_CODES, _l("Choose a container from the list, or none."))
    station = check.values.get("station")
    station_id = id_from_text(station) if station not in (None, "") else None
    if station not in (None, "") and (
        station_id is None or not Department.select().where(Department.id == station_id).exists()
    ):
        check.errors["station"] = _l("Choose a station from the list, or its department.")
    check.values["station"] = station_id
    check.values["fasting"] = bool(check.values.get("fasting", False))
    check.values["sex"] = check.values.get("sex") or "any"
    check.one_of("sex", PACKAGE_SEXES, _l("Choose any, male or female."))
    for name, default in (("age_min", 0), ("age_max", 120)):
        if check.values.get(name) in (None, ""):
            check.values[name] = default
    age_min = check.number("age_min", whole=True, minimum=0, maximum=AGE_LIMIT)
    age_max = check.number("age_max", whole=True, minimum=0, maximum=AGE_LIMIT)
    if age_min is not None and age_max is not None and age_min > age_max:
        check.errors.setdefault("age_max", _l("The highest age must not be below the lowest age."))


def create_item(actor, values):
    """Add an exam item; raises ValidationError (nothing written) when any field is wrong."""
    values, errors = item_problems(values)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    try:
        with db.atomic():
            item = ExamItem.create(**values)
            audit.record(actor, "catalog.item_created", item, code=item.code)
    except IntegrityError:  # a concurrent create took the code between check and insert
        raise ValidationError(FIX_FIELDS, {"code": _l("The code %(code)s is already used.", code=values["code"])})
    return item


def update_item(actor, item_id, changes):
    """Change some or all fields of an item; the result is checked as a whole. Raises ValidationError."""
    item = get_item(item_id)
    current = {k: getattr(item, k) for k in ITEM_FIELDS if k not in FK_FIELDS}
    current.update(department=item.department_id, resource=item.resource_id or "", station=item.station_id or "")
    values, errors = item_problems(dict(current, **changes), item.id)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    diff = changes_of(item, {k: v for k, v in values.items() if k not in FK_FIELDS})
    for key in FK_FIELDS:
        if getattr(item, f"{key}_id") != values[key]:
            diff[key] = [str(getattr(item, f"{key}_id")), str(values[key])]
    try:
        with db.atomic():
            ExamItem.update(**values).where(ExamItem.id == item.id).execute()
            audit.record(actor, "catalog.item_updated", item, changes=diff)
    except IntegrityError:
        raise ValidationError(FIX_FIELDS, {"code": _l("The code %(code)s is already used.", code=values["code"])})
    return get_item(item.id)


def delete_item(actor, item_id):
    """Delete an item and its ranges; raises Conflict naming the packages that still use it."""
    item = get_item(item_id)
    codes = [
        p.code
        for p in Package.select(Package.code)
        .join(PackageItem)
        .where(PackageItem.item == item.id)
        .order_by(Package.code)
    ]
    if codes:
        raise Conflict(_l("Used by package(s): %(codes)s; remove it from them first.", codes=", ".join(codes)))
    modules = [
        m.code
        for m in AddonModule.select(AddonModule.code)
        .join(AddonModuleItem)
        .where(AddonModuleItem.item == item.id)
        .order_by(AddonModule.code)
    ]
    if modules:
        raise Conflict(_l("Used by add-on module(s): %(codes)s; remove it from them first.", codes=", ".join(modules)))
    try:
        with db.atomic():
            ReferenceRange.delete().where(ReferenceRange.item == item.id).execute()
            ExamItem.delete().where(ExamItem.id == item.id).execute()
            audit.record(actor, "catalog.item_deleted", item, code=item.code)
    except IntegrityError:  # something recorded elsewhere (e.g. a booking) still points at it
        raise Conflict(_l("This item is still in use elsewhere; deactivate it instead."))
    return item


# --- reference ranges ------------------------------------------------------------------------

RANGE_FIELDS = ("sex", "age_min", "age_max", "low", "high", "critical_low", "critical_high")


def item_ranges(item_id):
    return list(
        ReferenceRange.select()
        .where(ReferenceRange.item == item_id)
        .order_by(ReferenceRange.sex, ReferenceRange.age_min, ReferenceRange.id)
    )


def add_range(actor, item_id, values):
    """Add a reference range to a numeric item. Raises ValidationError for any broken rule."""
    item = get_item(item_id)
    if item.result_type != "numeric":
        raise ValidationError(
            _l("Reference ranges apply to numeric items only; %(code)s is not numeric.", code=item.code)
        )
    check = Checker(values)
    check.one_of("sex", PACKAGE_SEXES, _l("Choose any, male or female."))
    age_min = check.number("age_min", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    age_max = check.number("age_max", required=True, whole=True, minimum=0, maximum=AGE_LIMIT)
    bounds = {"places": 4, "minimum": Decimal("-99999999"), "maximum": Decimal("99999999")}
    low, high, c_low, c_high = (check.number(n, **bounds) for n in ("low", "high", "critical_low", "critical_high"))
    if age_min is not None and age_max is not None and age_min > age_max:
        check.errors.setdefault("age_max", _l("The highest age must not be below the lowest age."))
    if not check.errors.get("low") and not check.errors.get("high") and low is None and high is None:
        check.errors["low"] = _l("Give a low value, a high value or both.")
    if low is not None and high is not None and low > high:
        check.errors.setdefault("high", _l("The high value must not be below the low value."))
    if c_low is not None and low is not None and c_low > low:
        check.errors.setdefault("critical_low", _l("The critical low must not be above the low value."))
    if c_high is not None and high is not None and c_high < high:
        check.errors.setdefault("critical_high", _l("The critical high must not be below the high value."))
    if c_low is not None and c_high is not None and c_low > c_high:
        check.errors.setdefault("critical_high", _l("The critical high must not be below the critical low."))
    if not check.errors:
        overlap = (
            ReferenceRange.select()
            .where(
                ReferenceRange.item == item.id,
                ReferenceRange.sex == check.values["sex"],
                ReferenceRange.age_min <= age_max,
                ReferenceRange.age_max >= age_min,
            )
            .first()
        )
        if overlap:
            check.errors["age_min"] = _l(
                "Ages %(a)s–%(b)s overlap the existing %(c)s–%(d)s band for this sex.",
                a=age_min,
                b=age_max,
                c=overlap.age_min,
                d=overlap.age_max,
            )
    values = check.raise_if_any()
    with db.atomic():
        row = ReferenceRange.create(item=item.id, **{k: values[k] for k in RANGE_FIELDS})
        audit.record(actor, "catalog.range_added", item, range_id=row.id, **{k: values[k] for k in RANGE_FIELDS})
    return row


def delete_range(actor, item_id, range_id):
    range_id, item_id = storable_id(range_id), storable_id(item_id)
    row = (
        range_id
        and item_id
        and ReferenceRange.get_or_none((ReferenceRange.id == range_id) & (ReferenceRange.item == item_id))
    )
    if not row:
        raise NotFound(_l("No such reference range."))
    with db.atomic():
        row.delete_instance()
        audit.record(
            actor,
            "catalog.range_deleted",
            row.item,
            range_id=range_id,
            sex=row.sex,
            ages=f"{row.age_min}-{row.age_max}",
        )
