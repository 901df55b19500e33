"""Which language a request is served in."""

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


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
    if current_user and current_user.is_authenticated and current_user.locale:
        chosen = current_user.locale
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


def visitor_locale(app):
    """The language chosen this session, else the browser's: what a page can use without the account."""
    languages = list(app.config["LANGUAGES"])
    chosen = session.get("locale")
    return chosen if chosen in languages else request.accept_languages.best_match(languages) or "en"
