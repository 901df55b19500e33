"""What every API view shares: reading a query string or a JSON body through its model, opaque cursors,
ETags on reads (If-None-Match → 304) and Idempotency-Key replays on writes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, request
from pydantic import BaseModel
from pydantic import ValidationError as ModelError

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.services.integrations import idempotency
from checkup.web.api_auth import current_client, problem

ModelT = TypeVar("ModelT", bound=BaseModel)
REPLAYED_HEADER = "Idempotent-Replayed"


def api_actor() -> Actor:
    return Actor(None, request.remote_addr or "")


def _errors(error: ModelError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in error.errors()}


def query(model: type[ModelT]) -> ModelT:
    """The query string as ``model``; ValidationError (422) naming each bad parameter."""
    values = {key: request.args.get(key) for key in request.args}
    try:
        return model.model_validate(values)
    except ModelError as error:
        raise ValidationError("The query string breaks a rule.", _errors(error)) from None


def body(model: type[ModelT]) -> ModelT:
    """The JSON body as ``model``; ValidationError (422) naming each bad field."""
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError("Send a JSON body (Content-Type: application/json).", {"body": "Not JSON."})
    try:
        return model.model_validate(data)
    except ModelError as error:
        raise ValidationError("The body breaks a rule.", _errors(error)) from None


def encode_cursor(after: int | None) -> str | None:
    return None if after is None else base64.urlsafe_b64encode(f"a:{after}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        after = int(value)
        if kind != "a" or not 0 <= after < 2**31:
            raise ValueError(text)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The cursor is not one this API gave.", {"cursor": "Not a cursor of this API."}) from None
    return after


def json_answer(payload: Any, status: int = 200) -> Response:
    return current_app.response_class(
        json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str), status=status, mimetype="application/json"
    )


def read(payload: Any) -> Response:
    """A read's answer with its ETag; 304 when the caller's If-None-Match already names it."""
    response = json_answer(payload)
    tag = hashlib.sha256(response.get_data()).hexdigest()[:32]
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    if request.if_none_match.contains(tag):
        not_modified = current_app.response_class(status=304)
        not_modified.set_etag(tag)
        not_modified.headers["Cache-Control"] = "private, no-cache"
        return not_modified
    return response


_ViewT = TypeVar("_ViewT", bound=Callable[..., Any])


def idempotent(view: _ViewT) -> _ViewT:
    """With an Idempotency-Key header: the first answer is stored; the same key and body answer it again
    (``Idempotent-Replayed: true``), the same key with another body is 422. Server errors are not stored."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > idempotency.MAX_KEY_LENGTH:
            raise ValidationError("The Idempotency-Key is too long.", {"Idempotency-Key": "At most 200 characters."})
        client = current_client()
        endpoint = f"{request.method} {request.path}"
        raw = request.get_data(cache=True)
        try:
            stored = idempotency.answered(client, key, endpoint, raw)
        except idempotency.KeyReused:
            return problem(
                422, "Idempotency key reused", "This Idempotency-Key was used with another request.", type="key-reused"
            )
        if stored is not None:
            mimetype = "application/problem+json" if stored.status >= 400 else "application/json"
            replay = current_app.response_class(stored.body, status=stored.status, mimetype=mimetype)
            replay.headers[REPLAYED_HEADER] = "true"
            return replay
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 500:
            idempotency.remember(client, key, endpoint, raw, response.status_code, response.get_data(as_text=True))
        return response

    return wrapped  # type: ignore[return-value]
