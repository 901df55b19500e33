"""What every page asks for several times is worked out once per request (web/templating.py, core/i18n.py):
the CSRF token, static file URLs, and whether the request's language is Chinese — and each still follows
the request it belongs to. Each request here gets its own app context (and ``g``), as in production."""

import contextlib

from flask import g
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf

from checkup.core.i18n import is_chinese
from checkup.web.page_shell import csrf_token, static_url


@contextlib.contextmanager
def request_of(app, *args, **kwargs):
    with app.app_context(), app.test_request_context(*args, **kwargs):
        yield


def test_the_csrf_token_is_flask_wtfs_and_is_kept_for_the_request(app):
    with request_of(app, "/"):
        token = csrf_token()
        assert token == generate_csrf() == csrf_token()
        assert app.jinja_env.globals["csrf_token"] is csrf_token
    with request_of(app, "/"):
        assert "_checkup_csrf_token" not in g  # a new request starts without it
        assert csrf_token()


def test_static_urls_follow_the_application_root(app):
    with request_of(app, "/"):
        assert static_url("css/app.css") == "/static/css/app.css"
    with request_of(app, "/", base_url="http://localhost/portal/"):
        assert static_url("css/app.css") == "/portal/static/css/app.css"


def test_is_chinese_follows_the_chosen_and_the_forced_locale(app):
    with request_of(app, "/", headers={"Accept-Language": "en"}):
        assert is_chinese() is False
        with force_locale("zh"):
            assert is_chinese() is True
        assert is_chinese() is False
    with request_of(app, "/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}):
        assert is_chinese() is True
        with force_locale("en"):
            assert is_chinese() is False
        assert is_chinese() is True
    with app.app_context():  # no request: force_locale still decides (mail and PDFs in a worker)
        with force_locale("zh"):
            assert is_chinese() is True
