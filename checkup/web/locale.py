"""Which language a request is served in, and WTForms' messages kept per language."""

import flask_wtf.i18n as flask_wtf_i18n
from babel import support
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from wtforms.i18n import messages_path


def shown_locale():
    """The language a page was shown in, to keep on a new account; "" when the visitor neither chose one nor
    sent Accept-Language (then what we send them follows CHECKUP_CLIENT_LOCALE)."""
    if session.get("locale") or request.accept_languages:
        return str(get_locale())
    return ""


def select_locale():
    """The account's language, else the one chosen this session, else the browser's."""
    if not has_request_context():  # jobs and CLI: the default, unless force_locale says otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = list(current_app.config["LANGUAGES"])
    chosen = session.get("locale")
    user = current_user._get_current_object()  # through the proxy once, not three times
    if user is not None and user.is_authenticated and user.locale:
        chosen = user.locale
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


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
