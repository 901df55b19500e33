"""The language of the current request or forced locale, and names stored in both languages."""
from flask_babel import get_locale


def is_chinese():
    locale = get_locale()
    return bool(locale) and locale.language == "zh"


def localized(obj, field="name"):
    """``obj.name_zh`` in Chinese when it has one, else ``obj.name_en``."""
    if obj is None:
        return ""
    if is_chinese():
        value = getattr(obj, f"{field}_zh", "")
        if value:
            return value
    return getattr(obj, f"{field}_en", "")
