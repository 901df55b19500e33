"""Selects whose SQL is built once per kind of database and then only executed.

peewee turns a query into SQL on every execution, walking its whole node tree: for a three-table join that
costs about as much as the round trip to PostgreSQL. The few queries that run on every request (the
session lookup) are built here once, with the parameters in a fixed order, and later calls only bind new
values to the same SQL.

On PostgreSQL the statement is also prepared on the server, once per connection (``PREPARE``, then
``EXECUTE`` with the values): the server then neither parses nor plans it again, which was most of the
lookup's time there (0.25 of 0.33 ms). A prepared statement belongs to one server session and outlives
rollbacks, so each connection prepares it the first time it runs it (a reconnected or new pooled
connection is a new object and prepares again); which connections have it is kept by connection object,
weakly (nothing is kept for a closed one). Only a connection with no transaction open (outside
``db.atomic()``: peewee runs psycopg2 in autocommit) prepares and executes: should the server have lost
the statement (a ``DISCARD ALL``, a pooler in between), the failed ``EXECUTE`` spoils no transaction, the
select runs as plain SQL and the next call prepares again. Inside a transaction the plain SQL runs.
SQLite runs the plain SQL always."""

import itertools
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import psycopg2.errors
import psycopg2.extensions
from peewee import Database, DatabaseError, ModelSelect, PostgresqlDatabase

from checkup.models.base import db

_PLACEHOLDER = re.compile(r"%%|%s")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")

# {connection: names of the statements prepared on it}
_prepared_on: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()
_names_taken: set[str] = set()
# {name: PreparedSelect}: what the query-plan guard (tests/perf) EXPLAINs when it meets ``EXECUTE name``
_by_name: "dict[str, PreparedSelect]" = {}


def server_statement(sql: str, count: int) -> str:
    """peewee's PostgreSQL SQL (``%s`` placeholders, ``%%`` for a percent sign) as the body of a PREPARE
    (``$1``, ``$2``, ... in order)."""
    numbers = itertools.count(1)
    text = _PLACEHOLDER.sub(lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql)
    if next(numbers) != count + 1:
        raise ValueError(f"the statement has not {count} placeholders: {sql!r}")
    return text


def prepared_names(conn: Any) -> set[str]:
    """The statements prepared on ``conn`` (its server session) by this module."""
    with _prepared_lock:
        return set(_prepared_on.get(conn, ()))


def _is_prepared(conn: Any, name: str) -> bool:
    with _prepared_lock:
        names = _prepared_on.get(conn)
        return names is not None and name in names


def _remember(conn: Any, name: str, prepared: bool) -> None:
    with _prepared_lock:
        names = _prepared_on.setdefault(conn, set())
        if prepared:
            names.add(name)
        else:
            names.discard(name)


def _statement_missing(error: Exception) -> bool:
    return isinstance(getattr(error, "orig", error), psycopg2.errors.InvalidSqlStatementName)


class PreparedSelect:
    """``build(*params)`` returns a ModelSelect whose SQL parameters are exactly ``params``, in that order
    (checked on the first build); ``rows(*params)`` returns its model rows for new values. ``name`` is
    the statement's name on a PostgreSQL server (default: the build function's).

    ``samples``: for a query that carries constants of its own among its parameters (statuses, keys,
    flags): unusual values of ``build``'s parameters (e.g. ``-2_000_000_001`` for an id), which nothing in
    the query equals. The first build uses them to find where each parameter stands among the query's
    (once or several times); later calls put their values there and keep the constants."""

    def __init__(
        self, build: Callable[..., ModelSelect], name: str | None = None, samples: Sequence[Any] | None = None
    ) -> None:
        self._build = build
        self._samples = tuple(samples) if samples is not None else None
        self.name = name or "checkup_" + build.__name__.strip("_").lower()
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"not a statement name: {self.name!r}")
        with _prepared_lock:  # one name, one statement: a server session holds both under it
            if self.name in _names_taken:
                raise ValueError(f"a prepared select is named {self.name!r} already")
            _names_taken.add(self.name)
            _by_name[self.name] = self
        # database kind: (SQL, the query describing its columns, its parameters, where each given one goes)
        self._compiled: dict[type, tuple[str, ModelSelect, tuple, tuple]] = {}
        # on PostgreSQL: (the SQL as prepared on the server, which of the statement's parameters it keeps)
        self._server: tuple[str, tuple[int, ...]] | None = None
        self._lock = threading.Lock()

    def _prepared(self, database: Database, params: Sequence[Any]) -> tuple[str, ModelSelect, tuple, tuple]:
        kind = type(database)
        prepared = self._compiled.get(kind)
        if prepared is None:
            if self._samples is None:
                query = self._build(*params)
                sql, compiled = query.sql()
                if list(compiled) != list(params):
                    raise ValueError(f"the query's parameters {compiled!r} are not the ones given {list(params)!r}")
                slots: tuple = tuple(range(len(params)))
            else:
                query = self._build(*self._samples)
                sql, compiled = query.sql()
                slots = tuple(_slot_of(value, self._samples) for value in compiled)
                missing = set(range(len(self._samples))) - set(slots)
                if missing:
                    raise ValueError(f"samples {sorted(missing)} are not among the query's parameters {compiled!r}")
            with self._lock:
                prepared = self._compiled.setdefault(kind, (sql, query, tuple(compiled), slots))
        return prepared

    def _values(self, prepared: tuple[str, ModelSelect, tuple, tuple], params: Sequence[Any]) -> list[Any]:
        """The statement's parameters for ``params``: theirs where the samples stood, the constants elsewhere."""
        _sql, _query, compiled, slots = prepared
        return [constant if slot is None else params[slot] for constant, slot in zip(compiled, slots, strict=True)]

    def compiled_sql(self, database: Database) -> str | None:
        """The SQL built for ``database``'s kind (peewee's ``%s`` placeholders), once a call has built it; on
        PostgreSQL, once prepared, as the server runs it (constants written in, the EXECUTE's parameters)."""
        if isinstance(database, PostgresqlDatabase) and self._server is not None:
            return self._server[0]
        prepared = self._compiled.get(type(database))
        return prepared[0] if prepared else None

    def rows(self, *params: Any) -> list:
        database = db.obj
        prepared = self._prepared(database, params)
        sql, template = prepared[0], prepared[1]
        values = self._values(prepared, params)
        if isinstance(database, PostgresqlDatabase):
            cursor = self._execute_on_server(database, sql, values)
        else:
            cursor = database.execute_sql(sql, values)
        # the template query only describes the columns and joins: each cursor gets its own wrapper
        return list(template._get_cursor_wrapper(cursor))  # type: ignore[attr-defined]

    def plain(self, *params: Any) -> list[tuple]:
        """The rows as tuples as the driver returns them (core/plain_rows: only for selections of plain
        columns); SQLite's go through peewee's conversions."""
        database = db.obj
        prepared = self._prepared(database, params)
        values = self._values(prepared, params)
        if isinstance(database, PostgresqlDatabase):
            rows: list[tuple] = self._execute_on_server(database, prepared[0], values).fetchall()
            return rows
        return list(prepared[1].tuples()._get_cursor_wrapper(database.execute_sql(prepared[0], values)))  # type: ignore[attr-defined]

    def _execute_on_server(self, database: PostgresqlDatabase, sql: str, params: Sequence[Any]) -> Any:
        conn = database.connection()
        if conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            return database.execute_sql(sql, params)  # a failed EXECUTE must not spoil a transaction
        server_sql, given = self._server_form(database, conn, sql)
        if not _is_prepared(conn, self.name):
            self._prepare(conn, server_sql, len(given))
        values = [params[index] for index in given]
        # PostgreSQL takes no empty parentheses: a statement without parameters is EXECUTEd by its name alone
        execute = f"EXECUTE {self.name} ({', '.join(['%s'] * len(values))})" if values else f"EXECUTE {self.name}"
        try:
            return database.execute_sql(execute, values)
        except DatabaseError as error:
            if not _statement_missing(error):
                raise
        # the server lost it: the failed EXECUTE was alone in its transaction; the plain SQL this time
        conn.rollback()
        _remember(conn, self.name, False)
        return database.execute_sql(sql, params)

    def _server_form(self, database: Database, conn: Any, sql: str) -> tuple[str, tuple[int, ...]]:
        """The statement as the server prepares it: the query's own constants written into it as literals
        (statuses, roles, flags, a page size), only the values the caller gives left as parameters; and
        which of the statement's parameters those are, in order. PostgreSQL plans a statement afresh on
        every EXECUTE while a plan for the values at hand looks cheaper than one for any value: with its
        constants among the parameters, a generic plan knows neither the role nor the page size, and many
        statements were planned again every time; one without parameters is planned once."""
        server = self._server
        if server is None:
            _sql, _query, compiled, slots = self._compiled[type(database)]
            encoding = psycopg2.extensions.encodings[conn.encoding]
            pieces = _PLACEHOLDER.split(sql)
            marks = _PLACEHOLDER.findall(sql)
            text, given, index = [pieces[0]], [], 0
            for mark, piece in zip(marks, pieces[1:], strict=True):
                if mark == "%%":
                    text.append("%%")
                else:
                    slot = slots[index]
                    if slot is None:  # a constant of the query's own: its literal, percent signs doubled
                        with conn.cursor() as cursor:
                            literal = cursor.mogrify("%s", [compiled[index]]).decode(encoding)
                        text.append(literal.replace("%", "%%"))
                    else:
                        text.append("%s")
                        given.append(index)
                    index += 1
                text.append(piece)
            server = self._server = ("".join(text), tuple(given))
        return server

    def _prepare(self, conn: Any, sql: str, count: int) -> None:
        """PREPARE the statement on this connection's session (setup like its statement_timeout: not one
        of the request's statements, and not logged as one)."""
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"PREPARE {self.name} AS {server_statement(sql, count)}")
        except psycopg2.errors.DuplicatePreparedStatement:
            conn.rollback()  # it was there already (nothing else is in this transaction: it was idle)
        _remember(conn, self.name, True)


class PerShape:
    """What ``make(shape)`` builds (a PreparedSelect, or one with what goes with it), built once per process
    and shape the first time that shape is asked for: a list whose SQL depends on which filters are set
    keeps one prepared select for each combination met, and threads asking at once build it once."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self._make = make
        self._made: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, shape: Any) -> Any:
        made = self._made.get(shape)
        if made is None:
            with self._lock:
                made = self._made.get(shape)
                if made is None:
                    made = self._made[shape] = self._make(shape)
        return made


def _slot_of(value: Any, samples: Sequence[Any]) -> int | None:
    """Which sample ``value`` is (same type and value), or None: one of the query's own constants."""
    for index, sample in enumerate(samples):
        if type(value) is type(sample) and value == sample:
            return index
    return None


def statement_sql(name: str, database: Database) -> str | None:
    """The SQL behind the prepared statement ``name`` on ``database``'s kind, or None (not ours, or not
    built yet): a plan check reads ``EXECUTE name (...)`` as the select it runs."""
    prepared = _by_name.get(name)
    return prepared.compiled_sql(database) if prepared else None
