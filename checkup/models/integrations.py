"""The hospital's systems that use the API (HIS, LIS, PACS): their tokens, the webhooks they subscribe to,
the deliveries owed to them, and what their writes already did (idempotency keys, external result ids)."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import ExamItem
from checkup.models.results import Result

SCOPES = (
    "orders:read",
    "results:write",
    "reports:read",
    "appointments:read",
    "appointments:write",
    "clients:read",
    "clients:write",
    "fhir:read",
)
EVENTS = (
    "appointment.booked",
    "appointment.cancelled",
    "appointment.checked_in",
    "report.signed",
    "report.amended",
    "critical_value.raised",
    "results.received",
)
PENDING, DELIVERED, FAILED, DEAD = "pending", "delivered", "failed", "dead"


class IntegrationClient(BaseModel):
    """One outside system and its bearer token. Only the SHA-256 of the token is kept: the token is 32
    random bytes, so a fast hash is as safe as a slow one and can be looked up by index on every call."""

    name = CharField(max_length=80, unique=True)
    scopes = CharField(max_length=300, default="")  # space-separated, each one of SCOPES
    secret_hash = CharField(max_length=64, unique=True)
    # the hash of the token before the last rotation: a call with it is told "rotated", not "unknown"
    previous_hash = CharField(max_length=64, null=True, index=True)
    rate_limit = CharField(max_length=40, default="600 per minute")
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    rotated_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "integration_client"

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(BaseModel):
    """A write already answered: the same key with the same body gets the same answer again."""

    client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
    key = CharField(max_length=200)
    endpoint = CharField(max_length=120)
    request_hash = CharField(max_length=64)
    status = IntegerField()
    response_body = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "integration_idempotency_key"
        indexes = ((("client", "key"), True),)


class ExternalResult(BaseModel):
    """A result an outside system sent, by its own id: sent again, it changes nothing."""

    client = ForeignKeyField(IntegrationClient, backref="+", on_delete="CASCADE")
    external_id = CharField(max_length=120)
    appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="+", on_delete="RESTRICT")
    result = ForeignKeyField(Result, null=True, backref="+", on_delete="SET NULL")
    value = CharField(max_length=500, default="")
    outcome = CharField(max_length=12)  # stored | same | conflict
    instrument_id = CharField(max_length=80, default="")
    performed_at = DateTimeField(null=True)
    received_at = DateTimeField(default=utcnow)
    appointment_id: int  # the raw keys peewee sets beside the foreign keys (read without loading the rows)
    result_id: int | None

    class Meta:
        table_name = "external_result"
        indexes = ((("client", "external_id"), True),)


class ExternalReport(BaseModel):
    """An imaging or ECG report an outside system sent: its text and, optionally, the stored file."""

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
    received_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "external_report"
        indexes = ((("client", "external_id"), True),)


class WebhookEndpoint(BaseModel):
    """Where a client wants to hear of events. The signing secret is kept as is: signing needs it."""

    client = ForeignKeyField(IntegrationClient, backref="webhooks", on_delete="CASCADE")
    url = CharField(max_length=500)
    secret = CharField(max_length=80)
    events = CharField(max_length=200)  # space-separated, each one of EVENTS
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_endpoint"

    @property
    def event_list(self) -> list[str]:
        return [e for e in self.events.split() if e]


class WebhookDelivery(BaseModel):
    """One event owed to one endpoint: written with the event, sent by a task, its attempts kept for staff."""

    endpoint = ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE")
    event = CharField(max_length=40)
    event_id = CharField(max_length=40, unique=True)
    payload = TextField()
    state = CharField(max_length=10, default=PENDING)  # pending | delivered | failed | dead
    attempts = IntegerField(default=0)
    last_status = IntegerField(null=True)
    last_error = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    last_attempt_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "webhook_delivery"
        indexes = ((("endpoint", "id"), False),)


INTEGRATION_MODELS = [
    IntegrationClient,
    IdempotencyKey,
    ExternalResult,
    ExternalReport,
    WebhookEndpoint,
    WebhookDelivery,
]
