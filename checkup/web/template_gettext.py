"""The templates' gettext, with the request's translations looked up once per locale.

Flask-Babel's template callables ask for the translations on every string: each time through ``g``, the
domain, the locale and a cache keyed by the locale's name. A day sheet shows about a hundred strings, and
that lookup cost more than a millisecond per page. Here the translations found for the request's current
locale are kept beside Flask-Babel's own per-request state; ``force_locale`` (a mail or a PDF in the
client's language) changes that locale, and the next string looks them up again.

The callables are also Jinja's "new style" gettext written flat: Jinja's own wrapper calls through three
layers of ``Context.call`` for every ``{{ _("…") }}`` (16 µs a string; a hundred strings on a staff page).
These take the evaluation context only (for autoescaping) and do what Jinja's do: the translation as
Markup when the template autoescapes, always formatted with its variables (``num`` for plurals, ``context``
for pgettext) — a string without a ``%`` formats to itself, so it is returned as it is."""

from flask import g
from flask_babel import get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup


def _translations():
    # g itself, not through its proxy: a proxied attribute costs ten times as much, and this runs for every string
    context_globals = g._get_current_object()
    state = context_globals.get("_flask_babel")
    kept = getattr(state, "checkup_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    translations = get_translations()  # fills g._flask_babel and its babel_locale when inside a context
    state = context_globals.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.checkup_translations = (state.babel_locale, translations)
    return translations


def _formatted(eval_ctx, translated, variables):
    if eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables if "%" in translated else translated


@pass_eval_context
def gettext(eval_ctx, string, **variables):
    return _formatted(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def ngettext(eval_ctx, singular, plural, num, **variables):
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def pgettext(eval_ctx, context, string, **variables):
    variables.setdefault("context", context)
    return _formatted(eval_ctx, _translations().upgettext(context, string), variables)


@pass_eval_context
def npgettext(eval_ctx, context, singular, plural, num, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _translations().unpgettext(context, singular, plural, num), variables)


def init_app(app):
    """Replace Flask-Babel's template callables (call after ``babel.init_app``): the environment compiles
    ``{% trans %}`` blocks new style, and ``_`` is gettext itself rather than Jinja's alias of it."""
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)
