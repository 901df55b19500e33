"""Which language a request is served in, and WTForms' messages kept per language."""

from types import SimpleNamespace

import flask_wtf.i18n as flask_wtf_i18n
from babel import Locale, support
from flask import current_app, has_request_context, request, session
from flask.ctx import _AppCtxGlobals
from flask_babel import get_locale
from flask_login import current_user
from wtforms.i18n import messages_path


def shown_locale():
    """The language a page was shown in, to keep on a new account; "" when the visitor neither chose one nor
    sent Accept-Language (then what we send them follows CHECKUP_CLIENT_LOCALE)."""
    if session.get("locale") or request.accept_languages:
        return str(get_locale())
    return ""


# {code: its babel Locale}: Flask-Babel parses what the selector returns on every request (~12 µs) unless it is a
# Locale already
_locales: dict[str, Locale] = {}


def _locale(code):
    found = _locales.get(code)
    if found is None:
        found = _locales[code] = Locale.parse(code)
    return found


def select_locale():
    """The account's language, else the one chosen this session, else the browser's."""
    if not has_request_context():  # jobs and CLI: the default, unless force_locale says otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    user = current_user._get_current_object()  # through the proxy once, not three times
    if user is not None and user.is_authenticated and user.locale:
        chosen = user.locale
    if chosen in languages:
        return _locale(chosen)
    return _locale(request.accept_languages.best_match(list(languages)) or "en")


class RequestGlobals(_AppCtxGlobals):
    """Flask's ``g`` with Flask-Babel's per-request state in it from the start: Flask-Babel looks for it with
    ``hasattr`` through the proxy, and the first look of every request raised and caught an AttributeError."""

    def __init__(self):
        self._flask_babel = SimpleNamespace()


def visitor_locale(app):
    """The language chosen this session, else the browser's: what a page can use without the account."""
    languages = list(app.config["LANGUAGES"])
    chosen = session.get("locale")
    return chosen if chosen in languages else request.accept_languages.best_match(languages) or "en"


# WTForms' own messages ("Not a valid choice", a field's default label) in the request's language, loaded
# once per language and process. Flask-WTF reads WTForms' catalog from disk and parses it again on every
# request that translates one of them (a field without a label asks for its default one: the capacity
# template's 24 slot fields did, ~7% of that page).
_wtforms_catalogs: dict[str, support.Translations] = {}


def _kept_wtforms_translations():
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    key = str(locale)
    translations = _wtforms_catalogs.get(key)
    if translations is None:
        translations = _wtforms_catalogs[key] = support.Translations.load(messages_path(), [locale], domain="wtforms")
    return translations


def keep_wtforms_translations():
    """Flask-WTF's per-request catalog lookup (flask_wtf.i18n._get_translations) answered from the kept ones."""
    flask_wtf_i18n._get_translations = _kept_wtforms_translations
