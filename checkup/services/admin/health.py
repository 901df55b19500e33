"""Liveness of the parts the portal depends on, and whether background work is keeping up."""

import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis

from checkup.models.base import db
from checkup.services.admin import task_overview

# One Redis client (and so one connection pool) per URL and process: a load balancer asks several times a
# second, and a new connection per ask cost more than the rest of the check.
_redis_clients: dict[str, Redis] = {}
_redis_lock = threading.Lock()

# How old the task figures may be: a load balancer probing several times a second is answered from the
# figures of the last probe, while the database and Redis are still asked every time.
FIGURES_MAX_AGE_SECONDS = 2.0


class FiguresCache:
    """The task figures of one app, with when they were counted (kept by the caller, e.g. on the app)."""

    def __init__(self) -> None:
        self.counted_at: float | None = None
        self.figures: dict[str, Any] = {}

    def get(self, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        now = time.monotonic()
        if self.counted_at is None or now - self.counted_at >= FIGURES_MAX_AGE_SECONDS:
            self.figures, self.counted_at = count(), now
        return self.figures


def _redis(url):
    client = _redis_clients.get(url)
    if client is None:
        with _redis_lock:
            client = _redis_clients.setdefault(
                url, Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
            )
    return client


def check(config, figures=None):
    """``status`` "ok" or "error", the database and (when configured) Redis as "ok" or "error: <kind>";
    with the database reachable, also ``oldest_queued_seconds`` (how long the oldest due task has waited,
    None when nothing waits) and ``dead_tasks`` (tasks that will not be tried again without staff).
    The database and Redis are asked every time; with a FiguresCache, the task figures may be up to
    FIGURES_MAX_AGE_SECONDS old. Never raises: it opens its own connection, as /healthz runs without the
    per-request one."""
    report = {"status": "ok", "database": "ok"}
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
            report.update(figures.get(_task_figures) if figures is not None else _task_figures())
    except Exception as exc:  # any driver error means the database is unreachable
        report.update(status="error", database=f"error: {type(exc).__name__}")
    if config.get("REDIS_URL"):
        try:
            _redis(config["REDIS_URL"]).ping()
            report["redis"] = "ok"
        except Exception as exc:  # connection refused, timeout, auth
            report.update(status="error", redis=f"error: {type(exc).__name__}")
    return report


def _task_figures():
    attention = task_overview.attention()
    age = attention.oldest_due_seconds
    return {"oldest_queued_seconds": None if age is None else round(age, 1), "dead_tasks": attention.dead}
