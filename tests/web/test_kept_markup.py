"""KeptMarkup (checkup/web/kept_markup.py): printed once per key, filled with each request's own CSRF token."""

from flask import session
from flask_wtf.csrf import generate_csrf

from checkup.web.kept_markup import KeptMarkup


def test_printed_once_per_key_and_filled_with_the_requests_token(app):
    kept, printed = KeptMarkup(limit=2), []

    def render(text):
        def print_it():
            printed.append(text)
            return f'<p>{text}</p><input value="{generate_csrf()}"><input value="{generate_csrf()}">'

        return print_it

    with app.app_context(), app.test_request_context("/"):  # each its own g, where Flask-WTF keeps the token
        session["csrf_token"] = "mine"
        mine = generate_csrf()
        assert kept("a", render("a")) == f'<p>a</p><input value="{mine}"><input value="{mine}">'
    with app.app_context(), app.test_request_context("/"):  # each its own g, where Flask-WTF keeps the token
        session["csrf_token"] = "theirs"
        theirs = generate_csrf()
        assert theirs != mine
        assert kept("a", render("never printed")) == f'<p>a</p><input value="{theirs}"><input value="{theirs}">'
        kept("b", render("b"))
        kept("c", render("c"))  # over the limit: what was kept is dropped
        kept("a", render("a"))
    assert printed == ["a", "b", "c", "a"]


def test_token_field_prints_what_a_token_only_forms_field_prints(app):
    from checkup.web.kept_markup import TokenOnlyForm, token_field

    with app.test_request_context("/"):
        app.config["WTF_CSRF_ENABLED"] = True
        for prefix in ("", "decline"):
            printed = token_field(prefix)
            assert printed == TokenOnlyForm(prefix=prefix).csrf_token()
            assert generate_csrf() in printed
        app.config["WTF_CSRF_ENABLED"] = False
        assert token_field() == ""
