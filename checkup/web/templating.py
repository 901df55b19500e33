"""Template helpers: localized names, formatting, labels (the layout every page shares, with its navigation,
CSRF token and static URLs, is web/page_shell.py)."""

from collections import ChainMap
from decimal import Decimal

import flask_babel
from flask import has_app_context
from flask_babel.speaklater import LazyString
from markupsafe import escape

from checkup.core import clock
from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import ROLE_LABELS, choice_label
from checkup.web import form_controls, page_shell, template_gettext


def money(value):
    """Amounts always with two decimals (SQLite hands back 380 for 380.00)."""
    return f"{Decimal(value or 0):.2f}"


def center_time(moment, pattern="%Y-%m-%d %H:%M"):
    """A stored UTC timestamp shown in the center's time zone."""
    local = clock.from_utc(moment)
    return local.strftime(pattern) if local else ""


def _escape_lazy_strings():
    """Flask-Babel's lazy strings declare themselves safe HTML (``__html__`` returns the raw text), so a
    value interpolated into one (an unknown code a user typed, say) would reach the page unescaped.
    Our translations hold no markup: escape them like any other text."""
    LazyString.__html__ = lambda self: str(escape(str(self)))


def _lazy_gettext_text(self):
    """``str()`` of a lazy string: for Flask-Babel's own ``lazy_gettext`` (labels, choices, messages), the
    translation found through the request's kept catalog (web/template_gettext.py) instead of Flask-Babel's
    lookup of domain, locale and catalog on every string (a status chart renders hundreds of labels);
    the same text, ``%`` formatting included. Anything else (ngettext, pgettext, outside a request) as before."""
    if self._func is flask_babel.gettext and has_app_context():
        text = template_gettext._translations().ugettext(*self._args)
        return text % self._kwargs if self._kwargs else text
    return str(self._func(*self._args, **self._kwargs))


def _translate_lazy_strings_quickly():
    LazyString.__str__ = _lazy_gettext_text


class _TemplateGlobals(ChainMap):
    """A template's globals as Jinja makes them (its own over the environment's, the latter seen live), with
    the environment's keys answered straight from its dict while the template adds none (Flask's never do).
    Jinja asks for them on every render and include (``set(globals)``) and on every ``{% from %}`` or
    ``{% import %}`` (the importing context's keys minus these): through ChainMap's generic key view that
    cost ~15-25 µs per import and ~3 µs per context, once per macro file a page imports."""

    def keys(self):
        own, shared = self.maps[0], self.maps[-1]
        return shared.keys() if len(self.maps) == 2 and not own else super().keys()

    def __iter__(self):
        own, shared = self.maps[0], self.maps[-1]
        return iter(shared) if len(self.maps) == 2 and not own else super().__iter__()


def _quick_template_globals(env):
    """``env.make_globals`` (Jinja's own but for the class of the map; see _TemplateGlobals)."""
    env.make_globals = lambda own: _TemplateGlobals({} if own is None else own, env.globals)


def pct(value):
    """A percentage figure, or a dash when there is nothing to divide by."""
    return "—" if value is None else f"{value}%"


def init_app(app):
    _escape_lazy_strings()
    _translate_lazy_strings_quickly()
    form_controls.print_fields_quickly()
    _quick_template_globals(app.jinja_env)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["center_time"] = center_time
    app.jinja_env.globals.update(
        localized=localized,
        navigation=page_shell.navigation,
        role_labels=ROLE_LABELS,
        choice_label=choice_label,
        is_chinese=is_chinese,
        pct=pct,
        form_control=form_controls.form_control,
        form_field=form_controls.form_field,
        appointment_status=lambda code: choice_label("appointment_status", code),
        finding_kind=lambda code: choice_label("finding_kind", code),
    )
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
    app.jinja_env.globals["csrf_token"] = page_shell.csrf_token
    app.jinja_env.globals["static_url"] = page_shell.static_url
    app.jinja_env.globals["page_shell"] = page_shell.page_shell
