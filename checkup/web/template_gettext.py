"""The templates' gettext, with the request's translations looked up once per locale.

Flask-Babel's template callables ask for the translations on every string: each time through ``g``, the
domain, the locale and a cache keyed by the locale's name. A day sheet shows about a hundred strings, and
that lookup cost more than a millisecond per page. Here the translations found for the request's current
locale are kept beside Flask-Babel's own per-request state; ``force_locale`` (a mail or a PDF in the
client's language) changes that locale, and the next string looks them up again."""

from flask import g
from flask_babel import get_translations


def _translations():
    state = g.get("_flask_babel")
    kept = getattr(state, "checkup_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    translations = get_translations()  # fills g._flask_babel and its babel_locale when inside a context
    state = g.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.checkup_translations = (state.babel_locale, translations)
    return translations


def init_app(app):
    """Replace Flask-Babel's template callables (call after ``babel.init_app``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
