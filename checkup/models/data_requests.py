"""Clients' data rights (PIPL art. 44–47): their requests to correct or delete their data or to have a
copy of it, and the copies (ZIP files) made for them."""

from peewee import BigIntegerField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow
from checkup.models.directory import Client

CORRECTION, DELETION, EXPORT = "correction", "deletion", "export"
REQUEST_KINDS = (CORRECTION, DELETION, EXPORT)
OPEN, DONE, REFUSED = "open", "done", "refused"
REQUEST_STATUSES = (OPEN, DONE, REFUSED)


class DataRequest(BaseModel):
    """A client's request: open until staff mark it done or refuse it (an export is done by the worker).
    ``due_on`` is the legal answer date: 15 working days after the request."""

    client = ForeignKeyField(Client, backref="data_requests", on_delete="CASCADE")
    kind = CharField(max_length=12)
    status = CharField(max_length=8, default=OPEN)
    field = CharField(max_length=30, default="")  # correction: which part of the record is wrong
    details = TextField(default="")  # correction: what is wrong; deletion: the client's reason, if any
    requested_by = ForeignKeyField(User, null=True, backref="data_requests", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    due_on = DateField()
    handled_by = ForeignKeyField(User, null=True, backref="data_requests_handled", on_delete="SET NULL")
    handled_at = DateTimeField(null=True)
    note = TextField(default="")  # what staff did, or why they refused: the client reads it
    # where the outcome email goes, kept from closing until it is sent (a deletion erases the address
    # from the record before the email can go out)
    outcome_email = CharField(max_length=254, default="")

    class Meta:
        indexes = ((("status", "due_on"), False), (("client", "kind"), False))


PENDING, BUILDING, READY, FAILED, EXPIRED = "pending", "building", "ready", "failed", "expired"


class DataExport(BaseModel):
    """A ZIP of everything held about a client, made by the worker and downloadable until ``expires_at``;
    the file is deleted after that (state ``expired``). ``updated_at`` is the worker's claim token."""

    request = ForeignKeyField(DataRequest, unique=True, backref="exports", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="data_exports", on_delete="CASCADE")
    state = CharField(max_length=10, default="pending")  # pending | building | ready | failed | expired
    progress = IntegerField(default=0)  # percent, while building
    path = CharField(max_length=300, default="")  # relative to EXPORTS_DIR
    checksum = CharField(max_length=64, default="")
    size_bytes = BigIntegerField(default=0)
    error = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)
    ready_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True, index=True)
