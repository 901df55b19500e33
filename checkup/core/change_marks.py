"""The clinical change mark: a number that moves whenever the exam floor's or the review's data is written
(appointments, their items, results, station visits, reports, clients, the catalog's items, station
conclusions, chief reviews, result conflicts; migration 0028 keeps it with triggers, in the statement that
writes, whoever writes).

A reading that is costly and followed by many screens (a station's board folds the whole day: ~50 ms on a
1,000-client day) can be kept with the mark as its ``basis`` (core/headline_figures.headline): it is read
again as soon as anything it follows changes, and served from memory while nothing does, however many
screens ask. Reading the mark is one cheap statement.

On PostgreSQL the mark is a sequence: writers take no lock on it, so they never wait on one another, but a
sequence moves before the writer commits. A reading taken in that short moment (after the writer's
statement, before its commit) can miss the write while carrying the new mark; a reading kept this way must
therefore also have an age limit (the boards keep theirs two seconds at most), which bounds that case. On
SQLite the mark is a row written in the writer's transaction (one writer at a time), so it never runs ahead
of the data."""

from collections.abc import Callable
from typing import Any

from peewee import PostgresqlDatabase

from checkup.core.headline_figures import headline
from checkup.models.base import db

_POSTGRES = "SELECT last_value, is_called FROM clinical_change_mark"
_SQLITE = "SELECT value FROM change_mark WHERE name = 'clinical'"


def clinical_mark() -> object:
    """The current mark (any value; compare it for equality only)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return tuple(db.execute_sql(_POSTGRES).fetchone())
    row = db.execute_sql(_SQLITE).fetchone()
    return row[0] if row else None


# app.config["FLOOR_BOARD_MAX_AGE_SECONDS"] overrides it (0: read on every call, the tests' setting)
KEPT_MAX_AGE_SECONDS = 2.0


def kept_until_change(name: str, read: Callable[[], Any]) -> Any:
    """``read()``'s value, shared by every request of this process until the mark moves or it is
    ``FLOOR_BOARD_MAX_AGE_SECONDS`` (2 s) old, whichever comes first (core/headline_figures keeps it; one
    thread reads again while the others answer with the kept value). ``name`` must say everything the value
    depends on besides the data the mark follows (the station, the day, the page number), and take few
    values: each is kept until the process ends."""
    return headline(
        name,
        read,
        max_age_key="FLOOR_BOARD_MAX_AGE_SECONDS",
        default_max_age=KEPT_MAX_AGE_SECONDS,
        basis=clinical_mark(),
    )
