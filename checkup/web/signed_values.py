"""The signed values every request handles, each verified or signed once and then kept.

The session cookie: Flask checks its HMAC and decodes it on every request (about 240,000 instructions, more
than a twentieth of the sign-in page), though a browser sends the same cookie until something in its session
changes. A cookie value verified once is kept with what it holds and the time it was signed, and the same
value is then answered from that; the age is checked again every time, so a cookie expires exactly when
Flask's own check would say so. Only sessions holding plain values (strings, numbers, booleans) are kept:
a list in a session (flashed messages) is changed in place, and a kept copy must never change.

The CSRF token: Flask-WTF signs the session's secret again for every page that shows a form. Its tokens
carry no time limit here (WTF_CSRF_TIME_LIMIT is None: a token lives as long as its session), so a token
signed once for a secret is as good as a new one; the kept token is put where Flask-WTF looks for this
request's (``g.csrf_token``) before the page asks for it.

Both are kept per signing key, in process memory, at most MAX_KEPT of each (the oldest dropped first); a
cookie that fails verification is never kept."""

import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

MAX_KEPT = 4096
_PLAIN = (str, int, float, bool, type(None))


def _keep(kept, key, value):
    if len(kept) >= MAX_KEPT:
        try:
            del kept[next(iter(kept))]
        except (KeyError, StopIteration, RuntimeError):  # another thread dropped it first
            pass
    kept[key] = value


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with each cookie value verified once (see the module), and the cookie
    marked Secure whenever the request came over HTTPS."""

    def __init__(self):
        # {(signing keys, cookie value): (its items, signed at in epoch seconds)}
        self._opened: dict = {}
        # {signing keys: Flask's serializer}: Flask builds a new one for every open and save
        self._serializers: dict = {}

    def get_cookie_secure(self, app):
        return app.config["FORCE_SECURE_COOKIES"] or request.is_secure

    def _keys(self, app):
        return (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def get_signing_serializer(self, app):
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None and app.secret_key:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._keys(app), value)
        kept = self._opened.get(key)
        if kept is not None and 0 <= int(time.time()) - kept[1] <= max_age:  # itsdangerous' own test of the age
            return self.session_class(kept[0])
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(item, _PLAIN) for item in data.values()):
            _keep(self._opened, key, (tuple(data.items()), int(signed_at.timestamp())))
        return self.session_class(data)


# {(secret key, field name, the session's raw secret): its signed token}
_tokens: dict = {}


def _token_key():
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    # read past the session's own get: that marks it accessed, and every response would say Vary: Cookie
    return name, (secret, name, dict.get(session._get_current_object(), name))


def put_kept_csrf_token():
    """Before a request: the token signed earlier for this session's secret, where Flask-WTF finds it."""
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return  # a token with a time limit must be signed afresh
    name, key = _token_key()
    if key[2] is None:
        return
    token = _tokens.get(key)
    if token is not None:
        setattr(g._get_current_object(), name, token)


def keep_csrf_token(response):
    """After a request: a token Flask-WTF signed for this session's secret, kept for its next pages."""
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is None:
        name, key = _token_key()
        token = g._get_current_object().get(name)
        if token is not None and key[2] is not None and key not in _tokens:
            _keep(_tokens, key, token)
    return response


def init_app(app):
    app.session_interface = SessionInterface()
    app.before_request(put_kept_csrf_token)
    app.after_request(keep_csrf_token)
