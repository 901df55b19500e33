"""HR's employee list as an XLSX made by the worker: an export of more rows than a request should build
(services/groups/employee_exports)."""

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow
from checkup.models.directory import Organization
from checkup.models.groups import GroupContract

PENDING, BUILDING, READY, FAILED, EXPIRED = "pending", "building", "ready", "failed", "expired"
EXPORT_STATES = (PENDING, BUILDING, READY, FAILED, EXPIRED)


class EmployeeExport(BaseModel):
    """One export job: the organization and contract it lists, the filters as HR set them, its state
    (pending -> building -> ready | failed; expired once its file is deleted), progress and file.
    ``updated_at`` is the worker's claim token."""

    organization = ForeignKeyField(Organization, backref="+", on_delete="CASCADE")
    contract = ForeignKeyField(GroupContract, backref="+", on_delete="CASCADE")
    requested_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    filters_json = TextField(default="{}")  # the list's filters, its search included (never in a URL)
    locale = CharField(max_length=10, default="")  # the language of the headers, as HR saw the list
    state = CharField(max_length=10, default=PENDING)
    rows_total = IntegerField(default=0)
    rows_done = IntegerField(default=0)
    path = CharField(max_length=300, default="")  # relative to GROUP_DOCS_DIR
    checksum = CharField(max_length=64, default="")
    size_bytes = BigIntegerField(default=0)
    error = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)
    ready_at = DateTimeField(null=True)
