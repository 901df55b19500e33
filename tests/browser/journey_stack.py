"""A whole portal in separate processes for the end-to-end journeys: gunicorn serving the app, and on
PostgreSQL a real rq worker on Redis (jobs are NOT inline there), seeded with the demo center through
the same CLI commands an operator uses. SQLite runs the embedded default (jobs inline).

A journey module imports the fixtures below (``stack``, ``browser_context_args``, ``_bind_live_database``):
one stack per backend for the whole module, its state shared by the module's steps in ``stack.state``.

The test process reaches the same database through ``stack.database()`` (binds the peewee proxy for
the block and restores it) and reads the outbox folder the server writes to.
"""

import contextlib
import email
import email.policy
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import POSTGRES_URL, REDIS_URL, service_missing
from tests.support.live_server import ROOT, free_port

BACKENDS = ["sqlite", "postgresql"]


def _postgres_admin_url():
    parts = urlsplit(POSTGRES_URL)
    return parts._replace(path="/postgres").geturl()


def _run_sql(sql):
    import psycopg2

    connection = psycopg2.connect(_postgres_admin_url())
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class Stack:
    def __init__(self, backend, folder):
        self.backend = backend
        self.folder = Path(folder)
        self.instance = self.folder / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = []
        self.db_name = None
        if backend == "postgresql":
            self.db_name = f"checkup_journey_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self.database_url = urlsplit(POSTGRES_URL)._replace(path=f"/{self.db_name}").geturl()
        else:
            self.database_url = f"sqlite:///{self.folder / 'journey.db'}"
        self.env = dict(
            os.environ,
            CHECKUP_DATABASE_URL=self.database_url,
            CHECKUP_SECRET_KEY="journey-secret-key",
            CHECKUP_NATIONAL_ID_KEY="journey-national-id-key",
            CHECKUP_OUTBOX_DIR=str(self.outbox),
            CHECKUP_BASE_URL=self.url,
            CHECKUP_REPORTS_DIR=str(self.instance / "reports"),
            CHECKUP_GROUP_DOCS_DIR=str(self.instance / "group_documents"),
            CHECKUP_EXPORTS_DIR=str(self.instance / "exports"),
            CHECKUP_LOGIN_LIMIT_PER_IP="100000/minute",
            CHECKUP_LOGIN_LIMIT_PER_ACCOUNT="1000/minute",
            CHECKUP_JOBS_INLINE="0",
            # the journeys read mail in English; test_client_language checks the shipped default
            CHECKUP_CLIENT_LOCALE="en",
        )
        self.env.pop("CHECKUP_MAIL_SERVER", None)
        if backend == "postgresql":
            self.env["CHECKUP_REDIS_URL"] = REDIS_URL
        else:
            self.env.pop("CHECKUP_REDIS_URL", None)

    @property
    def outbox(self):
        return self.instance / "outbox"

    def _flask(self, *args, timeout=300):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self):
        if self.backend == "postgresql":
            try:
                _run_sql(f'CREATE DATABASE "{self.db_name}"')
            except Exception as error:  # noqa: BLE001 - any connection problem means the service is missing
                service_missing(f"PostgreSQL not reachable for the journey: {error}")
            import redis

            try:
                redis.Redis.from_url(REDIS_URL).flushdb()
            except redis.exceptions.ConnectionError as error:
                service_missing(f"Redis not reachable for the journey: {error}")
        self._flask("db", "upgrade")
        self._flask("seed-demo", timeout=600)
        self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            "gunicorn",
        )
        if self.backend == "postgresql":
            self._spawn([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], "worker")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the journey server did not answer /healthz within 60 s:\n" + self.logs())

    def _spawn(self, args, name):
        log = open(self.folder / f"{name}.log", "w")
        self.processes.append(
            (
                subprocess.Popen(
                    args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                ),
                log,
            )
        )

    def logs(self):
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in self.folder.glob("*.log"))

    def stop(self):
        for process, log in self.processes:
            process.terminate()
        for process, log in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
        if self.db_name:
            with contextlib.suppress(Exception):
                _run_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    @contextlib.contextmanager
    def database(self):
        """The test process's peewee proxy on the stack's database (restored afterwards)."""
        from checkup import create_app
        from checkup.models.base import db

        previous = db.obj
        app = create_app(
            {
                "INSTANCE_PATH": str(self.instance),
                "DATABASE_URL": self.database_url,
                "SECRET_KEY": "journey-secret-key",
                "NATIONAL_ID_KEY": "journey-national-id-key",
                "OUTBOX_DIR": str(self.outbox),
                "BASE_URL": self.url,
                "REDIS_URL": None,
                "JOBS_INLINE": True,
                "CLIENT_LOCALE": "en",
            }
        )
        try:
            with app.app_context(), db.connection_context():
                yield app
        finally:
            if db.obj is not previous and previous is not None:
                with contextlib.suppress(Exception):
                    db.obj.close()
                db.initialize(previous)

    def messages(self, to=None):
        """The outbox (oldest first), parsed; optionally only those to ``to``."""
        found = []
        files = sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if self.outbox.exists() else []
        for path in files:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or message["To"] == to:
                found.append(message)
        return found

    def wait_for(self, predicate, timeout=60, message="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {message}\n{self.logs()}")


# --- the fixtures a journey module imports -----------------------------------------------------------


@contextlib.contextmanager
def running_stack(backend, folder, **env):
    """A started Stack on ``backend`` with ``env`` added to its server's environment, stopped afterwards; its
    ``state`` is the module's steps' shared notes."""
    stack = Stack(backend, folder)
    stack.env.update(env)
    try:
        stack.start()
        stack.state = {}
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request, tmp_path_factory):
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with running_stack(request.param, tmp_path_factory.mktemp(f"{name}-{request.param}")) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser_context_args(stack):
    """New contexts resolve relative URLs against the journey's server, not the shared live server."""
    return {"base_url": stack.url}


@pytest.fixture(autouse=True)
def _bind_live_database():
    """A journey module brings its own servers: the session's in-process live server is not needed."""
