"""Lazy strings (form labels, choices, messages) are translated through the request's kept catalog
(checkup/web/templating.py): the same text Flask-Babel's own lookup gives, in the language of the moment."""

from flask_babel import force_locale, gettext, lazy_gettext, ngettext
from flask_babel.speaklater import LazyString

from checkup.web import templating


def test_a_lazy_string_reads_as_flask_babel_would_in_each_language(app):
    company = lazy_gettext("Company")
    at_most = lazy_gettext("Use at most %(max)d characters.", max=12)
    with app.test_request_context("/"):
        with force_locale("zh"):
            assert str(company) == gettext("Company") == "单位"
            assert str(at_most) == gettext("Use at most %(max)d characters.", max=12) == "最多 12 个字符。"
            assert company.__html__() == "单位"
        with force_locale("en"):
            assert str(company) == "Company"  # the language changed: looked up again
            assert str(at_most) == "Use at most 12 characters."
        with force_locale("zh"):
            assert str(company) == "单位"


def test_other_lazy_strings_and_no_app_context_read_as_before(app):
    plural = LazyString(ngettext, "%(num)d follow-up.", "%(num)d follow-ups.", 2)
    with app.test_request_context("/"), force_locale("en"):
        assert str(plural) == "2 follow-ups."
    with app.test_request_context("/"), force_locale("zh"):
        assert str(plural) == ngettext("%(num)d follow-up.", "%(num)d follow-ups.", 2)
    assert LazyString.__str__ is templating._lazy_gettext_text


def test_outside_any_app_the_message_id_is_the_text():
    templating._translate_lazy_strings_quickly()  # as create_app does
    assert str(lazy_gettext("Company")) == "Company"
    assert str(lazy_gettext("Use at most %(max)d characters.", max=3)) == "Use at most 3 characters."
