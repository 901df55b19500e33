"""Fixtures: an app per test on a fresh SQLite copy (and PostgreSQL for `both_dbs` tests), factories."""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from checkup import create_app
from checkup.models.base import db
from tests.support import parallel, speedups

speedups.memoize_url_rule_builders()
speedups.share_compiled_templates()

REQUIRE_SERVICES = os.environ.get("CHECKUP_REQUIRE_SERVICES") == "1"
# Every pytest process (each pytest-xdist worker too) has a PostgreSQL database and Redis DB indexes of its
# own, so one worker's table reset or FLUSHDB never reaches another's data (tests/support/parallel.py).
POSTGRES_URL, OWN_POSTGRES_DATABASE = parallel.worker_postgres_url(
    os.environ.get("CHECKUP_TEST_DATABASE_URL"), os.getpid()
)
REDIS_URL = parallel.worker_redis_url(os.environ.get("CHECKUP_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"))
XDIST_WORKER, WORKER_NUMBER = parallel.XDIST_WORKER, parallel.WORKER_NUMBER
PASSWORD = "correct horse battery"


def service_missing(reason):
    """Skip with the reason printed, or fail when CI demands every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def reachable(url, default_port):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def base_config(tmp_path, **extra):
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "NATIONAL_ID_KEY": "test-national-id-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "REDIS_URL": None,
        "MAIL_SERVER": None,
        "BASE_URL": "http://localhost",
        # mail is asserted in English; tests/accounts/test_client_language.py checks the shipped default (Chinese)
        "CLIENT_LOCALE": "en",
        # counted on every view: tests change the data between two views (tests/core/test_headline_figures.py)
        "HEADLINE_MAX_AGE_SECONDS": 0,
        "HEADLINE_REFRESH_AHEAD": False,
        "FLOOR_LOADS_MAX_AGE_SECONDS": 0,
        "FLOOR_BOARD_MAX_AGE_SECONDS": 0,
    }
    config.update(extra)
    return config


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and ``g``), as in production, even though tests hold one."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def pytest_addoption(parser):
    parser.addoption(
        "--sqlite-only",
        action="store_true",
        default=False,
        help="Checkup: run the both_dbs tests on SQLite only and leave out the tests that need "
        "PostgreSQL (make test-fast)",
    )


def _needs_postgres(item):
    info = getattr(item, "_fixtureinfo", None)
    names = info.names_closure if info is not None else ()
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any("postgres" in name for name in names) or params.get("stack") == "postgresql"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if config.getoption("sqlite_only", False):
        dropped = [item for item in items if _needs_postgres(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not _needs_postgres(item)]
    parallel.record_groups(config, items)  # on a pytest-xdist worker: the tests that must share one


try:
    import xdist  # noqa: F401
except ImportError:  # the suite still runs in one process without pytest-xdist
    pass
else:

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(config, log):
        return parallel.make_scheduler(config, log)


def pytest_generate_tests(metafunc):
    if "app" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        backends = ["sqlite"] if metafunc.config.getoption("sqlite_only", False) else ["sqlite", "postgres"]
        metafunc.parametrize("app", backends, indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    from checkup import database

    folder = tmp_path_factory.mktemp("sqlite-template")
    app = create_app(base_config(folder, DATABASE_URL=f"sqlite:///{folder / 'template.db'}"))
    with app.app_context():
        database.upgrade()
    db.obj.close_all()  # the pool's connections really closed: the WAL is checkpointed before tests copy the file
    return folder / "template.db"


@pytest.fixture(scope="session")
def postgres_database():
    """A PostgreSQL database emptied once per run and migrated by the first test that uses it."""
    if not reachable(POSTGRES_URL, 5432):
        service_missing(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(POSTGRES_URL)
    name = parts.path.lstrip("/")

    def maintenance(statement, *args):
        admin = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            connect_timeout=5,
        )
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(statement, args or None)
                return cur.fetchone() if cur.description else None
        finally:
            admin.close()

    if maintenance("SELECT 1 FROM pg_database WHERE datname = %s", name) is None:
        maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn = psycopg2.connect(POSTGRES_URL, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    conn.close()
    yield {"url": POSTGRES_URL, "migrated": False, "reset": speedups.PostgresReset()}
    if OWN_POSTGRES_DATABASE:
        if not db.is_closed():
            db.close()
        maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def app(request, tmp_path, sqlite_template):
    """The app bound to a fresh database, inside an app context."""
    from checkup import database
    from checkup.core import tasks

    tasks._redis_paused_until = 0.0  # a dead Redis met by an earlier test is not this test's business
    backend = getattr(request, "param", "sqlite")
    if backend == "postgres":
        pg = request.getfixturevalue("postgres_database")
        application = create_app(base_config(tmp_path, DATABASE_URL=pg["url"]))
        with application.app_context():
            if not pg["migrated"]:
                database.upgrade()
                pg["migrated"] = True
            pg["reset"]()
    else:
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        application = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{path}"))
    application.config["BACKEND"] = backend
    application.test_client_class = FreshContextClient
    with application.app_context():
        db.connect(reuse_if_open=True)
        yield application
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()  # a pooled PostgreSQL database keeps idle connections otherwise


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    """Messages written to the outbox folder, parsed, oldest first."""
    from email import message_from_bytes, policy
    from pathlib import Path

    def read():
        folder = Path(app.config["OUTBOX_DIR"])
        files = sorted(folder.glob("*.eml")) if folder.exists() else []
        return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]

    return read


@pytest.fixture
def make_user(app):
    """make_user("admin", "physician", email=...) -> User with those roles and password PASSWORD."""
    from tests import factories

    return factories.make_user


@pytest.fixture
def login(client):
    def sign_in(user_or_email, password=PASSWORD, http=None):
        http = http or client
        email = getattr(user_or_email, "email", user_or_email)
        response = http.post("/login", data={"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return sign_in


class QueryCounter:
    """Counts the SQL statements peewee runs inside a ``with`` block."""

    def __init__(self):
        import logging

        self.queries = []
        self._logger = logging.getLogger("peewee")
        counter = self

        class Handler(logging.Handler):
            def emit(self, record):
                if record.name == "peewee":  # not the pool's "peewee.pool" lines about connections
                    counter.queries.append(record.getMessage())

        self._handler = Handler(level=logging.DEBUG)

    def __enter__(self):
        self.queries.clear()
        self._old_level = self._logger.level
        self._logger.setLevel(logging_debug())
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._old_level)

    @property
    def count(self):
        return len(self.queries)


def logging_debug():
    import logging

    return logging.DEBUG


@pytest.fixture
def count_queries():
    """with count_queries() as q: client.get(...); assert q.count == N"""
    return QueryCounter
