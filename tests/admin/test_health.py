"""/healthz: the database and Redis are asked on every probe (Redis over one pooled connection, not a new
one per probe); the task figures may be a moment old; a Redis that is down is a 503 with its reason."""

import time

import pytest

from checkup.models.base import utcnow
from checkup.models.tasks import DEAD, Task
from checkup.services.admin import health
from tests.conftest import REDIS_URL, reachable, service_missing
from tests.task_helpers import CLOSED_REDIS_URL

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def with_redis(app):
    if not reachable(REDIS_URL, 6379):
        service_missing(f"Redis is not reachable at {REDIS_URL}")
    app.config["REDIS_URL"] = REDIS_URL
    return app


def dead_task():
    now = utcnow()
    return Task.create(
        kind="tasks.noop",
        args_json="[]",
        dedupe_key=f"health-{time.monotonic_ns()}",
        state=DEAD,
        attempts=6,
        next_attempt_at=now,
        last_error="boom",
        created_at=now,
    )


def test_every_probe_asks_redis_over_the_same_pooled_connection(with_redis, client):
    first = client.get("/healthz")
    assert first.status_code == 200 and first.get_json()["redis"] == "ok"
    redis = health._redis(REDIS_URL)
    connection_id = redis.client_id()  # the pool's one idle connection, the probes' too
    created = redis.connection_pool._created_connections
    for _ in range(20):
        assert client.get("/healthz").get_json()["redis"] == "ok"
    assert redis.client_id() == connection_id
    assert redis.connection_pool._created_connections == created


def test_a_redis_that_is_down_is_a_503_with_the_reason_and_the_database_still_answers(app, client):
    app.config["REDIS_URL"] = CLOSED_REDIS_URL
    response = client.get("/healthz")
    report = response.get_json()
    assert response.status_code == 503
    assert report["status"] == "error" and report["redis"] == "error: ConnectionError"
    assert report["database"] == "ok" and report["dead_tasks"] == 0


def test_the_task_figures_are_counted_again_once_they_are_older_than_the_limit(app, client, monkeypatch):
    monkeypatch.setattr(health, "FIGURES_MAX_AGE_SECONDS", 0.5)
    assert client.get("/healthz").get_json()["dead_tasks"] == 0
    dead_task()
    assert client.get("/healthz").get_json()["dead_tasks"] == 0  # the figures of the probe just before
    time.sleep(0.6)
    assert client.get("/healthz").get_json()["dead_tasks"] == 1
