from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow


class AuditEvent(BaseModel):
    """Who did what to which object, when and from where. Rows are never updated or deleted."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, backref="audit_events", on_delete="SET NULL")
    action = CharField(max_length=60)  # indexed with the id (Meta): keyset pages of one action
    object_type = CharField(max_length=40, default="")
    object_id = CharField(max_length=40, default="")
    ip = CharField(max_length=64, default="")
    detail = TextField(default="")
    # the client whose record the event touches (services.audit works it out), so a client can be shown
    # who accessed their record; not a foreign key: an event outlives anything it names
    client_id = IntegerField(null=True, index=True)

    class Meta:
        # (action, id): the newest events of one action and the page before an id, off the index; (object_type,
        # object_id): one object's events (e.g. an appointment's check-in)
        indexes = ((("action", "id"), False), (("object_type", "object_id"), False))
