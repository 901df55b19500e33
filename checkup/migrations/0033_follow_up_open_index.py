"""A partial index on the open follow-ups, ``follow_up (due_at, id, assignee_id, department_id, level) WHERE
status = 'open'``: the counselors' worklist (services/care/followup_worklist.py, open ones by due time, the
list's whole count beside each page) reads its page and its count from this index alone, in its order, with
every filter it offers but the dates answered from the index's columns, instead of visiting each open
follow-up's row (~550 of ~20k) and sorting them all: on checkup_big the worklist's statement took 0.95 ->
0.50 ms of PostgreSQL's time (``?assignee=me`` 0.74 -> 0.34 ms, EXPLAIN ANALYZE). It holds only the open
follow-ups, a few percent of them, so it costs almost nothing to keep. Its condition is the very expression
the worklist compares (``_is_open``: the status written into the SQL), so both PostgreSQL and SQLite use it."""

from peewee import *

INDEX = "follow_up_open_due_at_id"


def up(migrator, db):
    db.execute_sql(
        f"CREATE INDEX {INDEX} ON follow_up (due_at, id, assignee_id, department_id, level) WHERE status = 'open'"
    )


def down(migrator, db):
    db.execute_sql(f"DROP INDEX {INDEX}")
