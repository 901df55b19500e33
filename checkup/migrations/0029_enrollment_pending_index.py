"""A partial index on enrollment (contract_id) holding only the enrollments whose invitation email is still to
go out (services/groups/invitations.py: their token column starts with the marker ``pending:``): HR's invitation
figures count them per contract on every view, which was a scan of every enrollment of every contract (an
ILIKE pattern can use no index). The index holds only the rows waiting for their email, so it costs almost
nothing to keep. Its condition is the very expression the count compares (``_is_pending``), so both
PostgreSQL and SQLite use it."""

from peewee import *

INDEX = "enrollment_contract_id_pending"


def up(migrator, db):
    db.execute_sql(
        f"CREATE INDEX {INDEX} ON enrollment (contract_id) WHERE substr(invite_token_hash, 1, 8) = 'pending:'"
    )


def down(migrator, db):
    db.execute_sql(f"DROP INDEX {INDEX}")
