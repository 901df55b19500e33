"""Selects whose SQL is built once per kind of database and then only executed.

peewee turns a query into SQL on every execution, walking its whole node tree: for a three-table join that
costs about as much as the round trip to PostgreSQL. The few queries that run on every request (the
session lookup) are built here once, with the parameters in a fixed order, and later calls only bind new
values to the same SQL."""

import threading
from collections.abc import Callable, Sequence
from typing import Any

from peewee import Database, ModelSelect

from checkup.models.base import db


class PreparedSelect:
    """``build(*params)`` returns a ModelSelect whose SQL parameters are exactly ``params``, in that order
    (checked on the first build); ``rows(*params)`` returns its model rows for new values."""

    def __init__(self, build: Callable[..., ModelSelect]) -> None:
        self._build = build
        self._compiled: dict[type, tuple[str, ModelSelect]] = {}
        self._lock = threading.Lock()

    def _prepared(self, database: Database, params: Sequence[Any]) -> tuple[str, ModelSelect]:
        kind = type(database)
        prepared = self._compiled.get(kind)
        if prepared is None:
            query = self._build(*params)
            sql, compiled = query.sql()
            if list(compiled) != list(params):
                raise ValueError(f"the query's parameters {compiled!r} are not the ones given {list(params)!r}")
            with self._lock:
                prepared = self._compiled.setdefault(kind, (sql, query))
        return prepared

    def rows(self, *params: Any) -> list:
        database = db.obj
        sql, template = self._prepared(database, params)
        cursor = database.execute_sql(sql, params)
        # the template query only describes the columns and joins: each cursor gets its own wrapper
        return list(template._get_cursor_wrapper(cursor))  # type: ignore[attr-defined]
