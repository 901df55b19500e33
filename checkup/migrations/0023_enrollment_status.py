"""The enrollment status HR sees, kept on the enrollment (``enrollment.status``) instead of worked out on
every view by joining the roster to the appointments: HR's dashboard, the invitation figures and the
employee list's status filter read an indexed column: ``enrollment (contract_id, status, department,
category_id)`` answers the counts by status (and by department and category) from the index alone.

The rule is the one of ``services/groups/enrollments.enrollment_status``: the current appointment's
state when it is booked, checked in, completed or a no-show, else ``invited`` once invited, else
``not_invited``. Triggers keep it, in the transaction of every write that moves it, whoever writes:

- a new enrollment, or a change of its appointment or invitation (booking, cancelling, inviting, the
  appointment removed: ``ON DELETE SET NULL``) recomputes the row's status;
- a change of an appointment's state (check-in, completion, no-show, cancellation) recomputes the
  status of the enrollments it is the appointment of.

The backfill computes every existing enrollment's status once.
"""

from peewee import *

KEPT = "'booked', 'checked_in', 'completed', 'no_show'"  # enrollments.APPOINTMENT_STATES


def _status_of(row):
    """The status of the enrollment ``row`` (``NEW`` in a trigger, the table in the backfill) as SQL."""
    return (
        f"COALESCE((SELECT a.status FROM appointment AS a WHERE a.id = {row}.appointment_id AND a.status IN ({KEPT})),"
        f" CASE WHEN {row}.invited_at IS NOT NULL THEN 'invited' ELSE 'not_invited' END)"
    )


POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION enrollment_status_keep() RETURNS trigger AS $$
BEGIN
    NEW.status := {_status_of("NEW")};
    RETURN NEW;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER enrollment_status_keep BEFORE INSERT OR UPDATE OF appointment_id, invited_at, status"
    " ON enrollment FOR EACH ROW EXECUTE PROCEDURE enrollment_status_keep()",
    # setting the column to itself makes the enrollment's trigger above recompute it
    """CREATE FUNCTION appointment_enrollment_status() RETURNS trigger AS $$
BEGIN
    UPDATE enrollment SET status = status WHERE appointment_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER appointment_enrollment_status AFTER UPDATE OF status ON appointment FOR EACH ROW"
    " WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE PROCEDURE appointment_enrollment_status()",
)

# SQLite cannot change NEW: each trigger updates the row after the write, only when it is wrong (so the
# update it makes finds it right and stops there, recursive triggers or not)
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER enrollment_status_insert AFTER INSERT ON enrollment
WHEN NEW.status IS NOT {_status_of("NEW")}
BEGIN
    UPDATE enrollment SET status = {_status_of("NEW")} WHERE id = NEW.id;
END""",
    f"""CREATE TRIGGER enrollment_status_update AFTER UPDATE OF appointment_id, invited_at, status ON enrollment
WHEN NEW.status IS NOT {_status_of("NEW")}
BEGIN
    UPDATE enrollment SET status = {_status_of("NEW")} WHERE id = NEW.id;
END""",
    f"""CREATE TRIGGER appointment_enrollment_status AFTER UPDATE OF status ON appointment
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE enrollment SET status = {_status_of("enrollment")} WHERE appointment_id = NEW.id;
END""",
)


def up(migrator, db):
    migrator.migrate(migrator.add_column("enrollment", "status", CharField(max_length=12, default="not_invited")))
    db.execute_sql(f"UPDATE enrollment SET status = {_status_of('enrollment')}")
    migrator.migrate(migrator.add_index("enrollment", ("contract_id", "status", "department", "category_id"), False))
    for statement in POSTGRES_TRIGGERS if isinstance(db, PostgresqlDatabase) else SQLITE_TRIGGERS:
        db.execute_sql(statement)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("DROP TRIGGER appointment_enrollment_status ON appointment")
        db.execute_sql("DROP TRIGGER enrollment_status_keep ON enrollment")
        db.execute_sql("DROP FUNCTION appointment_enrollment_status()")
        db.execute_sql("DROP FUNCTION enrollment_status_keep()")
    else:
        for name in ("appointment_enrollment_status", "enrollment_status_update", "enrollment_status_insert"):
            db.execute_sql(f"DROP TRIGGER {name}")
    migrator.migrate(migrator.drop_index("enrollment", "enrollment_contract_id_status_department_category_id"))
    migrator.migrate(migrator.drop_column("enrollment", "status"))
