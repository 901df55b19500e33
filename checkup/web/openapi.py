"""API operations declared once: ``operation(...)`` registers a view on its blueprint behind
``require_scope`` and records what it takes and answers, and ``document()`` builds the OpenAPI 3.1
document from those records and the pydantic models (JSON Schema 2020-12 is OpenAPI 3.1's own dialect, so
the models' schemas go in as they are).

Why not apiflask, spectree or flask-smorest: apiflask and flask-smorest describe schemas with marshmallow
through apispec, which writes OpenAPI 3.0-style schemas (``nullable``) even when told 3.1; spectree answers
validation errors in its own shape instead of problem+json and hooks its own request parsing. This module
is ~150 lines, uses pydantic (already pulled in by fhir.resources) and keeps errors ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel

from checkup.web.api_auth import PROBLEM_JSON, require_scope

MAX_ID = 2**31 - 1
_PARAM = re.compile(r"<(?:(int|string|path):)?(\w+)>")


@dataclass
class Operation:
    method: str
    path: str  # the Flask rule, with the blueprint's prefix
    endpoint: str
    summary: str
    scope: str | None
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    multipart: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | str | None] = field(default_factory=dict)
    etag: bool = False
    idempotent: bool = False
    description: str = ""


OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    scope: str | None,
    tag: str,
    responses: dict[int, type[BaseModel] | str | None],
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    multipart: type[BaseModel] | None = None,
    etag: bool = False,
    idempotent: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the view at ``rule`` for ``method`` (behind ``require_scope(scope)`` unless scope is None)
    and describe it for the document. ``responses`` maps a success status to its model (or a media type
    string for a file, None for no body); the problems every call may meet are added by ``document``."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = view.__name__
        prefix = bp.url_prefix or ""
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                path=prefix + rule,
                endpoint=f"{bp.name}.{endpoint}",
                summary=summary,
                scope=scope,
                tag=tag,
                query=query,
                body=body,
                multipart=multipart,
                responses=responses,
                etag=etag,
                idempotent=idempotent,
                description=(view.__doc__ or "").strip(),
            )
        )
        wrapped = require_scope(scope)(view) if scope else view
        bp.add_url_rule(rule, endpoint, wrapped, methods=[method.upper()])
        return wrapped

    return register


# --- the document ---------------------------------------------------------------------------------


def _schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    produced = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in produced.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = produced
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _parameters(op: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for converter, name in _PARAM.findall(op.path):
        schema = (
            {"type": "integer", "minimum": 0, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string", "maxLength": 200}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        produced = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
        required = set(produced.get("required", []))
        for name, prop in produced.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            entry = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                entry["description"] = description
            params.append(entry)
    if op.etag:
        params.append({"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}})
    if op.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "The same key with the same body answers as the first time; another body is 422.",
                "schema": {"type": "string", "maxLength": 200},
            }
        )
    return params


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        if model is None:
            responses[str(status)] = {"description": "No content"}
        elif isinstance(model, str):
            responses[str(status)] = {
                "description": "The file",
                "content": {model: {"schema": {"type": "string", "contentMediaType": model}}},
            }
        else:
            answer: dict[str, Any] = {
                "description": model.__doc__.strip().splitlines()[0] if model.__doc__ else model.__name__,
                "content": {"application/json": {"schema": _schema(model, schemas)}},
            }
            if op.etag:
                answer["headers"] = {"ETag": {"schema": {"type": "string"}}}
            responses[str(status)] = answer
    if op.etag:
        responses["304"] = {"description": "Not modified (the If-None-Match ETag is current)"}
    if op.scope:
        responses["401"] = _problem("Missing, unknown, revoked or rotated token")
        responses["403"] = _problem("The client lacks the scope")
        responses["429"] = _problem("Over the client's rate limit")
    if "<" in op.path:
        responses["404"] = _problem("No such object (or not shared with this client)")
    if op.body is not None or op.multipart is not None or op.query is not None or op.idempotent:
        responses["400"] = _problem("The request could not be read")
        responses["422"] = _problem("The request breaks a rule (see `errors`)")
    if op.method == "post":
        responses.setdefault("404", _problem("A named object does not exist"))
        responses["409"] = _problem("The change conflicts with the current state")
        responses["413"] = _problem("The request is too large")
    result: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op, schemas),
        "responses": responses,
    }
    if op.description:
        result["description"] = op.description
    if op.scope:
        result["security"] = [{"bearer": [op.scope]}]
        result["x-scope"] = op.scope
    else:
        result["security"] = []
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(op.body, schemas)}},
        }
    if op.multipart is not None:
        form = op.multipart.model_json_schema()
        form.pop("title", None)
        form["properties"]["file"] = {"type": "string", "contentMediaType": "application/octet-stream"}
        result["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    return result


def document(title: str, version: str, prefix: str, problem_model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every operation registered under ``prefix``."""
    schemas: dict[str, Any] = {}
    _schema(problem_model, schemas)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        if not op.path.startswith(prefix):
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", op.path)
        paths.setdefault(path, {})[op.method] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An integration token"}},
        },
        "security": [{"bearer": []}],
    }
