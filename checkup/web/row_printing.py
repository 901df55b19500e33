"""What the pages that print their rows in Python (the ``*_rows.py`` modules beside their views) share: a
translated label as the templates print it, and a view's address as a pattern filled in per row."""

from flask import url_for
from markupsafe import Markup

_SOME_ID = 987654321  # an id no address holds; it marks where a row's own id goes


def translated(translation):
    """What ``{{ _("…") }}`` prints: the translation as it is (the template's gettext marks it safe). Callers
    write the text out in their own ``gettext`` call, so pybabel still finds it."""
    return Markup(translation)


def address_pattern(endpoint, id_name, **values):
    """``endpoint``'s address with ``%d`` where its ``id_name`` goes (and any ``%`` of its own escaped), made
    once per page and filled in per row: url_for costs ~10 µs a call, a page prints hundreds of links."""
    return url_for(endpoint, **{id_name: _SOME_ID}, **values).replace("%", "%%").replace(str(_SOME_ID), "%d")


def localized_name(obj, chinese):
    """``core.i18n.localized(obj)`` (its Chinese name when ``chinese`` and it has one, else its English one)
    with the language asked once per page, not once per row."""
    if chinese:
        value = obj.name_zh
        if value:
            return value
    return obj.name_en
