"""/healthz: the route, and the same answer given to a load balancer's plain ``GET /healthz`` before Flask's
request machinery runs.

A probe has no session, no form, no account and no language: the session, CSRF, login, limiter and
statement-timeout hooks every page runs mean nothing to it, yet they cost more than the check itself (a probe
through them ran 1.74 M instructions, answered first 0.77 M). So a plain GET without a query string is
answered by ``wsgi_app`` below, with the body, status and headers the route gives (a test compares them).
Anything else (HEAD, a query string, debug mode) goes through Flask to the route, whose answer is the same.
"""

from flask import jsonify

from checkup.services.admin import health
from checkup.web.extensions import limiter


def init_app(app, security_headers):
    """Register the route and answer plain probes first. ``security_headers``: the (name, value) pairs
    every response carries (web.app adds them after each request; a probe answered first gets them here)."""
    figures = health.FiguresCache()  # this app's task figures, shared by its probes

    def report():
        with app.app_context():  # the check reads the app's config and clock as a request would
            return health.check(app.config, figures)

    @app.get("/healthz")
    @limiter.exempt
    def healthz():
        answer = report()
        return jsonify(answer), _status(answer)

    inner = app.wsgi_app
    # the headers the route's answer gets after Flask's hooks, in their order (the login hook looks at the
    # session, so Flask adds Cookie to Vary; harmless on an answer never stored)
    plain_headers = [*security_headers, ("Vary", "HX-Request, Cookie"), ("Cache-Control", "no-store")]
    secure_headers = [*security_headers, ("Strict-Transport-Security", "max-age=31536000")] + plain_headers[-2:]

    def wsgi_app(environ, start_response):
        if (
            environ.get("PATH_INFO") != "/healthz"
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or app.debug  # jsonify indents in debug mode: the route answers
        ):
            return inner(environ, start_response)
        answer = report()
        # as jsonify writes it outside debug mode: compact, keys sorted by the app's JSON provider, a newline
        body = (app.json.dumps(answer, separators=(",", ":")) + "\n").encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        headers += secure_headers if environ.get("wsgi.url_scheme") == "https" else plain_headers
        start_response("200 OK" if _status(answer) == 200 else "503 SERVICE UNAVAILABLE", headers)
        return [body]

    app.wsgi_app = wsgi_app


def _status(answer):
    return 200 if answer["status"] == "ok" else 503
