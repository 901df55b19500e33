"""A change mark for the exam floor's and the review's data: a number that moves whenever a row of a table
below is written, in the statement that writes it, whoever writes (a page, a job, an import, the CLI). A
reading that folds the day (a station's board) or a worklist (the review queue) may then be kept and reused
for as long as the mark has not moved (core/change_marks.py reads it).

- PostgreSQL: the sequence ``clinical_change_mark``, advanced by a statement-level trigger on each table (one
  ``nextval`` per statement, not per row; a sequence takes no lock, so writers never wait on each other).
- SQLite: the row ``clinical`` of the table ``change_mark``, counted up by row triggers (SQLite has one
  writer at a time anyway).
"""

from peewee import *

TABLES = (
    "appointment",
    "appointment_item",
    "result",
    "station_visit",
    "report",
    "client",
    "exam_item",
    "station_conclusion",
    "chief_review",
    "result_conflict",
)


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("CREATE SEQUENCE clinical_change_mark")
        db.execute_sql(
            "CREATE FUNCTION clinical_change_mark_bump() RETURNS trigger AS $$\n"
            "BEGIN\n    PERFORM nextval('clinical_change_mark');\n    RETURN NULL;\nEND $$ LANGUAGE plpgsql"
        )
        for table in TABLES:
            db.execute_sql(
                f"CREATE TRIGGER {table}_change_mark AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH STATEMENT EXECUTE PROCEDURE clinical_change_mark_bump()"
            )
        return
    db.execute_sql("CREATE TABLE change_mark (name VARCHAR(20) PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute_sql("INSERT INTO change_mark (name, value) VALUES ('clinical', 0)")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER {table}_change_mark_{event.lower()} AFTER {event} ON {table}\n"
                "BEGIN\n    UPDATE change_mark SET value = value + 1 WHERE name = 'clinical';\nEND"
            )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in TABLES:
            db.execute_sql(f"DROP TRIGGER {table}_change_mark ON {table}")
        db.execute_sql("DROP FUNCTION clinical_change_mark_bump()")
        db.execute_sql("DROP SEQUENCE clinical_change_mark")
        return
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            db.execute_sql(f"DROP TRIGGER {table}_change_mark_{event}")
    db.execute_sql("DROP TABLE change_mark")
