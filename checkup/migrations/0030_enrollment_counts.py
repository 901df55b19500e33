"""Counts kept on write, so that HR's dashboard and employee list read a few rows instead of counting a big
contract's roster on every view (models/groups.py):

- ``enrollment_count (contract_id, status, department, category_id, n)``: how many enrollments of the
  contract have that status (the one migration 0023 keeps), department and category;
- ``organization_client_count (organization_id, n)``: how many client records name the organization.

Triggers keep them in the transaction of every write, whoever writes (a page, a job, a roster import, the CLI,
a cascade): each write adds its rows' +1 / -1 to the counts of their keys with an upsert, ``INSERT ... ON
CONFLICT DO UPDATE SET n = n + the change``. Two transactions changing one count do not lose either change:
the second upsert waits for the first's row lock and adds to what it committed. A count that falls to 0 keeps
its row (no delete and re-insert as an employee's status comes and goes; the readers skip zeros).

- PostgreSQL: statement-level triggers with transition tables on ``enrollment`` (one grouped upsert per
  statement, however many rows: an import of 10,000 employees, an invitation wave), the changed keys upserted
  in the order of their keys (every writer locks count rows in one order: two waves cannot deadlock on them).
  An UPDATE statement adds the new rows' keys and subtracts the old rows'; keys whose change sums to zero (an
  update that moves no enrollment between counts) are not written. On ``client``: statement-level triggers for
  inserts and deletes, a row trigger for a change of ``organization_id`` only.
- SQLite (one writer at a time, no transition tables): row triggers. Its 0023 triggers fix a status with a
  second UPDATE after the write; the changes add up to the same counts in whichever order the triggers run
  (a count may pass through -1 meanwhile).

The backfill counts the existing rows once, after the triggers exist (on PostgreSQL creating a trigger locks
the table against writes until the migration commits: no write falls between the count and the triggers).
"""

from peewee import *

ENROLLMENT_KEY = "contract_id, status, department, category_id"


def _pg_upsert(table, key, moved):
    """The statement adding the changes ``moved`` (rows of ``key`` columns and ``k``, +1 or -1 each) to ``table``."""
    return (
        f"INSERT INTO {table} AS kept ({key}, n)"
        f" SELECT {key}, SUM(k) FROM ({moved}) AS moved GROUP BY {key} HAVING SUM(k) <> 0 ORDER BY {key}"
        f" ON CONFLICT ({key}) DO UPDATE SET n = kept.n + EXCLUDED.n"
    )


def _pg_function(name, statement):
    return f"CREATE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN\n    {statement};\n    RETURN NULL;\nEND $$ LANGUAGE plpgsql"


_ENROLLMENTS_ADDED = f"SELECT {ENROLLMENT_KEY}, 1 AS k FROM new_rows"
_ENROLLMENTS_GONE = f"SELECT {ENROLLMENT_KEY}, -1 AS k FROM old_rows"
_CLIENTS_ADDED = "SELECT organization_id, 1 AS k FROM new_rows WHERE organization_id IS NOT NULL"
_CLIENTS_GONE = "SELECT organization_id, -1 AS k FROM old_rows WHERE organization_id IS NOT NULL"
_CLIENT_MOVED = (
    "SELECT organization_id, k FROM (VALUES (OLD.organization_id, -1), (NEW.organization_id, 1))"
    " AS change (organization_id, k) WHERE organization_id IS NOT NULL"
)

# (function, the statement it runs, its trigger's event and timing)
POSTGRES_TRIGGERS = (
    (
        "enrollment_count_insert",
        _pg_upsert("enrollment_count", ENROLLMENT_KEY, _ENROLLMENTS_ADDED),
        "AFTER INSERT ON enrollment REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
    ),
    (
        "enrollment_count_update",
        _pg_upsert("enrollment_count", ENROLLMENT_KEY, f"{_ENROLLMENTS_ADDED} UNION ALL {_ENROLLMENTS_GONE}"),
        "AFTER UPDATE ON enrollment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
    ),
    (
        "enrollment_count_delete",
        _pg_upsert("enrollment_count", ENROLLMENT_KEY, _ENROLLMENTS_GONE),
        "AFTER DELETE ON enrollment REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
    ),
    (
        "organization_client_count_insert",
        _pg_upsert("organization_client_count", "organization_id", _CLIENTS_ADDED),
        "AFTER INSERT ON client REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
    ),
    (
        "organization_client_count_move",
        _pg_upsert("organization_client_count", "organization_id", _CLIENT_MOVED),
        "AFTER UPDATE OF organization_id ON client FOR EACH ROW"
        " WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)",
    ),
    (
        "organization_client_count_delete",
        _pg_upsert("organization_client_count", "organization_id", _CLIENTS_GONE),
        "AFTER DELETE ON client REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
    ),
)


def _sqlite_upsert(table, key, values):
    return f"INSERT INTO {table} ({key}, n) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET n = n + excluded.n;"


def _enrollment_values(row, k):
    return f"{row}.contract_id, {row}.status, {row}.department, {row}.category_id, {k}"


_ENROLLMENT_MOVED = " OR ".join(
    f"OLD.{column} IS NOT NEW.{column}" for column in ("contract_id", "status", "department", "category_id")
)

# (trigger, its event and condition, its statements)
SQLITE_TRIGGERS = (
    (
        "enrollment_count_insert",
        "AFTER INSERT ON enrollment",
        _sqlite_upsert("enrollment_count", ENROLLMENT_KEY, _enrollment_values("NEW", 1)),
    ),
    (
        "enrollment_count_update",
        f"AFTER UPDATE OF {ENROLLMENT_KEY} ON enrollment WHEN {_ENROLLMENT_MOVED}",
        _sqlite_upsert("enrollment_count", ENROLLMENT_KEY, _enrollment_values("OLD", -1))
        + "\n    "
        + _sqlite_upsert("enrollment_count", ENROLLMENT_KEY, _enrollment_values("NEW", 1)),
    ),
    (
        "enrollment_count_delete",
        "AFTER DELETE ON enrollment",
        _sqlite_upsert("enrollment_count", ENROLLMENT_KEY, _enrollment_values("OLD", -1)),
    ),
    (
        "organization_client_count_insert",
        "AFTER INSERT ON client WHEN NEW.organization_id IS NOT NULL",
        _sqlite_upsert("organization_client_count", "organization_id", "NEW.organization_id, 1"),
    ),
    (
        "organization_client_count_leave",
        "AFTER UPDATE OF organization_id ON client"
        " WHEN OLD.organization_id IS NOT NULL AND OLD.organization_id IS NOT NEW.organization_id",
        _sqlite_upsert("organization_client_count", "organization_id", "OLD.organization_id, -1"),
    ),
    (
        "organization_client_count_join",
        "AFTER UPDATE OF organization_id ON client"
        " WHEN NEW.organization_id IS NOT NULL AND OLD.organization_id IS NOT NEW.organization_id",
        _sqlite_upsert("organization_client_count", "organization_id", "NEW.organization_id, 1"),
    ),
    (
        "organization_client_count_delete",
        "AFTER DELETE ON client WHEN OLD.organization_id IS NOT NULL",
        _sqlite_upsert("organization_client_count", "organization_id", "OLD.organization_id, -1"),
    ),
)


def up(migrator, db):
    class EnrollmentCount(Model):
        contract_id = IntegerField()
        status = CharField(max_length=12)
        department = CharField(max_length=100)
        category_id = IntegerField()
        n = IntegerField()

        class Meta:
            database = db
            table_name = "enrollment_count"
            primary_key = CompositeKey("contract_id", "status", "department", "category_id")

    class OrganizationClientCount(Model):
        organization_id = IntegerField(primary_key=True)
        n = IntegerField()

        class Meta:
            database = db
            table_name = "organization_client_count"

    db.create_tables([EnrollmentCount, OrganizationClientCount])
    if isinstance(db, PostgresqlDatabase):
        for name, statement, event in POSTGRES_TRIGGERS:
            db.execute_sql(_pg_function(name, statement))
            db.execute_sql(f"CREATE TRIGGER {name} {event} EXECUTE PROCEDURE {name}()")
    else:
        for name, event, statements in SQLITE_TRIGGERS:
            db.execute_sql(f"CREATE TRIGGER {name} {event}\nBEGIN\n    {statements}\nEND")
    db.execute_sql(
        f"INSERT INTO enrollment_count ({ENROLLMENT_KEY}, n)"
        f" SELECT {ENROLLMENT_KEY}, COUNT(*) FROM enrollment GROUP BY {ENROLLMENT_KEY}"
    )
    db.execute_sql(
        "INSERT INTO organization_client_count (organization_id, n)"
        " SELECT organization_id, COUNT(*) FROM client WHERE organization_id IS NOT NULL GROUP BY organization_id"
    )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for name, _statement, event in POSTGRES_TRIGGERS:
            table = "enrollment" if " ON enrollment " in event else "client"
            db.execute_sql(f"DROP TRIGGER {name} ON {table}")
            db.execute_sql(f"DROP FUNCTION {name}()")
    else:
        for name, _event, _statements in SQLITE_TRIGGERS:
            db.execute_sql(f"DROP TRIGGER {name}")
    db.execute_sql("DROP TABLE organization_client_count")
    db.execute_sql("DROP TABLE enrollment_count")
