"""Clients' data rights: their requests (correction, deletion, export) and the exports made for them;
client.anonymized_at; audit_event.client_id (the client an event touches), filled in for the events
already recorded."""

import json

from peewee import *

# Events about an object carrying its own client_id column.
OWN_CLIENT_TABLES = (
    "appointment",
    "consent",
    "follow_up",
    "referral",
    "consultation",
    "survey",
    "enrollment",
    "waitlist_entry",
    "message",
    "user",
)
# Events about an object of an appointment: the appointment's client.
APPOINTMENT_TABLES = ("report", "result", "critical_alert")
BATCH = 500


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class DataRequest(Model):
        client = ForeignKeyField(Client, on_delete="CASCADE")
        kind = CharField(max_length=12)
        status = CharField(max_length=8, default="open")
        field = CharField(max_length=30, default="")
        details = TextField(default="")
        requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        due_on = DateField()
        handled_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="handled")
        handled_at = DateTimeField(null=True)
        note = TextField(default="")
        outcome_email = CharField(max_length=254, default="")

        class Meta:
            database = db
            table_name = "data_request"
            indexes = ((("status", "due_on"), False), (("client", "kind"), False))

    class DataExport(Model):
        request = ForeignKeyField(DataRequest, unique=True, on_delete="CASCADE")
        client = ForeignKeyField(Client, on_delete="CASCADE")
        state = CharField(max_length=10, default="pending")
        progress = IntegerField(default=0)
        path = CharField(max_length=300, default="")
        checksum = CharField(max_length=64, default="")
        size_bytes = BigIntegerField(default=0)
        error = CharField(max_length=500, default="")
        created_at = DateTimeField()
        updated_at = DateTimeField(null=True)
        ready_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True, index=True)

        class Meta:
            database = db
            table_name = "data_export"

    db.create_tables([DataRequest, DataExport])

    migrator.migrate(migrator.add_column("client", "anonymized_at", DateTimeField(null=True)))
    migrator.migrate(migrator.add_column("audit_event", "client_id", IntegerField(null=True)))
    migrator.migrate(migrator.add_index("audit_event", ("client_id",), False))
    _fill_audit_clients(db)


def _fill_audit_clients(db):
    """The client of every event already recorded, by the rule services.audit.client_of applies to new
    ones: a ``client`` in the detail first, then the object's client."""
    last = 0
    while True:
        rows = db.execute_sql(
            "SELECT id, detail FROM audit_event WHERE id > %s AND detail LIKE %s ORDER BY id LIMIT %s"
            % (_param(db), _param(db), _param(db)),
            (last, '%"client"%', BATCH),
        ).fetchall()
        if not rows:
            break
        for event_id, detail in rows:
            client_id = _named_client(detail)
            if client_id is not None:
                db.execute_sql(
                    "UPDATE audit_event SET client_id = %s WHERE id = %s" % (_param(db), _param(db)),
                    (client_id, event_id),
                )
        last = rows[-1][0]
    # object ids are the primary keys as text: cast the event's side, so each lookup uses the table's key
    db.execute_sql(
        "UPDATE audit_event SET client_id = CAST(object_id AS INTEGER) "
        "WHERE object_type = 'client' AND client_id IS NULL"
    )
    for table in OWN_CLIENT_TABLES:
        db.execute_sql(
            f'UPDATE audit_event SET client_id = (SELECT t.client_id FROM "{table}" t '
            f"WHERE t.id = CAST(audit_event.object_id AS INTEGER)) "
            f"WHERE object_type = '{table}' AND client_id IS NULL"
        )
    for table in APPOINTMENT_TABLES:
        db.execute_sql(
            f'UPDATE audit_event SET client_id = (SELECT a.client_id FROM "{table}" t '
            f"JOIN appointment a ON a.id = t.appointment_id "
            f"WHERE t.id = CAST(audit_event.object_id AS INTEGER)) "
            f"WHERE object_type = '{table}' AND client_id IS NULL"
        )


def _param(db):
    return db.param


def _named_client(detail):
    try:
        value = json.loads(detail).get("client")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def down(migrator, db):
    migrator.migrate(migrator.drop_index("audit_event", "audit_event_client_id"))
    migrator.migrate(migrator.drop_column("audit_event", "client_id"))
    migrator.migrate(migrator.drop_column("client", "anonymized_at"))
    db.execute_sql("DROP TABLE data_export")
    db.execute_sql("DROP TABLE data_request")
