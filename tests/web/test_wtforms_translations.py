"""WTForms' own messages come in the request's language from a catalog loaded once per language and process
(web/locale.keep_wtforms_translations), not parsed from disk on every request."""

import flask_wtf.i18n
from flask_babel import refresh


def _message(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        refresh()
        return flask_wtf.i18n.translations.gettext("Not a valid choice."), flask_wtf.i18n._get_translations()


def test_wtforms_messages_follow_the_language_and_their_catalog_is_kept(app):
    english, first_en = _message(app, "en")
    chinese, first_zh = _message(app, "zh-CN")
    assert english == "Not a valid choice."
    assert chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert _message(app, "zh-CN")[1] is first_zh  # the same catalog again, not read anew
    assert _message(app, "en")[1] is first_en


def test_outside_a_request_nothing_is_translated(app):
    with app.app_context():
        assert flask_wtf.i18n.translations.gettext("Not a valid choice.") == "Not a valid choice."
