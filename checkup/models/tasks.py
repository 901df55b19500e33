from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow

QUEUED, RUNNING, DONE, FAILED, DEAD = "queued", "running", "done", "failed", "dead"
STATES = (QUEUED, RUNNING, DONE, FAILED, DEAD)


class Task(BaseModel):
    """One piece of background work the portal owes: written in the same transaction as the change that
    owes it, so it survives an empty Redis or a killed worker. ``failed`` is tried again from
    ``next_attempt_at``; ``dead`` is not tried again until staff press "retry"."""

    kind = CharField(max_length=60, index=True)
    args_json = TextField(default="[]")  # ids and plain values only, never a secret
    dedupe_key = CharField(max_length=160, unique=True)
    state = CharField(max_length=8, default=QUEUED)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    lease_until = DateTimeField(null=True)  # a running task past this was left by a dead worker
    last_error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    caused_by = ForeignKeyField(User, null=True, backref="tasks", on_delete="SET NULL")
    caused_by_id: int | None  # the raw key peewee sets beside ``caused_by`` (read without loading the user)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False), (("kind", "state"), False))
