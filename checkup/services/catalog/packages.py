"""Which packages a client may book, and why the others are not offered."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from checkup.core import clock
from checkup.core.i18n import localized
from checkup.core.plain_models import models_of
from checkup.core.prepared import PreparedSelect
from checkup.models import Department, ExamItem, Package, PackageItem


def age_on(birth_date, day=None):
    """Age in whole years on ``day`` (today in the center's time zone by default)."""
    day = day or clock.today()
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@dataclass
class Offer:
    package: Package
    eligible: bool
    reason: str = ""


def ineligibility(package, sex, age):
    """A user-facing reason the package does not fit this sex and age, or ''."""
    if package.sex != "any" and package.sex != sex:
        return _l("This package is for men only.") if package.sex == "male" else _l("This package is for women only.")
    if age < package.age_min:
        return _l("This package is for people aged %(n)s and over.", n=package.age_min)
    if age > package.age_max:
        return _l("This package is for people aged up to %(n)s.", n=package.age_max)
    return ""


def fits(thing, sex, age):
    """Does a package, module or item with eligible ``sex``/``age_min``/``age_max`` fit this client?"""
    return thing.sex in ("any", sex) and thing.age_min <= age <= thing.age_max


def module_ineligibility(module, sex, age):
    """A user-facing reason the add-on module does not fit this sex and age, or ''."""
    if module.sex != "any" and module.sex != sex:
        if module.sex == "male":
            return _l("The add-on %(name)s is for men only.", name=localized(module))
        return _l("The add-on %(name)s is for women only.", name=localized(module))
    if age < module.age_min:
        return _l("The add-on %(name)s is for people aged %(n)s and over.", name=localized(module), n=module.age_min)
    if age > module.age_max:
        return _l("The add-on %(name)s is for people aged up to %(n)s.", name=localized(module), n=module.age_max)
    return ""


def _active_packages_query():
    return Package.select().where(Package.active == True).order_by(Package.price)


def _package_by_code_query(code):
    return Package.select().where((Package.code == code) & (Package.active == True)).limit(1)


def _package_items_query(package_id):
    return (
        ExamItem.select(ExamItem, Department)
        .join(Department)
        .join_from(ExamItem, PackageItem)
        .where(PackageItem.package == package_id)
        .order_by(Department.sort_order, ExamItem.code)
    )


# built once per process, prepared on PostgreSQL: the package pages (client's and desk's) read these on every visit
_ACTIVE_PACKAGES = PreparedSelect(_active_packages_query, "checkup_packages_active", samples=())
_PACKAGE_BY_CODE = PreparedSelect(_package_by_code_query, "checkup_packages_by_code", samples=("\x00no such code",))
_PACKAGE_ITEMS = PreparedSelect(_package_items_query, "checkup_packages_items", samples=(-2_000_000_001,))


def offers_for(sex, birth_date, day=None):
    """Every active package, eligible first, each with the reason it is not offered if it is not: by the
    client's age on the exam ``day`` (today when no day is chosen yet)."""
    age = age_on(birth_date, day)
    packages = models_of(Package, _ACTIVE_PACKAGES.plain())  # plain columns: no peewee conversions
    result = [Offer(p, not (r := ineligibility(p, sex, age)), r) for p in packages]
    return sorted(result, key=lambda o: not o.eligible)


def package_with_items(code):
    """A package and its items (with department and resource) in a fixed number of queries."""
    found = _PACKAGE_BY_CODE.rows(code)
    if not found:
        return None, []
    package = found[0]
    return package, _PACKAGE_ITEMS.rows(package.id)


def preparation_notes(items, chinese=False):
    """The distinct preparation notes of ``items``, in order."""
    seen, notes = set(), []
    for item in items:
        note = (item.prep_note_zh if chinese and item.prep_note_zh else item.prep_note_en).strip()
        if note and note not in seen:
            seen.add(note)
            notes.append(note)
    return notes
