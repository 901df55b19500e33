"""The templates' gettext callables (web/template_gettext.py) do what Jinja's new-style ones do: the
translation, escaped variables when the template autoescapes, ``%%`` formatted to ``%`` even without
variables, ``num`` for plurals and ``context`` for pgettext; and they follow force_locale."""

from flask_babel import force_locale

from checkup.web import template_gettext


def render(app, source, autoescape=True, **context):
    environment = app.jinja_env.overlay(autoescape=autoescape)
    return environment.from_string(source).render(**context)


def test_strings_variables_and_escaping_as_jinja_new_style(app):
    with app.test_request_context("/"):
        assert render(app, "{{ _('Sign out') }}") == "Sign out"
        assert render(app, "{{ _('<b>%(name)s</b> 100%%', name='<i>') }}") == "<b>&lt;i&gt;</b> 100%"
        assert render(app, "{{ _('100%%') }}") == "100%"
        assert render(app, "{{ _('%(name)s', name='<i>') }}", autoescape=False) == "<i>"
        assert render(app, "{{ ngettext('%(num)d day', '%(num)d days', 1) }}") == "1 day"
        assert render(app, "{{ ngettext('%(num)d day', '%(num)d days', n) }}", n=3) == "3 days"
        assert render(app, "{% trans n=2 %}{{ n }} file{% pluralize %}{{ n }} files{% endtrans %}") == "2 files"
        assert render(app, "{% trans who='<x>' %}Hello {{ who }}{% endtrans %}") == "Hello &lt;x&gt;"
        assert render(app, "{{ pgettext('menu', 'Open') }}") == "Open"
        assert render(app, "{{ npgettext('menu', '%(num)d item', '%(num)d items', 2) }}") == "2 items"


def test_the_underscore_is_gettext_itself_and_follows_the_locale(app):
    assert app.jinja_env.globals["_"] is template_gettext.gettext
    with app.test_request_context("/"):
        assert render(app, "{{ _('Sign out') }}") == "Sign out"
        with force_locale("zh"):
            chinese = render(app, "{{ _('Sign out') }}")
        assert chinese != "Sign out" and chinese.strip()
        assert render(app, "{{ _('Sign out') }}") == "Sign out"
