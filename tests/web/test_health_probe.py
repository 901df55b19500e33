"""A load balancer's plain GET /healthz is answered before Flask's request hooks, with the same status, body
and headers the route gives (asked with a query string, HEAD, or in debug mode, the route answers)."""

import pytest

from checkup import create_app
from checkup.web.app import SECURITY_HEADERS
from tests.conftest import base_config
from tests.task_helpers import CLOSED_REDIS_URL

pytestmark = pytest.mark.both_dbs


def answer(response):
    return response.status_code, list(response.headers.items()), response.data


@pytest.fixture
def hooks_seen(app):
    seen = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append("before"))
    app.after_request_funcs.setdefault(None, []).append(lambda response: seen.append("after") or response)
    return seen


def test_a_plain_probe_skips_the_request_hooks_and_answers_as_the_route_does(client, hooks_seen):
    probe = client.get("/healthz")
    assert hooks_seen == []  # answered before Flask's request machinery
    through_flask = client.get("/healthz?via=flask")
    assert hooks_seen == ["before", "after"]
    assert answer(probe) == answer(through_flask)
    status, headers, body = answer(probe)
    assert status == 200 and body.endswith(b"\n") and probe.get_json()["database"] == "ok"
    assert dict(headers)["Cache-Control"] == "no-store" and "HX-Request" in dict(headers)["Vary"]
    assert set(SECURITY_HEADERS) <= set(headers)
    assert "Set-Cookie" not in dict(headers)


def test_a_failing_part_is_the_same_503_either_way(app, client):
    app.config["REDIS_URL"] = CLOSED_REDIS_URL
    probe, through_flask = client.get("/healthz"), client.get("/healthz?via=flask")
    assert answer(probe) == answer(through_flask)
    assert probe.status_code == 503 and probe.get_json()["redis"] == "error: ConnectionError"


def test_over_https_the_probe_carries_strict_transport_security_as_pages_do(client):
    probe = client.get("/healthz", base_url="https://localhost")
    through_flask = client.get("/healthz?via=flask", base_url="https://localhost")
    assert answer(probe) == answer(through_flask)
    assert probe.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_head_goes_through_the_route(client, hooks_seen):
    response = client.head("/healthz")
    assert response.status_code == 200 and hooks_seen == ["before", "after"]


def test_behind_a_trusted_proxy_the_probe_sees_the_scheme_the_proxy_was_asked_in(app, tmp_path):
    config = base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], TRUST_PROXY=True)
    proxied = create_app(config).test_client()
    response = proxied.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
