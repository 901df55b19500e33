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

from peewee import PostgresqlDatabase

from checkup.models.base import db

_POSTGRES = "SELECT last_value, is_called FROM clinical_change_mark"
_SQLITE = "SELECT value FROM change_mark WHERE name = 'clinical'"


def clinical_mark() -> object:
    """The current mark (any value; compare it for equality only)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return tuple(db.execute_sql(_POSTGRES).fetchone())
    row = db.execute_sql(_SQLITE).fetchone()
    return row[0] if row else None
