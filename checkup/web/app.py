"""Wiring the web layer: extensions, sessions, security headers, error pages (the blueprints and the CLI
are registered by create_app, which sits above both)."""

from flask import abort, flash, g, make_response, redirect, render_template, request, send_from_directory
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from checkup import database
from checkup.core.errors import DomainError
from checkup.services.accounts import sessions
from checkup.web import health_probe, locale, log_redaction, signed_values, template_gettext, templating
from checkup.web.extensions import babel, csrf, htmx, limiter, login_manager
from checkup.web.guards import is_timed_poll, login_url_for_current, wants_fragment
from checkup.web.log_redaction import redact_path

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` ids beyond a 32-bit key cannot exist: 404 at routing, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _refuse_nul_bytes():
    """No field of ours may hold a NUL byte (PostgreSQL rejects them): a clear 400, never a 500."""
    values = list(request.args.values()) + list(request.form.values()) + [request.path]
    if any("\x00" in value for value in values):
        abort(400)


def init_app(app):
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul_bytes)
    signed_values.init_app(app)
    database.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(
        app, locale_selector=locale.select_locale, default_translation_directories=str(app.root_path + "/translations")
    )
    app.app_ctx_globals_class = locale.RequestGlobals
    _init_limiter(app)
    locale.keep_wtforms_translations()
    _init_login(app)
    _register_errors(app)
    _register_headers(app)

    health_probe.init_app(app, SECURITY_HEADERS)
    if app.config["TRUST_PROXY"]:  # outermost: the probe answered first sees the scheme the proxy was asked in
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    log_redaction.protect_app_logs(app)  # no token, ID or phone number in the app's log lines

    templating.init_app(app)
    template_gettext.init_app(app)


def _init_limiter(app):
    """Flask-Limiter, its check before every request left out. Every limit of ours decorates its route, and a
    decorated route checks its own limits as it is called; the check before every request would only add
    default, application or blueprint limits, of which there are none, and cost every page ~50 µs finding
    that out. Should one of those ever be configured, the app refuses to start rather than not apply it."""
    limiter.init_app(app)
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or getattr(manager, "_blueprint_limits", None):
        raise RuntimeError(
            "a default, application or blueprint rate limit needs Flask-Limiter's check on every request"
        )
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # not there when limits are off (RATELIMIT_ENABLED)
        checks.remove(limiter._check_request_limit)


def _init_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side session row is the protection
    # with protection off Flask-Login still hashes the address and user agent on every request (~20 µs) to
    # compare them with nothing: no identifier is made at all
    login_manager._session_identifier_generator = lambda: None

    @login_manager.user_loader
    def load_user(token):
        try:
            # a part of a page polling on a timer (static/js/idle.js marks it) is no sign of anybody there
            return sessions.load_session(token, activity=not is_timed_poll())
        except sessions.SessionIdle as idle:  # shown on the sign-in page the protected page sends them to
            flash(_("You were signed out after %(minutes)d minutes without activity.", minutes=idle.minutes), "info")
            return None

    @login_manager.unauthorized_handler
    def unauthorized():
        target = login_url_for_current()
        if htmx:
            response = app.response_class("", status=401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)


def _as_visitor_unless_loaded():
    """An error page must not ask the database for the signed-in account again when that may be what
    failed: if the account was not loaded yet, the page is shown as to a visitor (Flask-Login keeps the
    loaded user in ``g._login_user`` and its template context asks for it on every page)."""
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()


def _error_page(status, title, message):
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    response = app_response(render_template(template, status=status, title=title, message=message), status)
    return response


def app_response(body, status):
    return make_response(body, status)


def _register_errors(app):
    titles = {
        400: lambda: _("Bad request"),
        401: lambda: _("Please sign in"),
        403: lambda: _("Not allowed"),
        404: lambda: _("Page not found"),
        405: lambda: _("Not allowed"),
        413: lambda: _("File too large"),
        429: lambda: _("Too many attempts"),
        500: lambda: _("Something went wrong"),
    }
    messages = {
        400: lambda: _("The request could not be understood. Go back and try again."),
        401: lambda: _("Please sign in to continue."),
        403: lambda: _("Your account does not have access to this page."),
        404: lambda: _("We could not find what you were looking for."),
        405: lambda: _("This address does not accept that kind of request."),
        413: lambda: _(
            "The file is larger than the portal accepts (%(mb)d MB).",
            mb=max(1, (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)),
        ),
        429: lambda: _("Too many attempts in a short time. Wait a minute and try again."),
        500: lambda: _("The portal hit an unexpected problem. It has been logged; please try again."),
    }

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(
            400,
            _("Form expired"),
            _("This form has expired or was sent from elsewhere. Reload the page and try again."),
        )

    @app.errorhandler(DomainError)
    def domain_error(error):
        return _error_page(error.status, titles.get(error.status, titles[400])(), str(error.message))

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        if code not in titles:
            return error
        return _error_page(code, titles[code](), messages[code]())

    @app.errorhandler(database.DatabaseUnavailable)
    def database_unavailable(error):
        # A plain page: the usual layout would load the signed-in account (and its language) from the very
        # database that cannot be reached, so the language comes from the session or the browser.
        g._login_user = login_manager.anonymous_user()
        with force_locale(locale.visitor_locale(app)):
            body = render_template(
                "errors/unavailable.html",
                title=_("Service unavailable"),
                message=_(
                    "The portal cannot reach its database just now. Nothing you "
                    "sent has been saved; please try again in a few minutes."
                ),
            )
        response = app_response(body, 503)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("Unhandled error on %s %s", request.method, redact_path(request.path))
        return _error_page(500, titles[500](), messages[500]())

    @app.errorhandler(InterfaceError)
    @app.errorhandler(OperationalError)
    def database_error(error):
        if database.connection_lost():
            # the server went away under this request (a restart, a cut connection): the same page as when
            # it cannot be reached at the start; the pool drops the dead connection, the next request connects
            app.logger.error("database connection lost (%s %s)", request.method, request.endpoint)
            return database_unavailable(error)
        if not database.is_statement_timeout(error):
            return unexpected(error)
        # PostgreSQL cancelled a statement that ran past CHECKUP_STATEMENT_TIMEOUT_MS: the request ends here
        # (its transaction rolled back), the server is free again, and the visitor may retry
        app.logger.warning("statement timeout on %s %s", request.method, request.endpoint)
        _as_visitor_unless_loaded()  # the slow statement may have been the account's own lookup
        response = _error_page(
            503,
            _("Taking too long"),
            _(
                "The portal stopped this request because it took too long. Please try again in a moment; "
                "if it keeps happening, narrow your search or tell the center."
            ),
        )
        response.headers["Retry-After"] = "30"
        return response


# Sent with every response unless the view set its own value.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", CSP),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


_LOWERED_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)


def _register_headers(app):
    @app.after_request
    def headers(response):
        sent, current = response.headers, request._get_current_object()  # the request through its proxy once
        # one pass over the response's headers, not a case-insensitive search per header we add
        present = {name.lower() for name, _value in sent.items()}
        for lowered, name, value in _LOWERED_SECURITY_HEADERS:
            if lowered not in present:
                sent.add(name, value)
        if current.is_secure and "strict-transport-security" not in present:
            sent.add("Strict-Transport-Security", "max-age=31536000")
        if "vary" in present:
            response.vary.add("HX-Request")
        else:
            sent.add("Vary", "HX-Request")
        # pages, PDFs, exports, calendar files: never cached
        if "cache-control" not in present and not current.path.startswith("/static/"):
            sent.add("Cache-Control", "no-store")
        return response

    @app.get("/favicon.ico")
    @limiter.exempt
    def favicon():
        # pages carry the icon inline; a browser asks for /favicon.ico anyway when it shows a PDF or an image
        response = send_from_directory(app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
