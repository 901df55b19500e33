"""Organizations (corporate customers) and client records."""

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from checkup.models.base import BaseModel, utcnow

SIZE_TIERS = ("large", "medium", "small")
VALUE_TIERS = ("vip", "important", "general")
SEXES = ("male", "female")
# PostgreSQL only (migration 0014): trigram GIN indexes for ILIKE '%term%' that the models cannot declare
# (SQLite has no GIN); tests/core/test_migrations.py expects exactly these beyond the models' own.
TRIGRAM_INDEXES = (
    "client_name_trgm",
    "client_phone_trgm",
    "client_email_trgm",
    "client_employee_no_trgm",
    "organization_name_trgm",
)


class Organization(BaseModel):
    name = CharField(max_length=200, unique=True)
    address = CharField(max_length=300, default="")
    phone = CharField(max_length=30, default="")
    fax = CharField(max_length=30, default="")
    website = CharField(max_length=200, default="")
    email = CharField(max_length=254, default="")
    manager = CharField(max_length=100, default="")
    business_scope = TextField(default="")
    employee_count = IntegerField(null=True)
    health_contact = CharField(max_length=100, default="")
    relationship_notes = TextField(default="")
    size_tier = CharField(max_length=10, default="medium")
    value_tier = CharField(max_length=10, default="general")
    account_manager = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)


class Client(BaseModel):
    name = CharField(max_length=100)  # indexed with the id (Meta): a page sorted by name reads the index
    sex = CharField(max_length=6)
    birth_date = DateField()
    # National ID: keyed hash for lookup, ciphertext for display; never plain text.
    national_id_hash = CharField(max_length=64, null=True, unique=True)
    national_id_cipher = TextField(null=True)
    phone = CharField(max_length=30, default="", index=True)
    email = CharField(max_length=254, default="", index=True)
    address = CharField(max_length=300, default="")
    occupation = CharField(max_length=100, default="")
    notes = TextField(default="")
    organization = ForeignKeyField(Organization, null=True, backref="clients", on_delete="RESTRICT")
    employee_no = CharField(max_length=50, default="")
    department = CharField(max_length=100, default="")
    value_tier = CharField(max_length=10, default="general")
    tags = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow)
    # set when the client's data was deleted at their request or for inactivity: the identifiers are
    # blanked, the record stays for the reports the law makes us keep
    anonymized_at = DateTimeField(null=True)
    # set on a record a roster import made from what HR typed: the enrollment's own person, never joined to
    # the center's record of them without their proof (services/enrollment_identity); cleared once the
    # front desk has confirmed the ID number at check-in
    roster_unverified_since = DateTimeField(null=True)
    # the roster's national ID (keyed hash) on such a record: kept out of the unique national_id_hash, so a
    # roster neither finds nor collides with anyone else's record
    roster_id_hash = CharField(max_length=64, null=True, index=True)

    class Meta:
        indexes = ((("name", "id"), False),)

    @property
    def tag_list(self):
        return [t for t in (s.strip() for s in self.tags.split(",")) if t]
