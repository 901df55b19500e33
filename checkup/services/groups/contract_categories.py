"""The categories of a group contract (sex, age band, label → package, who pays, add-ons) and HR's
confirmation of them.

Categories change only while the contract is a draft, and every change clears HR's confirmation, so a
contract is never activated on categories HR has not seen. Each write first updates the contract row
conditionally (``status = draft``): that both checks the status and serialises the write against a
concurrent activation. Raises ValidationError, NotFound or Conflict; writes nothing on error.
"""

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError, fn

from checkup.core import audit
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import ContractCategory, Enrollment, GroupContract, Package
from checkup.models.base import db, utcnow
from checkup.models.groups import DRAFT
from checkup.services.catalog import packages
from checkup.services.catalog.catalog import FIX_FIELDS, Checker

CATEGORY_FIELDS = ("label", "sex", "age_min", "age_max", "package", "company_pays", "addons_allowed", "position")
CATEGORY_SEXES = ("", "male", "female")
AGE_LIMIT = 120
POSITION_LIMIT = 1000


def _categories_select(contract_id):
    return (
        ContractCategory.select(ContractCategory, Package)
        .join(Package)
        .where(ContractCategory.contract == contract_id)
        .order_by(ContractCategory.position, ContractCategory.label)
    )


def _category_select(category_id, contract_id):
    return (
        ContractCategory.select(ContractCategory, Package)
        .join(Package)
        .where(ContractCategory.id == category_id, ContractCategory.contract == contract_id)
        .limit(1)
    )


# the contract pages read them on every view: their SQL built once per process
_CATEGORIES = PreparedSelect(_categories_select, "checkup_contract_categories", samples=(-2_000_016_101,))
_CATEGORY = PreparedSelect(_category_select, "checkup_contract_category", samples=(-2_000_016_102, -2_000_016_103))


def categories_of(contract_id):
    """The contract's categories with their packages, in order, in one query."""
    return _CATEGORIES.rows(contract_id)


def get_category(contract, category_id):
    """One category of ``contract``; a category of any other contract is NotFound, like a missing one."""
    category_id = storable_id(category_id)
    category = category_id and next(iter(_CATEGORY.rows(category_id, contract.id)), None)
    if not category:
        raise NotFound(_l("No such category."))
    return category


def package_choices(include_id=None):
    """(id, "code · name") of the packages offered (plus ``include_id``, the one a category already uses)."""
    query = Package.select().where((Package.active == True) | (Package.id == (include_id or 0)))
    return [(p.id, f"{p.code} · {p.name_en}") for p in query.order_by(Package.code)]


def _require_draft(contract):
    if contract.status != DRAFT:
        raise Conflict(_l("Categories can only be changed while the contract is a draft."))


def _package_problem(package, sex, age_min, age_max):
    """Why the package cannot serve everyone the category admits (as far as the rules decide), or ''."""
    if package.sex != "any" and sex != package.sex:
        return _l(
            "%(reason)s Set the category's sex to match, or choose another package.",
            reason=packages.ineligibility(package, sex or "any", package.age_min),
        )
    for age in [a for a in (age_min, age_max) if a is not None] or [package.age_min]:
        reason = packages.ineligibility(package, package.sex if package.sex != "any" else sex, age)
        if reason:
            return _l("%(reason)s Narrow the category's age band, or choose another package.", reason=reason)
    return ""


def category_problems(values, contract, category=None):
    """Normalised values and {field: message} for a category of ``contract``; reads only."""
    check = Checker(values)
    label = check.text("label", ContractCategory.label.max_length, required=True)
    if label and "label" not in check.errors:
        taken = ContractCategory.select().where(
            ContractCategory.contract == contract.id, fn.LOWER(ContractCategory.label) == label.lower()
        )
        if category is not None:
            taken = taken.where(ContractCategory.id != category.id)
        if taken.exists():
            check.errors["label"] = _l("This contract already has a category called %(label)s.", label=label)
    check.values["sex"] = sex = str(check.values.get("sex") or "").strip()
    check.one_of("sex", CATEGORY_SEXES, _l("Choose any, male or female."))
    age_min = check.number("age_min", whole=True, minimum=0, maximum=AGE_LIMIT)
    age_max = check.number("age_max", whole=True, minimum=0, maximum=AGE_LIMIT)
    if age_min is not None and age_max is not None and age_min > age_max:
        check.errors.setdefault("age_max", _l("The highest age must not be below the lowest age."))
    package_id = id_from_text(check.values.get("package"))
    package = package_id and Package.get_or_none(Package.id == package_id)
    check.values["package"] = package.id if package else None
    if not package:
        check.errors["package"] = _l("Choose a package from the list.")
    elif not package.active and (category is None or category.package_id != package.id):
        check.errors["package"] = _l("This package is no longer offered; choose another.")
    elif "sex" not in check.errors and "age_min" not in check.errors and "age_max" not in check.errors:
        problem = _package_problem(package, sex, age_min, age_max)
        if problem:
            check.errors["package"] = problem
    check.values["company_pays"] = bool(check.values.get("company_pays"))
    check.values["addons_allowed"] = bool(check.values.get("addons_allowed"))
    position = check.number("position", whole=True, minimum=0, maximum=POSITION_LIMIT)
    if position is None and "position" not in check.errors:
        check.values["position"] = category.position if category is not None else _next_position(contract.id)
    return {k: check.values.get(k) for k in CATEGORY_FIELDS}, check.errors


def _next_position(contract_id):
    highest = (
        ContractCategory.select(fn.MAX(ContractCategory.position))
        .where(ContractCategory.contract == contract_id)
        .scalar()
    )
    return min(POSITION_LIMIT, (highest if highest is not None else -1) + 1)


def _unconfirm(contract):
    """Clear HR's confirmation, only while still a draft (the row lock orders us against activation)."""
    changed = (
        GroupContract.update(hr_confirmed_at=None)
        .where(GroupContract.id == contract.id, GroupContract.status == DRAFT)
        .execute()
    )
    if not changed:
        raise Conflict(_l("Categories can only be changed while the contract is a draft."))


def _label_taken(values):
    return ValidationError(
        FIX_FIELDS, {"label": _l("This contract already has a category called %(label)s.", label=values["label"])}
    )


def add_category(actor, contract, values):
    """A new category on a draft contract. Raises Conflict or ValidationError."""
    _require_draft(contract)
    clean, errors = category_problems(values, contract)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    try:
        with db.atomic():
            _unconfirm(contract)
            category = ContractCategory.create(contract=contract.id, **clean)
            audit.record(
                actor,
                "contract.category_added",
                contract,
                category=category.id,
                label=category.label,
                package=category.package_id,
            )
    except IntegrityError:
        raise _label_taken(clean)
    return get_category(contract, category.id)


def update_category(actor, contract, category_id, values):
    """Change a category of a draft contract. Raises NotFound, Conflict or ValidationError."""
    category = get_category(contract, category_id)
    _require_draft(contract)
    clean, errors = category_problems(values, contract, category)
    if errors:
        raise ValidationError(FIX_FIELDS, errors)
    diff = {
        k: [str(getattr(category, k if k != "package" else "package_id")), str(v)]
        for k, v in clean.items()
        if getattr(category, k if k != "package" else "package_id") != v
    }
    try:
        with db.atomic():
            _unconfirm(contract)
            ContractCategory.update(**clean).where(ContractCategory.id == category.id).execute()
            audit.record(actor, "contract.category_updated", contract, category=category.id, changes=diff)
    except IntegrityError:
        raise _label_taken(clean)
    return get_category(contract, category.id)


def delete_category(actor, contract, category_id):
    """Remove a category of a draft contract nobody is enrolled in. Raises NotFound or Conflict."""
    category = get_category(contract, category_id)
    _require_draft(contract)
    if Enrollment.select().where(Enrollment.category == category.id).exists():
        raise Conflict(
            _l("Employees are enrolled in the category %(label)s; it cannot be deleted.", label=category.label)
        )
    try:
        with db.atomic():
            _unconfirm(contract)
            ContractCategory.delete().where(ContractCategory.id == category.id).execute()
            audit.record(actor, "contract.category_deleted", contract, category=category.id, label=category.label)
    except IntegrityError:  # an enrollment arrived meanwhile
        raise Conflict(
            _l("Employees are enrolled in the category %(label)s; it cannot be deleted.", label=category.label)
        )
    return category


def confirm_categories(actor, contract):
    """HR confirms the draft's categories (stamps ``hr_confirmed_at``). Raises Conflict or ValidationError."""
    _require_draft(contract)
    if not ContractCategory.select().where(ContractCategory.contract == contract.id).exists():
        raise ValidationError(_l("Add at least one category before confirming."))
    with db.atomic():
        changed = (
            GroupContract.update(hr_confirmed_at=utcnow())
            .where(GroupContract.id == contract.id, GroupContract.status == DRAFT)
            .execute()
        )
        if not changed:
            raise Conflict(_l("Categories can only be changed while the contract is a draft."))
        audit.record(actor, "contract.categories_confirmed", contract)
    return GroupContract.get_by_id(contract.id)
