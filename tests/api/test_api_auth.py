"""The API's door: tokens, scopes, revocation and rotation, an audit row for every call, no cookies, no CORS."""

import json

import pytest

from checkup.core.audit import SYSTEM
from checkup.models import AuditEvent
from checkup.models.integrations import IntegrationClient
from checkup.services.integrations import clients
from tests.api.api_helpers import assert_problem, bearer, token_for

pytestmark = pytest.mark.both_dbs


def _api_calls():
    return [
        json.loads(e.detail) for e in AuditEvent.select().where(AuditEvent.action == "api.call").order_by(AuditEvent.id)
    ]


def test_only_the_hash_of_a_token_is_stored_and_it_opens_the_door(app, client):
    system, token = token_for("orders:read")
    row = IntegrationClient.get_by_id(system.id)
    assert token not in (row.secret_hash, row.previous_hash) and len(row.secret_hash) == 64
    assert client.get("/api/v1/worklist", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "header, reason",
    [
        ({}, "missing"),
        ({"Authorization": "Bearer ck_not-a-real-token"}, "unknown"),
        ({"Authorization": "Basic abc"}, "missing"),
    ],
)
def test_a_call_without_a_valid_token_is_401_problem_and_audited(app, client, header, reason):
    response = client.get("/api/v1/worklist", headers=header)
    body = assert_problem(response, 401)
    assert body["type"] == "urn:checkup:problem:invalid-token"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert _api_calls()[-1] == {
        "integration": None,
        "endpoint": "api_v1.worklist_read",
        "method": "GET",
        "status": 401,
        "reason": reason,
    }


def test_a_token_without_the_scope_gets_403(app, client):
    system, token = token_for("orders:read")
    body = assert_problem(client.get("/api/v1/clients", headers=bearer(token)), 403)
    assert "clients:read" in body["detail"]
    assert _api_calls()[-1]["integration"] == system.id and _api_calls()[-1]["status"] == 403


def test_a_revoked_token_gets_401_at_once(app, client):
    system, token = token_for("orders:read")
    assert client.get("/api/v1/worklist", headers=bearer(token)).status_code == 200
    clients.revoke_client(SYSTEM, system.id)
    body = assert_problem(client.get("/api/v1/worklist", headers=bearer(token)), 401)
    assert "revoked" in body["detail"]


def test_after_rotation_the_old_token_is_refused_as_rotated_and_the_new_one_works(app, client):
    system, old = token_for("orders:read")
    new = clients.rotate_secret(SYSTEM, system.id).token
    assert new != old
    body = assert_problem(client.get("/api/v1/worklist", headers=bearer(old)), 401)
    assert "rotated" in body["detail"]
    assert client.get("/api/v1/worklist", headers=bearer(new)).status_code == 200
    assert _api_calls()[-2]["reason"] == "rotated"


def test_every_call_has_one_audit_row_with_client_endpoint_and_outcome(app, client):
    system, token = token_for("orders:read", "clients:read")
    calls = [
        ("/api/v1/worklist", 200),
        ("/api/v1/clients", 200),
        ("/api/v1/clients/999999", 404),
        ("/api/v1/worklist?limit=0", 422),
        ("/api/v1/appointments", 403),
    ]
    for path, status in calls:
        assert client.get(path, headers=bearer(token)).status_code == status
    rows = _api_calls()
    assert [(r["integration"], r["status"]) for r in rows] == [(system.id, s) for _, s in calls]
    assert [r["endpoint"] for r in rows] == [
        "api_v1.worklist_read",
        "api_v1.clients_list",
        "api_v1.client_read",
        "api_v1.worklist_read",
        "api_v1.appointments_list",
    ]


def test_api_responses_set_no_cookie_and_allow_no_other_origin(app, client):
    _system, token = token_for("orders:read")
    client.set_cookie("checkup_session", "something")
    response = client.get("/api/v1/worklist", headers=bearer(token, Origin="https://evil.example"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/api/v1/worklist", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_writes_need_no_csrf_token(app, tmp_path):
    from checkup import create_app
    from tests.conftest import base_config

    strict = create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], WTF_CSRF_ENABLED=True))
    with strict.app_context():
        _system, token = token_for("results:write")
    response = strict.test_client().post(
        "/api/v1/results", data="{}", content_type="application/json", headers=bearer(token)
    )
    assert_problem(response, 422)  # the body was read and refused; CSRF did not stop it at 400


def test_registering_refuses_unknown_scopes_and_malformed_limits(app):
    from checkup.core.errors import ValidationError

    with pytest.raises(ValidationError):
        clients.register_client(SYSTEM, "HIS", ["root"])
    with pytest.raises(ValidationError):
        clients.register_client(SYSTEM, "HIS", ["orders:read"], "lots")
    with pytest.raises(ValidationError):
        clients.register_client(SYSTEM, "", ["orders:read"])
    assert IntegrationClient.select().count() == 0


def test_the_rate_limit_answers_429_problem_past_the_clients_limit(app, tmp_path):
    from checkup import create_app
    from tests.conftest import base_config

    limited = create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], RATELIMIT_ENABLED=True))
    with limited.app_context():
        issued = clients.register_client(SYSTEM, "tight", ["orders:read"], "2 per minute")
    http = limited.test_client()
    statuses = [http.get("/api/v1/worklist", headers=bearer(issued.token)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    with limited.app_context():
        body = assert_problem(http.get("/api/v1/worklist", headers=bearer(issued.token)), 429)
    assert "2 per minute" in body["detail"]
