"""Integration clients of the API (models/integrations.py): their hashed tokens, idempotency keys, results
and reports received by external id, webhook endpoints and the deliveries owed to them; and the LOINC code
of an exam item (filled for the demo's lab items by demo/demo_loinc.py)."""

from peewee import *


def _stub(db, name):
    class Stub(Model):
        class Meta:
            database = db
            table_name = name

    return Stub


def up(migrator, db):
    User = _stub(db, "user")
    Appointment = _stub(db, "appointment")
    ExamItem = _stub(db, "exam_item")
    Result = _stub(db, "result")

    class IntegrationClient(Model):
        name = CharField(max_length=80, unique=True)
        scopes = CharField(max_length=300, default="")
        secret_hash = CharField(max_length=64, unique=True)
        previous_hash = CharField(max_length=64, null=True, index=True)
        rate_limit = CharField(max_length=40, default="600 per minute")
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        rotated_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "integration_client"

    class IdempotencyKey(Model):
        client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
        key = CharField(max_length=200)
        endpoint = CharField(max_length=120)
        request_hash = CharField(max_length=64)
        status = IntegerField()
        response_body = TextField(default="")
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "integration_idempotency_key"
            indexes = ((("client", "key"), True),)

    class ExternalResult(Model):
        client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
        external_id = CharField(max_length=120)
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, backref="+", on_delete="RESTRICT")
        result = ForeignKeyField(Result, null=True, backref="+", on_delete="SET NULL")
        value = CharField(max_length=500, default="")
        outcome = CharField(max_length=12)
        instrument_id = CharField(max_length=80, default="")
        performed_at = DateTimeField(null=True)
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = "external_result"
            indexes = ((("client", "external_id"), True),)

    class ExternalReport(Model):
        client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
        external_id = CharField(max_length=120)
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
        item = ForeignKeyField(ExamItem, backref="+", on_delete="RESTRICT")
        result = ForeignKeyField(Result, null=True, backref="+", on_delete="SET NULL")
        conclusion = TextField(default="")
        file_path = CharField(max_length=300, default="")
        file_type = CharField(max_length=40, default="")
        file_checksum = CharField(max_length=64, default="")
        file_size = IntegerField(default=0)
        received_at = DateTimeField()

        class Meta:
            database = db
            table_name = "external_report"
            indexes = ((("client", "external_id"), True),)

    class WebhookEndpoint(Model):
        client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
        url = CharField(max_length=500)
        secret = CharField(max_length=80)
        events = CharField(max_length=200)
        active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "webhook_endpoint"

    class WebhookDelivery(Model):
        endpoint = ForeignKeyField(WebhookEndpoint, backref="+", on_delete="CASCADE")
        event = CharField(max_length=40)
        event_id = CharField(max_length=40, unique=True)
        payload = TextField()
        state = CharField(max_length=10, default="pending")
        attempts = IntegerField(default=0)
        last_status = IntegerField(null=True)
        last_error = CharField(max_length=500, default="")
        created_at = DateTimeField()
        last_attempt_at = DateTimeField(null=True)
        delivered_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "webhook_delivery"
            indexes = ((("endpoint", "id"), False),)

    db.create_tables(
        [IntegrationClient, IdempotencyKey, ExternalResult, ExternalReport, WebhookEndpoint, WebhookDelivery]
    )
    migrator.migrate(migrator.add_column("exam_item", "loinc", CharField(max_length=12, default="")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("exam_item", "loinc"))
    for table in (
        "webhook_delivery",
        "webhook_endpoint",
        "external_report",
        "external_result",
        "integration_idempotency_key",
        "integration_client",
    ):
        db.execute_sql(f"DROP TABLE {table}")
