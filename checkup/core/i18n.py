"""The language of the current request or forced locale, and names stored in both languages."""

from flask import g
from flask_babel import get_locale


def is_chinese() -> bool:
    # Flask-Babel keeps the locale it chose (or force_locale set) on g._flask_babel: read it straight (from g
    # itself, not through its proxy), as lists ask once per row; get_locale() chooses it when it is not there
    # yet (or outside any context)
    try:
        locale = g._get_current_object()._flask_babel.babel_locale
    except (AttributeError, RuntimeError):
        locale = None
    if locale is None:
        locale = get_locale()
    return bool(locale) and locale.language == "zh"


def localized(obj: object, field: str = "name") -> str:
    """``obj.name_zh`` in Chinese when it has one, else ``obj.name_en``."""
    if obj is None:
        return ""
    if is_chinese():
        value: str = getattr(obj, f"{field}_zh", "")
        if value:
            return value
    english: str = getattr(obj, f"{field}_en", "")
    return english
