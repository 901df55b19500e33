"""What a log line may show of a request: never a token, a national ID number or a phone number.

Emailed links carry a token in their path (``/password/reset/<token>``, ``/invite/<token>``, …). The app
trades it for the session on the first request (checkup/web/link_tokens.py), but gunicorn has
already written that request's path, query string and Referer to its access log by then. Run gunicorn
with ``--logger-class checkup.web.log_redaction.RedactingLogger`` (Makefile, Procfile, deploy/): the token
segment is shown as "…", the query string of a route whose query may name a person is dropped, and
cookies (the session holds a traded token) are never written. The app's own log records pass the same
scrub (``protect_app_logs``), in the web processes and in the workers.
"""

import logging
import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from flask.logging import default_handler
from gunicorn.glogging import Logger

HIDDEN = "…"

# Routes whose next path segment is a token. tests/privacy/test_log_privacy.py checks that every ``<token>``
# route of the app is redacted and no other route is touched.
TOKEN_PREFIXES = ("password/reset", "invite", "me/waitlist/offer", "preferences", "survey", "register/confirm")
LITERAL_SEGMENTS = {"survey": {"thanks"}}  # pages that live under a token prefix without a token
_TOKEN_SEGMENT = re.compile(
    r"(?P<prefix>/(?:%s))/(?P<token>[A-Za-z0-9_.~%%\-]+)" % "|".join(re.escape(p) for p in TOKEN_PREFIXES)
)
# A path segment shaped like a signed or random token, on any route (a new link kind not listed above).
_TOKEN_SHAPED = re.compile(r"^(?=[A-Za-z0-9_.\-]*\d)(?=[A-Za-z0-9_.\-]*[A-Za-z])[A-Za-z0-9_.\-]{32,}$")

# Routes whose query string may carry a name, phone, ID number or a token path (``next``): dropped whole.
PRIVATE_QUERY_PATHS = re.compile(
    r"^/(?:login|register|directory/clients|desk/appointments|desk/day/walk-in|hr/employees(?:\.xlsx)?"
    r"|admin/accounts)/?$"
)
# Elsewhere, these parameters' values are hidden.
PRIVATE_PARAMETERS = frozenset({"q", "next", "token", "search", "phone", "email", "national_id", "id_number"})
_PRIVATE_PARAMETER = re.compile(r"(?P<name>[?&](?:%s)=)[^&#\s\"']*" % "|".join(sorted(PRIVATE_PARAMETERS)))

# A mainland resident ID number (18 characters) and a mainland mobile number, wherever they stand.
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])")

# Request and response headers / environ keys (gunicorn's ``{name}i``, ``{name}o``, ``{name}e`` atoms).
_SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "http_cookie", "authorization", "http_authorization", "x-csrftoken", "http_x_csrftoken"}
)


def _token_segment(match):
    prefix, token = match.group("prefix"), match.group("token")
    if token in LITERAL_SEGMENTS.get(prefix.lstrip("/"), ()):
        return match.group(0)
    return f"{prefix}/{HIDDEN}"


def redact_path(path):
    """The path with any token segment replaced by "…"."""
    path = _TOKEN_SEGMENT.sub(_token_segment, path or "")
    return "/".join(HIDDEN if _TOKEN_SHAPED.match(segment) else segment for segment in path.split("/"))


def is_token_path(path):
    return redact_path(path) != (path or "")


def redact_query(path, query):
    """The query string of ``path`` as a log may show it: dropped on private routes, else private values hidden."""
    if not query:
        return query or ""
    if PRIVATE_QUERY_PATHS.match(path or "") or is_token_path(path):
        return HIDDEN
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{quote(name, safe='')}={HIDDEN if name in PRIVATE_PARAMETERS else quote(value, safe='')}"
        for name, value in pairs
    )


def redact_url(url):
    """A full URL or request target (``/path?query``) with its path and query redacted."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    path = parts.path
    return urlunsplit(parts._replace(path=redact_path(path), query=redact_query(path, parts.query), fragment=""))


def redact_text(text):
    """Free text (a log message, a traceback): token paths, private query values, ID and mobile numbers."""
    if not text:
        return text
    text = _TOKEN_SEGMENT.sub(_token_segment, text)
    text = _PRIVATE_PARAMETER.sub(lambda m: m.group("name") + HIDDEN, text)
    text = _NATIONAL_ID.sub(HIDDEN, text)
    return _MOBILE.sub(HIDDEN, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) through ``redact_text``; never drops a record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is the logging module's to report
            return True
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def _add_filter(target):
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


def protect_app_logs(app):
    """Every record of the app's loggers (``checkup`` and ``checkup.*``) is scrubbed by the handler that
    writes it: Flask's default handler, and any handler set on the app's logger."""
    for handler in (default_handler, *app.logger.handlers):
        _add_filter(handler)


class RedactingLogger(Logger):
    """gunicorn's logger with the access line's request, path, query, Referer and headers redacted.

    ``--logger-class checkup.web.log_redaction.RedactingLogger``; the error log is scrubbed too (at
    ``--log-level debug`` gunicorn writes every request path there)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            _add_filter(log)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        atoms["r"] = "%s %s %s" % (
            environ.get("REQUEST_METHOD"),
            redact_url(environ.get("RAW_URI") or path),
            environ.get("SERVER_PROTOCOL"),
        )
        atoms["U"] = redact_path(path)
        atoms["q"] = redact_query(path, environ.get("QUERY_STRING") or "")
        atoms["f"] = redact_url(environ.get("HTTP_REFERER") or "-")
        for key, value in list(atoms.items()):
            if not (key.startswith("{") and key[-2:] in ("}i", "}o", "}e")):
                continue
            name = key[1:-2]
            if name in _SECRET_HEADERS:
                atoms[key] = HIDDEN
            elif name in ("path_info", "script_name"):
                atoms[key] = redact_path(str(value))
            elif name == "query_string":
                atoms[key] = atoms["q"]
            elif isinstance(value, str):
                atoms[key] = redact_text(redact_url(value) if value.startswith(("/", "http")) else value)
        return atoms
