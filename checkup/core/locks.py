"""One process at a time: named locks for CLI commands (``db upgrade``, ``cron``) across processes and machines.

PostgreSQL: a session advisory lock (``pg_advisory_lock``), so every machine sharing the database sees
it, and a process that dies releases it with its connection. SQLite (one machine by nature): an
``fcntl`` lock on ``<database file>.<name>.lock`` beside the database, released by the kernel when the
process dies. Lock files are never deleted: deleting one while another process waits on it would let
a third lock a new file of the same name.

``exclusive(name)`` waits for the lock; ``try_exclusive(name)`` yields False at once when someone else
holds it. Both use the current peewee connection (PostgreSQL) and release in ``finally``.
``held_for_life(name, wait=True)`` is for a long-running process (``flask cron``): the lock sits on a
connection of its own that nothing else closes, and ``still_held()`` says whether it was lost with
that connection.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeGuard

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from checkup.models.base import db

if TYPE_CHECKING:
    from psycopg2.extensions import connection as PgConnection

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def advisory_key(name: str) -> int:
    """The signed 64-bit PostgreSQL advisory-lock key of ``name`` (stable across processes and versions)."""
    digest = hashlib.sha256(f"checkup-portal:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(name: str) -> Path:
    """The file an SQLite set-up locks for ``name``: beside the database file."""
    return Path(f"{_database_file()}.{name}.lock")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"lock names are short lower-case words with dashes, not {name!r}")


def _database() -> Database:
    database: Database = db.obj  # the proxy's target: untyped in peewee's stubs
    return database


def _in_memory(database: Database) -> bool:
    return not database.database or database.database == ":memory:"


def _database_file() -> str:
    if _in_memory(_database()):
        raise RuntimeError("an in-memory SQLite database has no file to lock beside")
    path: str = _database().database  # SQLite's file name (untyped in peewee's stubs)
    return os.path.abspath(path)


def _is_postgres(database: Database) -> TypeGuard[PostgresqlDatabase]:
    return isinstance(database, PostgresqlDatabase)


# --- the two back ends ---------------------------------------------------------------------------------


class _Lock(Protocol):
    """What each back end's lock does."""

    def acquire(self, wait: bool) -> bool: ...

    def release(self) -> None: ...

    def still_held(self) -> bool: ...


class _AdvisoryLock:
    """A session advisory lock held on one raw connection (unlocked on that same connection)."""

    def __init__(self, connection: PgConnection, name: str) -> None:
        self.connection = connection
        self.key = advisory_key(name)

    def acquire(self, wait: bool) -> bool:
        with self.connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_lock(%s)", (self.key,))
                return True
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            return bool(cursor.fetchone()[0])

    def release(self) -> None:
        if getattr(self.connection, "closed", False):
            return  # the connection is gone, and the lock with it
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (self.key,))

    def still_held(self) -> bool:
        """Ask the server whether this connection still holds the lock (False if the connection is gone)."""
        high, low = (self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid = %s AND objid = %s AND objsubid = 1",
                    (high, low),
                )
                return cursor.fetchone() is not None
        except Exception:  # a dropped connection: whatever the driver raises, the lock is lost
            return False


class _FileLock:
    """An exclusive ``flock`` on a file beside the SQLite database (per open file, so also between threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, wait: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._close()
            return False
        except BaseException:
            self._close()
            raise
        return True

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                self._close()

    def _close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def still_held(self) -> bool:
        """True while our locked file is still the one at the path (nobody deleted or replaced it)."""
        if self.fd is None:
            return False
        try:
            return os.fstat(self.fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False


class _Unshared:
    """An in-memory SQLite database is this connection's alone: there is nobody to exclude."""

    def acquire(self, wait: bool) -> bool:
        return True

    def release(self) -> None:
        pass

    def still_held(self) -> bool:
        return True


def _lock_for(name: str) -> _Lock:
    """The lock object for ``name`` on the bound database, using the current peewee connection."""
    _check_name(name)
    database = _database()
    if _is_postgres(database):
        return _AdvisoryLock(database.connection(), name)
    if isinstance(database, SqliteDatabase):
        return _Unshared() if _in_memory(database) else _FileLock(lock_file_path(name))
    raise RuntimeError(f"locks need SQLite or PostgreSQL, not {type(database).__name__} (CHECKUP_DATABASE_URL)")


# --- what commands use ---------------------------------------------------------------------------------


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold lock ``name`` for the ``with`` block, waiting as long as another process holds it.

    On PostgreSQL the lock is taken on the current peewee connection (opened if needed), which must
    stay open for the block: do not close the database inside it."""
    lock = _lock_for(name)
    lock.acquire(wait=True)
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def try_exclusive(name: str) -> Iterator[bool]:
    """Yield True holding lock ``name`` for the block, or False at once when another process holds it."""
    lock = _lock_for(name)
    got = lock.acquire(wait=False)
    try:
        yield got
    finally:
        if got:
            lock.release()


class LifeLock:
    """What ``held_for_life`` yields: ``held`` (was the lock got) and ``still_held()`` (is it still)."""

    def __init__(self, lock: _Lock, held: bool) -> None:
        self._lock = lock
        self.held = held

    def __bool__(self) -> bool:
        return self.held

    def still_held(self) -> bool:
        return self.held and self._lock.still_held()


@contextlib.contextmanager
def held_for_life(name: str, wait: bool = False) -> Iterator[LifeLock]:
    """Take lock ``name`` for a whole process life (``flask cron``: one scheduler at a time).

    Yields a LifeLock; with ``wait`` it comes once the lock is ours (a standby waits for the active
    one to stop), without it at once, ``held`` False when another process has the lock. On PostgreSQL
    the lock lives on a dedicated connection, not the pool's (whose connections are handed back by
    any ``connection_context`` and closed when stale, which would drop the lock unseen), with TCP
    keepalives so a dead server is noticed. If that connection is lost, so is the lock:
    ``still_held()`` turns False and the holder should stop (e.g. ``run_scheduler(stop=...)``)."""
    _check_name(name)
    database = _database()
    own: PostgresqlDatabase | None = None
    if not _is_postgres(database):
        lock = _lock_for(name)
    else:
        own = PostgresqlDatabase(
            database.database,
            **{
                **database.connect_params,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "application_name": f"checkup {name} lock",
            },
        )
        own.connect()
        lock = _AdvisoryLock(own.connection(), name)
    try:
        got = lock.acquire(wait=wait)
        try:
            yield LifeLock(lock, got)
        finally:
            if got:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    lock.release()
    finally:
        if own is not None:
            own.close()
