"""Markup kept per process when it holds nothing of the request but the CSRF token.

A page part whose markup follows only values the caller names in a key (the language, rows read anew on
every request, the app's addresses) is printed once per key and kept cut where the request's CSRF token
went; each request then joins the pieces with its own token. What a key leaves out must not change the
markup: nothing of one account goes in (the token is the only per-request value, and each visitor gets
their own). Forms that carry errors or a visitor's input are printed as they are, never kept."""

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from checkup.web.html_text import escaped
from checkup.web.page_shell import csrf_token


class KeptMarkup:
    """``kept(key, render)``: ``render()``'s markup for ``key``, printed once and then filled with each
    request's token. At most ``limit`` keys are kept (all dropped when full: keys are few and cheap to print
    again)."""

    def __init__(self, limit=16):
        self._kept: dict = {}
        self._limit = limit

    def __call__(self, key, render) -> Markup:
        token = generate_csrf()  # the request's token, as render() prints it (Flask-WTF keeps it on g)
        pieces = self._kept.get(key)
        if pieces is None:
            pieces = str(render()).split(token)
            if len(self._kept) >= self._limit:
                self._kept.clear()
            self._kept[key] = pieces
        return Markup(token.join(pieces))


class TokenOnlyForm(FlaskForm):
    """A form with no field of its own: its ``csrf_token`` prints what a fresh form's token field prints (the
    same name and id, with ``prefix`` as the form had it, and the request's one token), for a page whose
    forms' fields are kept and printed without building the forms."""


def token_field(prefix="") -> Markup:
    """What ``TokenOnlyForm(prefix=prefix).csrf_token`` prints, without building a form: the hidden field with
    this request's token; nothing with CSRF off (a form then has no such field)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):  # as FlaskForm.Meta.csrf
        return Markup("")
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return Markup(f'<input id="{name}" name="{name}" type="hidden" value="{escaped(csrf_token())}">')
