"""Group checkups: contracts with a company, their categories, reserved places, the roster
(enrollments), roster imports, the released versions of the group summary and the group documents
(summary report, billing statement)."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Check,
    CompositeKey,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.capacity import Slot
from checkup.models.catalog import Package
from checkup.models.directory import Client, Organization

DRAFT, ACTIVE, CLOSED = "draft", "active", "closed"
CONTRACT_STATUSES = (DRAFT, ACTIVE, CLOSED)
INTERIM, FINAL = "interim", "final"  # why a summary was released: by the center meanwhile, or at close


class GroupContract(BaseModel):
    organization = ForeignKeyField(Organization, backref="contracts", on_delete="RESTRICT")
    name = CharField(max_length=200)
    year = IntegerField()
    window_start = DateField()
    window_end = DateField()
    discount_percent = DecimalField(max_digits=5, decimal_places=2, default=0)
    # share of the category price the company pays for a no-show (contract terms), 0-100
    no_show_charge_percent = DecimalField(max_digits=5, decimal_places=2, default=0)
    # unused reserved places go back to the public pool this many days before their day
    reservation_release_days = IntegerField(default=3)
    status = CharField(max_length=10, default=DRAFT, index=True)
    notes = TextField(default="")
    hr_confirmed_at = DateTimeField(null=True)  # HR confirmed the categories of the draft
    created_by = ForeignKeyField(User, null=True, backref="contracts_created", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    activated_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("organization", "name"), True),)
        constraints = [
            Check("window_start <= window_end"),
            Check("discount_percent >= 0 AND discount_percent <= 100"),
            Check("no_show_charge_percent >= 0 AND no_show_charge_percent <= 100"),
            Check("reservation_release_days >= 0"),
        ]


class ContractCategory(BaseModel):
    """Who belongs here (sex, age band, free label) → which package, who pays, whether add-ons are allowed."""

    contract = ForeignKeyField(GroupContract, backref="categories", on_delete="CASCADE")
    label = CharField(max_length=100)
    sex = CharField(max_length=6, default="")  # "" = any
    age_min = IntegerField(null=True)
    age_max = IntegerField(null=True)
    package = ForeignKeyField(Package, backref="contract_categories", on_delete="RESTRICT")
    company_pays = BooleanField(default=True)
    addons_allowed = BooleanField(default=True)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("contract", "label"), True),)


class ContractReservation(BaseModel):
    """Places of a slot held for one company; released to everyone ``reservation_release_days`` before."""

    contract = ForeignKeyField(GroupContract, backref="reservations", on_delete="CASCADE")
    slot = ForeignKeyField(Slot, backref="reservations", on_delete="RESTRICT")
    places = IntegerField()
    remaining = IntegerField()  # still held in slot.reserved for this contract
    released_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("contract", "slot"), True),)
        constraints = [Check("places > 0"), Check("remaining >= 0"), Check("remaining <= places")]


class Enrollment(BaseModel):
    """One employee on one contract's roster. The status shown to HR derives from ``appointment``."""

    contract = ForeignKeyField(GroupContract, backref="enrollments", on_delete="CASCADE")
    client = ForeignKeyField(Client, backref="enrollments", on_delete="RESTRICT")
    category = ForeignKeyField(ContractCategory, backref="enrollments", on_delete="RESTRICT")
    employee_no = CharField(max_length=50)
    department = CharField(max_length=100, default="")
    # the current (latest) appointment; swapped compare-and-set so one contract books once
    appointment = ForeignKeyField(Appointment, null=True, backref="enrollments", on_delete="SET NULL")
    invited_at = DateTimeField(null=True)
    last_reminded_at = DateTimeField(null=True)
    invite_count = IntegerField(default=0)
    invite_token_hash = CharField(max_length=64, null=True, unique=True)
    invite_expires_at = DateTimeField(null=True)
    invite_used_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    # the status HR sees (services/groups/enrollments.enrollment_status), kept by the database's triggers
    # (migration 0023) whenever the appointment, its state or the invitation changes: never written here
    status = CharField(max_length=12, default="not_invited")

    class Meta:
        indexes = (
            (("contract", "client"), True),
            (("contract", "employee_no"), True),
            (("contract", "status", "department", "category"), False),  # HR's counts, off the index alone
        )


# the enrollments whose invitation email is still to go out, by contract (migration 0029): HR's invitation
# figures count them; the condition is the expression services/groups/invitations._is_pending compares
Enrollment.add_index(
    Enrollment.index(
        Enrollment.contract,
        name="enrollment_contract_id_pending",
        where=SQL("substr(invite_token_hash, 1, 8) = 'pending:'"),
    )
)


class EnrollmentCount(BaseModel):
    """How many enrollments of a contract have each (status, department, category): HR's dashboard and the
    employee list's counts read these few rows instead of counting the roster's index entries (10,000 for a
    10,000-employee contract on every view).

    Kept by the database's triggers on ``enrollment`` (migration 0030), in the transaction of every write that
    adds, removes or moves an enrollment (its status included, which migration 0023's triggers keep), whoever
    writes: never written here. A row that falls to 0 stays (the readers skip it). No foreign keys: a row
    stands for enrollments, which hold them (a contract deleted takes its enrollments, and they their counts)."""

    contract_id = IntegerField()
    status = CharField(max_length=12)
    department = CharField(max_length=100)
    category_id = IntegerField()
    n = IntegerField()

    class Meta:
        table_name = "enrollment_count"
        primary_key = CompositeKey("contract_id", "status", "department", "category_id")


class OrganizationClientCount(BaseModel):
    """How many client records name the organization (its roster, as HR's dashboard shows it): kept, like
    EnrollmentCount, by the database's triggers on ``client`` (migration 0030). An organization without a row
    has none; a row that falls to 0 stays."""

    organization_id = IntegerField(primary_key=True)
    n = IntegerField()

    class Meta:
        table_name = "organization_client_count"


class RosterImport(BaseModel):
    """An uploaded roster: validated whole (inline or as a job), previewed, then committed or discarded.

    The file itself is never kept: the normalised valid rows wait in ``rows_json`` until HR decides.
    """

    contract = ForeignKeyField(GroupContract, backref="roster_imports", on_delete="CASCADE")
    uploaded_by = ForeignKeyField(User, null=True, backref="roster_imports", on_delete="SET NULL")
    filename = CharField(max_length=200, default="")
    # validating → ready → importing → imported | failed | discarded
    state = CharField(max_length=12, default="validating", index=True)
    total_rows = IntegerField(default=0)
    valid_rows = IntegerField(default=0)
    error_rows = IntegerField(default=0)
    processed_rows = IntegerField(default=0)  # progress of the running step
    errors_json = TextField(default="")
    rows_json = TextField(default="")
    message = CharField(max_length=500, default="")
    created_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class SummaryRelease(BaseModel):
    """One released version of a contract's group summary, numbered 1, 2, ... per contract.

    Frozen once written: ``figures_json`` holds the figures exactly as published (a hidden cell has no
    number), and every page and document of this version is made from it, never from live data.
    ``counted_json`` ({appointment id: report id} of the people counted in the findings) stays with the
    center: the next release compares against it so no difference isolates fewer than k people.
    """

    contract = ForeignKeyField(GroupContract, backref="releases", on_delete="CASCADE")
    number = IntegerField()
    reason = CharField(max_length=8)  # interim | final
    k = IntegerField()
    completed = IntegerField()  # checkups completed when released (participation)
    counted = IntegerField()  # people counted in the findings (completed, report signed)
    figures_json = TextField()
    counted_json = TextField(default="{}")
    released_by = ForeignKeyField(User, null=True, backref="summary_releases", on_delete="SET NULL")
    released_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("contract", "number"), True),)


SUMMARY, BILLING = "summary", "billing"


PENDING, RENDERING, READY, FAILED = "pending", "rendering", "ready", "failed"


class GroupDocument(BaseModel):
    """A generated group summary report or billing statement (PDF or XLSX) and its job state. A summary
    is always the rendering of one release (``release``) in one language (``locale``)."""

    contract = ForeignKeyField(GroupContract, backref="documents", on_delete="CASCADE")
    release = ForeignKeyField(SummaryRelease, null=True, backref="documents", on_delete="CASCADE")
    locale = CharField(max_length=10, default="")  # "" = the language of whoever asked for it
    kind = CharField(max_length=10)  # summary | billing
    fmt = CharField(max_length=4)  # pdf | xlsx
    state = CharField(max_length=10, default="pending")  # pending | rendering | ready | failed
    path = CharField(max_length=300, default="")
    checksum = CharField(max_length=64, default="")
    error = CharField(max_length=500, default="")
    requested_by = ForeignKeyField(User, null=True, backref="group_documents", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)
