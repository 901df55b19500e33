"""Liveness of the parts the portal depends on."""
from checkup.extensions import db


def check(config):
    report = {"status": "ok", "database": "ok"}
    try:
        with db.connection_context():
            db.execute_sql("SELECT 1")
    except Exception as exc:  # any driver error means the database is unreachable
        report.update(status="error", database=f"error: {type(exc).__name__}")
    if config.get("REDIS_URL"):
        try:
            from redis import Redis

            Redis.from_url(config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()
            report["redis"] = "ok"
        except Exception as exc:  # connection refused, timeout, auth
            report.update(status="error", redis=f"error: {type(exc).__name__}")
    return report
