"""The HR pages' fixed texts (translated labels, printed headers, address patterns) made once per process for
each language and application root, not once per request: Flask-Babel's gettext costs 60-80 K instructions a
string and the dashboard and the employee list ask for dozens. Only what the language and the app's addresses
decide goes in (never anything of a contact, an organization or a request)."""

from flask import current_app, request

from checkup.web import template_gettext

KEPT_LIMIT = 32  # (kind, language, root) keys: a handful in practice; all dropped if ever more


def kept_texts(kind, build):
    """``build()``'s value for this request's language (its catalog object) and application root, built once
    per process and ``kind``; ``build`` runs in the request, so its gettext calls translate as the page would."""
    kept = current_app.extensions.setdefault("checkup.hr_texts", {})
    key = (kind, template_gettext._translations(), request.script_root)
    texts = kept.get(key)
    if texts is None:
        if len(kept) >= KEPT_LIMIT:
            kept.clear()
        texts = kept[key] = build()
    return texts
