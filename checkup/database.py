"""Binding the peewee proxy to a real database, per-request connections and migrations."""

import time
from pathlib import Path

import psycopg2.errors
import psycopg2.extensions
from flask import current_app, has_app_context, has_request_context, request
from peewee import InterfaceError, OperationalError
from playhouse.db_url import connect, parse
from playhouse.migrations import Runner
from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase, PooledSqliteDatabase
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
        if not path or path == ":memory:":
            return connect(url, pragmas=SQLITE_PRAGMAS, timeout=10, lock_type="IMMEDIATE")
        # a pool per process, as for PostgreSQL: opening the file and setting its pragmas cost more than
        # most pages' queries. A pooled connection serves one thread at a time, so it may change threads.
        return PooledSqliteDatabase(
            path,
            pragmas=SQLITE_PRAGMAS,
            timeout=10,
            lock_type="IMMEDIATE",
            max_connections=32,
            stale_timeout=300,
            check_same_thread=False,
        )
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        # a pool per process: "closing" at the end of a request returns the connection for reuse
        settings = parse(f"postgresql://{rest}")
        return PostgresqlPool(
            settings.pop("database"),
            max_connections=32,
            stale_timeout=300,
            timeout=10,
            connection_factory=PooledConnection,
            **settings,
        )
    return connect(url)


# A pooled connection checked in this recently is handed out again without a round trip to prove it alive.
PING_AFTER_IDLE_SECONDS = 10


class PooledConnection(psycopg2.extensions.connection):
    """psycopg2's connection, remembering when it went back to the pool and its statement_timeout."""

    idle_since: float | None = None
    statement_timeout_ms = 0  # the server's default: no limit
    planned_for_ssd = False  # plan_for_solid_state_storage has run on it


class PostgresqlPool(PooledPostgresqlDatabase):
    """peewee's pool, without a ``SELECT 1`` on every check-out, and with a statement_timeout for requests.

    peewee proves a pooled connection alive with a round trip each time it hands it out: one extra query
    per request. Here a connection that was in use within the last PING_AFTER_IDLE_SECONDS is handed out
    as it is; one that sat longer is still pinged. A connection the server cut meanwhile (a restart) fails
    its first statement: that request gets the "unavailable" page (web/app.py), and the pool drops the
    connection when it comes back. Each check-out also sets the connection's
    statement_timeout when it differs from what the caller needs (see ``statement_timeout_ms``): a
    request's connection is cut off after CHECKUP_STATEMENT_TIMEOUT_MS, work outside a request (workers,
    cron, the CLI) runs without a limit."""

    def _is_closed(self, conn):
        idle_since = getattr(conn, "idle_since", None)
        if (
            idle_since is not None
            and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS
            and not conn.closed
            and conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        ):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        if isinstance(conn, PooledConnection):
            conn.idle_since = time.monotonic()
        super()._close(conn, close_conn)

    def _initialize_connection(self, conn):
        super()._initialize_connection(conn)
        plan_for_solid_state_storage(conn)
        apply_statement_timeout(conn, statement_timeout_ms())


# PostgreSQL's stock planner settings suit a server of few, long queries; a portal's are many short ones on
# a small machine, so where the server still has the stock value (a DBA's own choice is kept), a connection of
# ours sets its own:
# - random_page_cost 4 prices a random read as on a spinning disk: on a big center's data the planner then
#   prefers hashing all 300k appointments to 10k primary-key lookups (HR's invitation figures for a
#   10,000-employee contract: 95 ms instead of 30 ms). Servers run on SSDs: 1.1.
# - max_parallel_workers_per_gather 2 starts two worker processes for any plan over a medium-sized table (a
#   floor board's fold of the day): with 16 requests at once on two cores, each start and hand-over only adds
#   to a page's time (the exam boards answered ~20-50 ms sooner without). 0.
# - jit on compiles a plan whose cost passes jit_above_cost to machine code, tens of milliseconds paid
#   inside a request that reads a few hundred rows. off.
PLANNER_SETTINGS = (
    # (setting, the server's stock value, ours)
    ("random_page_cost", "4", "1.1"),
    ("max_parallel_workers_per_gather", "2", "0"),
    ("jit", "on", "off"),
)
SOLID_STATE_RANDOM_PAGE_COST = "1.1"


def plan_for_solid_state_storage(conn):
    """Set PLANNER_SETTINGS on this connection where the server has the stock value (once per connection:
    peewee initializes a pooled connection again at every check-out; one round trip asks all three)."""
    if getattr(conn, "planned_for_ssd", False):
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name, _stock, _ours in PLANNER_SETTINGS))
        current = cursor.fetchone()
        for (name, stock, ours), value in zip(PLANNER_SETTINGS, current, strict=True):
            if value == stock:
                cursor.execute(f"SET {name} = {ours}")
    conn.commit()
    if isinstance(conn, PooledConnection):
        conn.planned_for_ssd = True


def statement_timeout_ms():
    """The limit on one SQL statement here: CHECKUP_STATEMENT_TIMEOUT_MS inside a web request, none (0)
    outside one."""
    if not has_request_context():
        return 0
    return max(0, int(current_app.config.get("STATEMENT_TIMEOUT_MS") or 0))


def apply_statement_timeout(conn, milliseconds):
    """Set the connection's statement_timeout unless it already has that value (a round trip only when it
    changes: in a web process, once per pooled connection)."""
    if not isinstance(conn, PooledConnection) or conn.statement_timeout_ms == milliseconds:
        return
    with conn.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", (int(milliseconds),))
    conn.statement_timeout_ms = milliseconds


def connection_lost():
    """Whether this thread's open database connection has been found dead (the server closed it)."""
    if db.is_closed():
        return False
    return bool(getattr(db.connection(), "closed", 0))


def is_statement_timeout(error):
    """Whether a database error is PostgreSQL cancelling a statement (statement_timeout, or a cancel request)."""
    original = getattr(error, "orig", error)  # peewee keeps the driver's exception as ``orig``
    return isinstance(original, psycopg2.errors.QueryCanceled)


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
            # a connection opened before the request (a test's, a CLI's) gets the request's limit too
            apply_statement_timeout(db.connection(), statement_timeout_ms())
        except (OperationalError, InterfaceError, MaxConnectionsExceeded, psycopg2.Error) as error:
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
