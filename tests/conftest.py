"""Fixtures: an app per test on a fresh SQLite copy (and PostgreSQL for `both_dbs` tests), factories."""
import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from checkup import create_app
from checkup.models.base import db

REQUIRE_SERVICES = os.environ.get("CHECKUP_REQUIRE_SERVICES") == "1"

# Parallel runs (pytest-xdist, `make test`): every worker process gets its own PostgreSQL database and its
# own Redis DB indexes, so one worker's TRUNCATE/DELETE or FLUSHDB never reaches another's data.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... ; "" without xdist
WORKER_NUMBER = int(XDIST_WORKER[2:]) if XDIST_WORKER[2:].isdigit() else 0
# Each worker owns REDIS_DB_STRIDE consecutive Redis DB indexes counted down from the base: the first for
# REDIS_URL, the next one up for tests that want a DB of their own (tests/privacy/test_log_privacy_journey.py
# takes REDIS_URL's index + 1). Base 14 (the default): gw0 14+15, gw1 12+13, gw2 10+11, ...; base 13 (CI):
# gw0 13+14, gw1 11+12, ...
REDIS_DB_STRIDE = 2


def _worker_redis_url(base_url, worker_number):
    parts = urlsplit(base_url)
    base = int(parts.path.strip("/") or 0)
    index = base - REDIS_DB_STRIDE * worker_number
    if index < 0:
        raise pytest.UsageError(
            f"Redis DB {base} (CHECKUP_TEST_REDIS_URL) leaves no DB index for xdist worker {worker_number}: "
            f"each worker takes {REDIS_DB_STRIDE} indexes counting down from it; use fewer workers (-n) "
            "or a higher base index")
    return parts._replace(path=f"/{index}").geturl()


def _worker_postgres_url():
    """A database of this process's own: the given URL's name plus the xdist worker, or one named by pid."""
    given = os.environ.get("CHECKUP_TEST_DATABASE_URL")
    if not given:
        # each pytest process (each xdist worker too) gets its own database, so parallel runs never collide
        return f"postgresql://postgres@127.0.0.1:5432/checkup_test_{os.getpid()}", True
    if not XDIST_WORKER:
        return given, False  # created (and dropped) by whoever gave it
    parts = urlsplit(given)
    return parts._replace(path=f"/{parts.path.lstrip('/')}_{XDIST_WORKER}").geturl(), True


POSTGRES_URL, OWN_POSTGRES_DATABASE = _worker_postgres_url()
REDIS_BASE_URL = os.environ.get("CHECKUP_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
REDIS_URL = _worker_redis_url(REDIS_BASE_URL, WORKER_NUMBER)
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
    }
    config.update(extra)
    return config


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and ``g``), as in production, even though tests hold one."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _memoize_url_rule_builders():
    """Every test makes its own app, and werkzeug compiles two URL-builder functions (ast + compile())
    for each of the app's ~240 routes each time: ~0.1 s per app, minutes per run. A builder is the same
    function for the same rule text, parts and default names (the rule it builds for is passed in as
    ``self``), so the test process compiles each one once. Rules whose defaults fill one of their own
    variables bake the value into the code and are compiled every time, as before."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "memoized", False):
        return
    builders = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.memoized = True
    Rule._compile_builder = compile_builder


_memoize_url_rule_builders()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook turns the marks into node ids
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (--dist loadgroup), the tests sharing a module-scoped fixture (a journey's
    servers and its state, one catalog extraction) go to one worker together and run there in order:
    one group per module and module-scoped parameter (a journey's sqlite and postgresql stacks may run
    on different workers)."""
    if not XDIST_WORKER:
        return
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        shared = sorted(name for name in info.names_closure
                        if any(d.scope == "module" for d in info.name2fixturedefs.get(name, ())))
        if not shared:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        group = item.nodeid.split("::", 1)[0] + "".join(f"[{params[n]}]" for n in shared if n in params)
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_generate_tests(metafunc):
    if "app" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        metafunc.parametrize("app", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    from checkup import database

    folder = tmp_path_factory.mktemp("sqlite-template")
    app = create_app(base_config(folder, DATABASE_URL=f"sqlite:///{folder / 'template.db'}"))
    with app.app_context():
        database.upgrade()
    db.close()
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
        admin = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                                 password=parts.password, dbname="postgres", connect_timeout=5)
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
    yield {"url": POSTGRES_URL, "migrated": False, "reset": _PostgresReset()}
    if OWN_POSTGRES_DATABASE:
        if not db.is_closed():
            db.close()
        maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class _PostgresReset:
    """Empties every table but schema_migration and restarts their sequences, as
    ``TRUNCATE ... RESTART IDENTITY CASCADE`` would, in a few milliseconds instead of ~0.3-1 s.

    TRUNCATE makes new files for every one of the ~50 tables (and fsyncs) each time; the tables of one
    test hold a handful of rows, so DELETE with foreign-key triggers off (session_replication_role =
    replica, superuser only; the whole table goes, so no reference is left dangling) is much cheaper.
    Without the privilege it falls back to TRUNCATE."""

    def __init__(self):
        self.statements = {}

    def _prepare(self, tables):
        if not tables:
            return ""
        quoted = ", ".join(f'"{t}"' for t in tables)
        try:
            with db.atomic():
                db.execute_sql("SET LOCAL session_replication_role = replica")
        except Exception:  # noqa: BLE001 - not a superuser: the slow, always allowed way
            return f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"
        names = ", ".join(f"'{t}'" for t in tables)
        # sequences owned by the emptied tables' columns (what RESTART IDENTITY restarts), back to their start
        restart = ("SELECT setval(s.oid, ps.start_value, false) FROM pg_class s "
                   "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                   "JOIN pg_class t ON t.oid = d.refobjid "
                   "JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = current_schema() "
                   "JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname "
                   f"WHERE s.relkind = 'S' AND t.relname IN ({names}) AND ps.last_value IS NOT NULL")
        deletes = "".join(f'DELETE FROM "{t}";' for t in tables)
        return f"SET LOCAL session_replication_role = replica; {deletes} {restart}"

    def __call__(self):
        tables = tuple(t for t in db.get_tables() if t != "schema_migration")  # a test may have added one
        if tables not in self.statements:
            self.statements[tables] = self._prepare(tables)
        if self.statements[tables]:
            with db.atomic():
                db.execute_sql(self.statements[tables])


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
