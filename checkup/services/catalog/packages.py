"""Which packages a client may book, and why the others are not offered."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from checkup.core import clock
from checkup.core.i18n import localized
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
    name = localized(module)
    if module.sex != "any" and module.sex != sex:
        if module.sex == "male":
            return _l("The add-on %(name)s is for men only.", name=name)
        return _l("The add-on %(name)s is for women only.", name=name)
    if age < module.age_min:
        return _l("The add-on %(name)s is for people aged %(n)s and over.", name=name, n=module.age_min)
    if age > module.age_max:
        return _l("The add-on %(name)s is for people aged up to %(n)s.", name=name, n=module.age_max)
    return ""


def offers_for(sex, birth_date, day=None):
    """Every active package, eligible first, each with the reason it is not offered if it is not: by the
    client's age on the exam ``day`` (today when no day is chosen yet)."""
    age = age_on(birth_date, day)
    packages = list(Package.select().where(Package.active == True).order_by(Package.price))
    result = [Offer(p, not (r := ineligibility(p, sex, age)), r) for p in packages]
    return sorted(result, key=lambda o: not o.eligible)


def package_with_items(code):
    """A package and its items (with department and resource) in a fixed number of queries."""
    package = Package.get_or_none((Package.code == code) & (Package.active == True))
    if package is None:
        return None, []
    items = list(
        ExamItem.select(ExamItem, Department)
        .join(Department)
        .join_from(ExamItem, PackageItem)
        .where(PackageItem.package == package.id)
        .order_by(Department.sort_order, ExamItem.code)
    )
    return package, items


def preparation_notes(items, chinese=False):
    """The distinct preparation notes of ``items``, in order."""
    seen, notes = set(), []
    for item in items:
        note = (item.prep_note_zh if chinese and item.prep_note_zh else item.prep_note_en).strip()
        if note and note not in seen:
            seen.add(note)
            notes.append(note)
    return notes
