"""Shared set-up for API tests: an integration client with a token, and requests that carry it."""

import json

from checkup.core.audit import SYSTEM
from checkup.models.integrations import SCOPES
from checkup.services.integrations import clients


def token_for(*scopes, name=None):
    """A registered client holding ``scopes`` (all of them by default); returns (client, token)."""
    issued = clients.register_client(SYSTEM, name or f"system-{'-'.join(scopes) or 'all'}", scopes or SCOPES)
    return issued.client, issued.token


def bearer(token, **headers):
    return {"Authorization": f"Bearer {token}", **headers}


def post_json(http, path, token, payload, **headers):
    return http.post(path, data=json.dumps(payload), content_type="application/json", headers=bearer(token, **headers))


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body
