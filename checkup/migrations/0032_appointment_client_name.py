"""The client's name kept on the appointment (``appointment.client_name``), so that a page of the day sheet
(services/exam/day_sheets.py: a slot's live appointments by client name, 50 at a time) is a range of one
index, ``appointment (day, slot_id, client_name, id) WHERE status <> 'cancelled'``, instead of a lookup into
``client`` for every appointment of the slot (289 in a busy slot) to sort them all and keep 50.

Triggers keep it, in the transaction of every write, whoever writes (a booking, a walk-in, records joined at
the desk, a roster import, anonymization, the CLI):

- a new appointment, or a change of its client (or of the kept name itself), takes its client's name;
- a change of a client's name is copied to the client's appointments.

- PostgreSQL: a BEFORE row trigger sets ``NEW.client_name`` (a stale value written back by a whole-row save
  is put right in the same statement); the client's trigger updates its appointments, which the first
  trigger then fills from the client row as it now reads.
- SQLite cannot change NEW: each trigger updates the row after the write, only when it is wrong (so the
  update it makes finds it right and stops there, recursive triggers or not).

The backfill copies every existing appointment's client name once, after the triggers exist (on PostgreSQL
creating a trigger locks the table against writes until the migration commits).
"""

from peewee import *

INDEX = "appointment_day_slot_id_client_name_id"
NAME_OF = "(SELECT c.name FROM client AS c WHERE c.id = {row}.client_id)"

POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION appointment_client_name_keep() RETURNS trigger AS $$
BEGIN
    NEW.client_name := {NAME_OF.format(row="NEW")};
    RETURN NEW;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER appointment_client_name_keep BEFORE INSERT OR UPDATE OF client_id, client_name"
    " ON appointment FOR EACH ROW EXECUTE PROCEDURE appointment_client_name_keep()",
    """CREATE FUNCTION client_name_to_appointments() RETURNS trigger AS $$
BEGIN
    UPDATE appointment SET client_name = NEW.name WHERE client_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER client_name_to_appointments AFTER UPDATE OF name ON client FOR EACH ROW"
    " WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE PROCEDURE client_name_to_appointments()",
)
POSTGRES_DROPS = (
    "DROP TRIGGER client_name_to_appointments ON client",
    "DROP FUNCTION client_name_to_appointments()",
    "DROP TRIGGER appointment_client_name_keep ON appointment",
    "DROP FUNCTION appointment_client_name_keep()",
)

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER appointment_client_name_insert AFTER INSERT ON appointment
WHEN NEW.client_name IS NOT {NAME_OF.format(row="NEW")}
BEGIN
    UPDATE appointment SET client_name = {NAME_OF.format(row="NEW")} WHERE id = NEW.id;
END""",
    f"""CREATE TRIGGER appointment_client_name_update AFTER UPDATE OF client_id, client_name ON appointment
WHEN NEW.client_name IS NOT {NAME_OF.format(row="NEW")}
BEGIN
    UPDATE appointment SET client_name = {NAME_OF.format(row="NEW")} WHERE id = NEW.id;
END""",
    """CREATE TRIGGER client_name_to_appointments AFTER UPDATE OF name ON client
WHEN OLD.name IS NOT NEW.name
BEGIN
    UPDATE appointment SET client_name = NEW.name WHERE client_id = NEW.id;
END""",
)
SQLITE_DROPS = (
    "DROP TRIGGER client_name_to_appointments",
    "DROP TRIGGER appointment_client_name_update",
    "DROP TRIGGER appointment_client_name_insert",
)


def up(migrator, db):
    db.execute_sql("ALTER TABLE appointment ADD COLUMN client_name VARCHAR(100)")
    for statement in POSTGRES_TRIGGERS if isinstance(db, PostgresqlDatabase) else SQLITE_TRIGGERS:
        db.execute_sql(statement)
    db.execute_sql(f"UPDATE appointment SET client_name = {NAME_OF.format(row='appointment')}")
    db.execute_sql(f"CREATE INDEX {INDEX} ON appointment (day, slot_id, client_name, id) WHERE status <> 'cancelled'")


def down(migrator, db):
    db.execute_sql(f"DROP INDEX {INDEX}")
    for statement in POSTGRES_DROPS if isinstance(db, PostgresqlDatabase) else SQLITE_DROPS:
        db.execute_sql(statement)
    db.execute_sql("ALTER TABLE appointment DROP COLUMN client_name")
