from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow
from checkup.models.directory import Client


class BreakGlassAccess(BaseModel):
    """A staff member opened a client's clinical record without a care relationship ("break the
    glass"): the reason they gave, until when it lasts, and the admin's review of it."""

    user = ForeignKeyField(User, backref="break_glass_accesses", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="break_glass_accesses", on_delete="CASCADE")
    reason = TextField()
    ip = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    expires_at = DateTimeField()
    reviewed_by = ForeignKeyField(User, null=True, backref="break_glass_reviews", on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True, index=True)
    review_note = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("user", "client", "expires_at"), False),)
