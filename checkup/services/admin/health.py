"""Liveness of the parts the portal depends on, and whether background work is keeping up."""

from redis import Redis

from checkup.models.base import db
from checkup.services.admin import task_overview


def check(config):
    """``status`` "ok" or "error", the database and (when configured) Redis as "ok" or "error: <kind>";
    with the database reachable, also ``oldest_queued_seconds`` (how long the oldest due task has waited,
    None when nothing waits) and ``dead_tasks`` (tasks that will not be tried again without staff).
    Never raises: it opens its own connection, as /healthz runs without the per-request one."""
    report = {"status": "ok", "database": "ok"}
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
            report.update(_task_figures())
    except Exception as exc:  # any driver error means the database is unreachable
        report.update(status="error", database=f"error: {type(exc).__name__}")
    if config.get("REDIS_URL"):
        try:
            Redis.from_url(config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()
            report["redis"] = "ok"
        except Exception as exc:  # connection refused, timeout, auth
            report.update(status="error", redis=f"error: {type(exc).__name__}")
    return report


def _task_figures():
    attention = task_overview.attention()
    age = attention.oldest_due_seconds
    return {"oldest_queued_seconds": None if age is None else round(age, 1), "dead_tasks": attention.dead}
