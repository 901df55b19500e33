"""Binding the peewee proxy to a real database, per-request connections and migrations."""
from pathlib import Path

from playhouse.db_url import connect
from playhouse.migrations import Runner

from checkup.extensions import db

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


def init_app(app):
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


def upgrade():
    """Apply pending migrations; returns the names applied."""
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).up()


def migration_status():
    with db.connection_context():
        return Runner(db.obj, MIGRATIONS_DIR).status()

