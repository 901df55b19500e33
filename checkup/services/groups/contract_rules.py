"""Which contract category an employee belongs to: sex, age band and label rules."""

from flask_babel import lazy_gettext as _l


def fits(category, sex, age):
    """True when a person of ``sex`` and ``age`` (years) meets the category's sex and age-band rules."""
    if category.sex and category.sex != sex:
        return False
    if category.age_min is not None and (age is None or age < category.age_min):
        return False
    if category.age_max is not None and (age is None or age > category.age_max):
        return False
    return True


def match_category(categories, sex, age, label=""):
    """The one category for this person, or (None, reason).

    With a label the category of that label (case-insensitive) must fit the person; without one, exactly
    one category must fit. Returns ``(category, "")`` or ``(None, message)``.
    """
    label = (label or "").strip().casefold()
    if label:
        named = [c for c in categories if c.label.strip().casefold() == label]
        if not named:
            return None, _l("No category of the contract is called this.")
        if not fits(named[0], sex, age):
            return None, _l("This person does not meet the sex or age rule of the category.")
        return named[0], ""
    fitting = [c for c in categories if fits(c, sex, age)]
    if len(fitting) == 1:
        return fitting[0], ""
    if not fitting:
        return None, _l("No category of the contract fits this person's sex and age.")
    return None, _l("Several categories fit; give the category label.")
