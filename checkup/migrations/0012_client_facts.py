"""Per-client facts kept on write (``client_facts``): the last completed checkup, the report in force of the
latest reported checkup, and the re-enrollment cycle the yearly invitation went out for. Segments and the
re-enrollment job read them instead of aggregating every appointment (and NOT IN over them).

The backfill is set-based SQL that runs on SQLite and PostgreSQL alike; a client's invitation counts for
its current cycle when the message keyed ``reenrollment:<client>:<last exam day>`` exists."""

from peewee import *

LAST_EXAMS = """
SELECT client_id, day, id FROM (
    SELECT a.client_id, a.day, a.id,
           ROW_NUMBER() OVER (PARTITION BY a.client_id ORDER BY a.day DESC, a.id DESC) AS n
    FROM appointment AS a WHERE a.status = 'completed'
) AS ranked WHERE n = 1
"""
LATEST_REPORTS = """
SELECT client_id, report_id FROM (
    SELECT a.client_id, r.id AS report_id,
           ROW_NUMBER() OVER (PARTITION BY a.client_id ORDER BY a.day DESC, a.id DESC, r.version DESC) AS n
    FROM report AS r JOIN appointment AS a ON a.id = r.appointment_id
    WHERE r.status IN ('signed', 'published')
) AS ranked WHERE n = 1
"""


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class Appointment(Model):
        class Meta:
            database = db
            table_name = "appointment"

    class Report(Model):
        class Meta:
            database = db
            table_name = "report"

    class ClientFacts(Model):
        client = ForeignKeyField(Client, primary_key=True, backref="+", on_delete="CASCADE")
        last_exam_day = DateField(null=True)
        last_exam_appointment = ForeignKeyField(Appointment, null=True, backref="+", on_delete="SET NULL")
        latest_report = ForeignKeyField(Report, null=True, backref="+", on_delete="SET NULL")
        invited_for_day = DateField(null=True)
        invited_at = DateTimeField(null=True)
        unreviewed_day = DateField(null=True)

        class Meta:
            database = db
            table_name = "client_facts"
            legacy_table_names = False
            indexes = ((("last_exam_day", "client"), False), (("unreviewed_day", "client"), False))

    db.create_tables([ClientFacts])

    db.execute_sql(
        "INSERT INTO client_facts"
        " (client_id, last_exam_day, last_exam_appointment_id, latest_report_id, unreviewed_day)"
        " SELECT c.id, x.day, x.id, y.report_id, x.day FROM client AS c"
        f" LEFT JOIN ({LAST_EXAMS}) AS x ON x.client_id = c.id"
        f" LEFT JOIN ({LATEST_REPORTS}) AS y ON y.client_id = c.id"
        " WHERE x.client_id IS NOT NULL OR y.client_id IS NOT NULL"
    )
    day_text = "to_char(f.last_exam_day, 'YYYY-MM-DD')" if isinstance(db, PostgresqlDatabase) else "f.last_exam_day"
    key = f"'reenrollment:' || CAST(f.client_id AS TEXT) || ':' || {day_text}"
    db.execute_sql(
        "UPDATE client_facts AS f SET invited_for_day = f.last_exam_day, unreviewed_day = NULL,"
        f" invited_at = (SELECT m.created_at FROM message AS m WHERE m.dedupe_key = {key})"
        f" WHERE f.last_exam_day IS NOT NULL AND EXISTS (SELECT 1 FROM message AS m WHERE m.dedupe_key = {key})"
    )


def down(migrator, db):
    db.execute_sql("DROP TABLE client_facts")
