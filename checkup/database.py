"""Binding the peewee proxy to a real database, per-request connections and migrations."""

from pathlib import Path

from flask import has_app_context, request
from peewee import InterfaceError, OperationalError
from playhouse.db_url import connect
from playhouse.migrations import Runner
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import ServiceUnavailable

from checkup.core import key_check, locks
from checkup.models.base import db

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")
SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal"}


def open_database(url):
    """A peewee Database for a URL; SQLite gets WAL, foreign keys, a busy timeout and immediate transactions."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE: a transaction takes the write lock when it begins and waits (busy timeout)
        # for it, instead of failing when a reader upgrades to a writer under contention.
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        # a pool per process: "closing" at the end of a request returns the connection for reuse
        return connect(f"postgresql+pool://{rest}", max_connections=32, stale_timeout=300, timeout=10)
    return connect(url)


class DatabaseUnavailable(ServiceUnavailable):
    """The database could not be reached when a request began: a 503, never a 500 (see web.py)."""


# Endpoints that need no connection: /healthz opens its own (and reports a failure as JSON); static files
# keep the "unavailable" page styled.
NO_CONNECTION_ENDPOINTS = frozenset({"healthz", "static"})


def init_app(app):
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        if request.endpoint in NO_CONNECTION_ENDPOINTS:
            return
        try:
            db.connect(reuse_if_open=True)
        except (OperationalError, InterfaceError, MaxConnectionsExceeded) as error:
            # the endpoint, not the path: a path may hold a token
            app.logger.error("database unreachable (%s %s): %s", request.method, request.endpoint, type(error).__name__)
            raise DatabaseUnavailable() from error

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


def upgrade():
    """Apply pending migrations; returns the names applied.

    One upgrade at a time: a second ``db upgrade`` started meanwhile (another machine, a unit's
    ExecStartPre) waits for the "db-upgrade" lock, then finds nothing left to apply. Inside an app,
    the national-ID key's fingerprint is recorded once the schema has its settings table."""
    with db.connection_context(), locks.exclusive("db-upgrade"):
        applied = Runner(db.obj, MIGRATIONS_DIR).up()
        if has_app_context():
            key_check.record_fingerprint()
        return applied


def migration_status():
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).status()
