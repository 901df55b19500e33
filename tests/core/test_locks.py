"""One process at a time: named locks on PostgreSQL (advisory) and SQLite (a file beside the database),
and two `flask db upgrade` started together against an empty database, which apply each migration once."""

import contextlib
import fcntl
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from checkup.core import locks
from checkup.database import MIGRATIONS_DIR
from checkup.models.base import db
from tests.conftest import POSTGRES_URL, reachable, service_missing

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(p.stem for p in Path(MIGRATIONS_DIR).glob("[0-9]*.py"))


@contextlib.contextmanager
def held_by_another_thread(app, name):
    """Lock ``name`` taken by another thread on its own connection (or file descriptor) for the block."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context():
            try:
                with locks.exclusive(name):
                    taken.set()
                    release.wait(30)
            finally:
                if not db.is_closed():
                    db.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10), "the other thread never got the lock"
    try:
        yield
    finally:
        release.set()
        thread.join(10)


def nobody_holds(app, name):
    """True when a fresh holder can take ``name`` at once (and lets it go)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(_try_in_thread(app, name)))
    thread.start()
    thread.join(10)
    return result == [True]


def _try_in_thread(app, name):
    with app.app_context():
        try:
            with locks.try_exclusive(name) as got:
                return got
        finally:
            if not db.is_closed():
                db.close()


@pytest.mark.both_dbs
def test_try_exclusive_says_no_at_once_while_another_holds_the_lock(app):
    with held_by_another_thread(app, "cron"):
        started = time.monotonic()
        with locks.try_exclusive("cron") as got:
            assert got is False
        assert time.monotonic() - started < 1
    with locks.try_exclusive("cron") as got:
        assert got is True
        assert not nobody_holds(app, "cron")
    assert nobody_holds(app, "cron")


@pytest.mark.both_dbs
def test_exclusive_waits_for_the_holder_and_is_released_after_an_error(app):
    events = []
    got_it = threading.Event()

    def wait_for_lock():
        with app.app_context():
            try:
                with locks.exclusive("db-upgrade"):
                    events.append("second holder got it")
                    got_it.set()
            finally:
                if not db.is_closed():
                    db.close()

    with pytest.raises(RuntimeError, match="migration failed"):
        with locks.exclusive("db-upgrade"):
            waiter = threading.Thread(target=wait_for_lock, daemon=True)
            waiter.start()
            assert not got_it.wait(0.5)  # still waiting while we hold it
            events.append("first holder failed")
            raise RuntimeError("migration failed")
    assert got_it.wait(10)
    waiter.join(10)
    assert events == ["first holder failed", "second holder got it"]
    assert nobody_holds(app, "db-upgrade")


@pytest.mark.both_dbs
def test_a_lock_for_the_whole_life_of_cron_admits_one_holder(app):
    with locks.held_for_life("cron") as first:
        assert first.held and first.still_held()
        with locks.held_for_life("cron") as second:
            assert not second.held and not second.still_held()
        with locks.try_exclusive("cron") as got:
            assert got is False
    assert nobody_holds(app, "cron")
    with locks.held_for_life("cron") as again:
        assert again.held


@pytest.mark.both_dbs
def test_a_standby_waits_for_the_life_lock_and_takes_over_when_the_holder_stops(app):
    took_over = threading.Event()

    def standby():
        with app.app_context():
            with locks.held_for_life("cron", wait=True) as lock:
                assert lock.held and lock.still_held()
                took_over.set()

    with locks.held_for_life("cron") as active:
        assert active.held
        thread = threading.Thread(target=standby, daemon=True)
        thread.start()
        assert not took_over.wait(0.5)  # waits while the active one runs
        # the active scheduler's own work closing the pool's connection does not drop its lock
        with db.connection_context():
            db.execute_sql("SELECT 1")
        assert active.still_held() and not took_over.is_set()
    assert took_over.wait(10)
    thread.join(10)


@pytest.mark.both_dbs
def test_a_lost_life_lock_is_noticed(app):
    with locks.held_for_life("cron") as lock:
        assert lock.still_held()
        if app.config["BACKEND"] == "postgres":
            # the connection dies (server restart, network): the lock goes with it, and another may take it
            db.execute_sql(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE application_name = 'checkup cron lock' AND datname = current_database()"
            )
        else:
            locks.lock_file_path("cron").unlink()  # someone removed the lock file: a new one is unlocked
        assert not lock.still_held()
        assert nobody_holds(app, "cron")


def test_lock_names_are_checked(app):
    with pytest.raises(ValueError):
        with locks.exclusive("../etc/passwd"):
            pass
    assert locks.lock_file_path("db-upgrade") == Path(f"{db.obj.database}.db-upgrade.lock")


# --- two upgrades at once, in real processes ------------------------------------------------------------


def upgrade_env(database_url):
    env = dict(
        os.environ,
        CHECKUP_DATABASE_URL=database_url,
        CHECKUP_SECRET_KEY="test-secret-key",
        CHECKUP_NATIONAL_ID_KEY="test-national-id-key",
    )
    for name in ("CHECKUP_REDIS_URL", "CHECKUP_MAIL_SERVER"):
        env.pop(name, None)
    return env


def start_upgrade(database_url):
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=upgrade_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(predicate, what, processes, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"an upgrade ended before {what}: {process.communicate()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


def race_two_upgrades(database_url, hold, release, waiters):
    """Hold the upgrade lock, start two upgrades, let both queue on it, release: both go at once."""
    hold()
    processes = [start_upgrade(database_url), start_upgrade(database_url)]
    try:
        wait_until(lambda: waiters() == 2, "both upgrades wait for the lock", processes)
        release()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [process.returncode for process in processes] == [0, 0], outputs
    stdouts = sorted(out.strip() for out, _err in outputs)
    assert stdouts == ["applied: " + ", ".join(MIGRATIONS), "database is up to date."]


def blocked_flocks(path):
    """How many processes wait for an flock on ``path`` (Linux: /proc/locks lists waiters after "->")."""
    inode = os.stat(path).st_ino
    count = 0
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" not in fields:
            continue
        for field in fields:
            match = re.fullmatch(r"[0-9a-f]+:[0-9a-f]+:(\d+)", field)
            if match and int(match.group(1)) == inode:
                count += 1
    return count


def test_two_upgrades_at_once_on_a_fresh_sqlite_file_apply_each_migration_once(tmp_path):
    import sqlite3

    database = tmp_path / "fresh.db"
    lock_path = Path(f"{database}.db-upgrade.lock")
    handle = {}

    def hold():
        handle["fd"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(handle["fd"], fcntl.LOCK_EX)

    def release():
        fcntl.flock(handle["fd"], fcntl.LOCK_UN)
        os.close(handle["fd"])

    race_two_upgrades(f"sqlite:///{database}", hold, release, lambda: blocked_flocks(lock_path))
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT name, count(*) FROM schema_migration GROUP BY name ORDER BY name").fetchall()
        fingerprints = connection.execute(
            "SELECT count(*) FROM setting WHERE key = 'national_id.key_fingerprint'"
        ).fetchone()[0]
    assert rows == [(name, 1) for name in MIGRATIONS]
    assert fingerprints == 1


@pytest.fixture
def empty_postgres_database():
    """A throw-away empty PostgreSQL database (URL), dropped afterwards."""
    if not reachable(POSTGRES_URL, 5432):
        service_missing(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(POSTGRES_URL)
    name = f"checkup_locks_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    def maintenance(statement):
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
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()

    maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_two_upgrades_at_once_on_an_empty_postgres_database_apply_each_migration_once(empty_postgres_database):
    import psycopg2

    holder = psycopg2.connect(empty_postgres_database, connect_timeout=5)
    holder.autocommit = True
    key = locks.advisory_key("db-upgrade")
    try:

        def hold():
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", (key,))

        def release():
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (key,))

        def waiters():
            with holder.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
                return cursor.fetchone()[0]

        race_two_upgrades(empty_postgres_database, hold, release, waiters)
        with holder.cursor() as cursor:
            cursor.execute("SELECT name, count(*) FROM schema_migration GROUP BY name ORDER BY name")
            rows = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM setting WHERE key = 'national_id.key_fingerprint'")
            fingerprints = cursor.fetchone()[0]
    finally:
        holder.close()
    assert rows == [(name, 1) for name in MIGRATIONS]
    assert fingerprints == 1
