"""Indexes for the lists that grow with the center, and HR's employee exports made by the worker.

- Client search: ``client (name, id)`` replaces ``client (name)``, so a page sorted by name is read off
  the index in order. On PostgreSQL, trigram GIN indexes (extension ``pg_trgm``) on the client's name,
  phone, email and employee number and on the organization's name answer ``ILIKE '%term%'`` and the
  name prefix; SQLite has no trigram index and reads the table (see services/accounts/client_search).
- Audit log: ``(action, id)`` replaces ``(action)``: the newest events of one action, and the page
  before a given id, are read off the index (keyset pages, no count); ``(object_type, object_id)`` finds
  an object's events (the day sheet's check-in times) without reading every event of the action.
- ``employee_export``: an employee list of more than the inline limit, made as a task (its state,
  progress and file).
"""

from peewee import *

# Only on PostgreSQL: (index name, table, column); the models cannot declare them (SQLite has no GIN), so
# tests/core/test_migrations.py knows them by name (checkup.models.directory.TRIGRAM_INDEXES).
TRIGRAM_INDEXES = (
    ("client_name_trgm", "client", "name"),
    ("client_phone_trgm", "client", "phone"),
    ("client_email_trgm", "client", "email"),
    ("client_employee_no_trgm", "client", "employee_no"),
    ("organization_name_trgm", "organization", "name"),
)


def _is_postgres(db):
    return isinstance(db, PostgresqlDatabase)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Organization(Model):
        class Meta:
            database = db
            table_name = "organization"

    class GroupContract(Model):
        class Meta:
            database = db
            table_name = "group_contract"

    class EmployeeExport(Model):
        organization = ForeignKeyField(Organization, on_delete="CASCADE")
        contract = ForeignKeyField(GroupContract, on_delete="CASCADE")
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        filters_json = TextField(default="{}")
        locale = CharField(max_length=10, default="")
        state = CharField(max_length=10, default="pending")
        rows_total = IntegerField(default=0)
        rows_done = IntegerField(default=0)
        path = CharField(max_length=300, default="")
        checksum = CharField(max_length=64, default="")
        size_bytes = BigIntegerField(default=0)
        error = CharField(max_length=500, default="")
        created_at = DateTimeField()
        updated_at = DateTimeField(null=True)
        ready_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "employee_export"

    db.create_tables([EmployeeExport])

    db.execute_sql("DROP INDEX IF EXISTS client_name")
    db.execute_sql("DROP INDEX IF EXISTS auditevent_action")  # 0001's name
    db.execute_sql("DROP INDEX IF EXISTS audit_event_action")  # the name down() gives it
    migrator.migrate(
        migrator.add_index("client", ("name", "id"), False),
        migrator.add_index("audit_event", ("action", "id"), False),
        migrator.add_index("audit_event", ("object_type", "object_id"), False),
    )
    if _is_postgres(db):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM_INDEXES:
            db.execute_sql(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ("{column}" gin_trgm_ops)')


def down(migrator, db):
    if _is_postgres(db):
        for name, _table, _column in TRIGRAM_INDEXES:
            db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    migrator.migrate(
        migrator.drop_index("audit_event", "audit_event_object_type_object_id"),
        migrator.drop_index("audit_event", "audit_event_action_id"),
        migrator.drop_index("client", "client_name_id"),
        migrator.add_index("audit_event", ("action",), False),
        migrator.add_index("client", ("name",), False),
    )
    db.execute_sql("DROP TABLE employee_export")
