"""The API's door: bearer tokens, scopes, per-client rate limits, one audit row per call, and errors as
RFC 9457 problem details (``application/problem+json``).

Every API view (REST, HL7, FHIR) is decorated with ``require_scope(...)``. It answers 401 for a missing,
unknown, revoked or rotated-out token, 403 for a client without the scope, 429 past the client's rate limit,
sets ``g.api_client`` for the view, turns domain errors and HTTP errors into problems, and records
``api.call`` in the audit log with the client, the endpoint, the objects the view named (``note_objects``)
and the outcome. The session is never loaded or saved for an API request, so no cookie is ever set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, json, request
from flask.globals import request_ctx
from limits import parse as parse_limit
from peewee import Model
from werkzeug.exceptions import HTTPException

from checkup.core import audit
from checkup.core.errors import DomainError
from checkup.models.integrations import IntegrationClient
from checkup.services.integrations import clients
from checkup.web.extensions import csrf, limiter

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:checkup:problem:"
AUDIT_ACTION = "api.call"
_ViewT = TypeVar("_ViewT", bound=Callable[..., Any])

_REFUSALS = {
    clients.MISSING: "Send the token as 'Authorization: Bearer <token>'.",
    clients.UNKNOWN: "The token is not valid.",
    clients.REVOKED: "The token was revoked.",
    clients.ROTATED: "The token was replaced by a newer one (rotated).",
}


def problem(status: int, title: str, detail: str = "", type: str | None = None, **extra: Any) -> Response:
    """An RFC 9457 problem response: ``type`` (a URN naming the problem, ``about:blank`` by default), ``title``,
    ``status``, ``detail`` and any extension members (``errors``, ``instance`` …)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type if type else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    body.update(extra)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    return response


def note_objects(*objects: Model | None) -> None:
    """Name the objects this API call touched, for its audit row (the first one's client is kept too)."""
    noted = g.setdefault("api_objects", [])
    noted.extend(obj for obj in objects if obj is not None)


def current_client() -> IntegrationClient:
    client: IntegrationClient = g.api_client
    return client


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _drop_session() -> None:
    """No cookie in, none out: the API authenticates each request by its token alone."""
    # Flask opens the session before any view runs; a null session in its place is never saved. Flask has
    # no public setter for it (RequestContext.session is a read-only property over ``_session``).
    ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]  # werkzeug's LocalProxy
    ctx._session = current_app.session_interface.make_null_session(current_app)


def _over_rate_limit(client: IntegrationClient) -> bool:
    if not (limiter.enabled and limiter.initialized):
        return False
    try:
        return not limiter.limiter.hit(parse_limit(client.rate_limit), "api-client", str(client.id))
    except Exception:  # the limiter's storage is down: the API stays open, as the pages' limits do
        log.warning("API rate limit not checked for client %s", client.id, exc_info=True)
        return False


def _record(client: IntegrationClient | None, status: int, reason: str = "") -> None:
    objects: list[Model] = g.pop("api_objects", [])
    detail: dict[str, Any] = {
        "integration": client.id if client is not None else None,
        "endpoint": request.endpoint or "",
        "method": request.method,
        "status": status,
    }
    if reason:
        detail["reason"] = reason
    if len(objects) > 1 or (objects and status >= 400):
        detail["objects"] = [f"{obj._meta.table_name}:{obj._pk}" for obj in objects]  # type: ignore[attr-defined]
    try:
        audit.record(audit.Actor(ip=request.remote_addr or ""), AUDIT_ACTION, objects[0] if objects else None, **detail)
    except Exception:  # the call's answer stands; a lost audit row is logged loudly
        log.exception("API audit row not written (%s %s)", request.method, request.endpoint)


def _as_problem(error: Exception) -> Response:
    if isinstance(error, DomainError):
        extra: dict[str, Any] = {}
        if error.field_errors:
            extra["errors"] = {name: str(message) for name, message in error.field_errors.items()}
        titles = {404: "Not found", 409: "Conflict", 403: "Forbidden", 422: "Unprocessable content"}
        kinds = {404: "not-found", 409: "conflict", 403: "forbidden", 422: "validation"}
        return problem(
            error.status,
            titles.get(error.status, "Bad request"),
            str(error.message),
            type=kinds.get(error.status, "bad-request"),
            **extra,
        )
    assert isinstance(error, HTTPException)
    code = error.code or 500
    response = problem(code, error.name, error.description or error.name)
    allowed = getattr(error, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def require_scope(*scopes: str) -> Callable[[_ViewT], _ViewT]:
    """Only a request bearing an active client's token holding every one of ``scopes`` reaches the view."""

    def decorator(view: _ViewT) -> _ViewT:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            _drop_session()
            client, reason = clients.authenticate(bearer_token())
            if client is None:
                response = problem(401, "Unauthorized", _REFUSALS[reason], type="invalid-token")
                response.headers["WWW-Authenticate"] = 'Bearer realm="checkup", error="invalid_token"'
                _record(None, 401, reason)
                return response
            g.api_client = client
            if not clients.has_scope(client, *scopes):
                _record(client, 403, "scope")
                return problem(
                    403, "Forbidden", f"This client lacks the scope {' '.join(scopes)}.", type="insufficient-scope"
                )
            if _over_rate_limit(client):
                _record(client, 429, "rate limit")
                response = problem(429, "Too many requests", f"Rate limit: {client.rate_limit}.", type="rate-limit")
                response.headers["Retry-After"] = "60"
                return response
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except (DomainError, HTTPException) as error:
                response = _as_problem(error)
            except Exception:
                current_app.logger.exception("API error on %s %s", request.method, request.endpoint)
                response = problem(500, "Internal server error", "The portal hit an unexpected problem; it is logged.")
            _record(client, response.status_code)
            return response

        return wrapped  # type: ignore[return-value]

    return decorator


def api_blueprint(bp: Blueprint) -> Blueprint:
    """Make ``bp`` an API blueprint: no CSRF (no cookie authenticates it), and every error under its prefix
    as a problem — also a path no route takes or a method it does not allow, which Flask answers before any
    view (or ``require_scope``) runs."""
    csrf.exempt(bp)
    prefix = (bp.url_prefix or "").rstrip("/") + "/"

    @bp.before_app_request
    def unrouted_problem() -> Response | None:
        # a path or method no route of ours takes: a problem, like every other answer under the prefix
        error = request.routing_exception
        if isinstance(error, HTTPException) and request.path.startswith(prefix):
            return _as_problem(error)
        return None

    @bp.errorhandler(HTTPException)
    def http_problem(error: HTTPException) -> Response:
        return _as_problem(error)

    return bp
