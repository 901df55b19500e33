"""Appointments, the items they perform, and the waitlist."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from checkup.models.accounts import User
from checkup.models.base import BaseModel, utcnow
from checkup.models.capacity import Slot
from checkup.models.catalog import ExamItem, Package, Resource
from checkup.models.directory import Client

BOOKED, CHECKED_IN, COMPLETED, CANCELLED, NO_SHOW = "booked", "checked_in", "completed", "cancelled", "no_show"
LIVE_STATUSES = (BOOKED, CHECKED_IN)
# a completed checkup used its place: counters count these (cancel and no-show give the place back)
PLACE_STATUSES = (BOOKED, CHECKED_IN, COMPLETED)


class Appointment(BaseModel):
    exam_code = CharField(max_length=16, unique=True)
    client = ForeignKeyField(Client, backref="appointments", on_delete="RESTRICT")
    slot = ForeignKeyField(Slot, backref="appointments", on_delete="RESTRICT")
    day = DateField()  # indexed first of (day, slot, status): migration 0031
    # equals ``day`` while the appointment is live, NULL otherwise: unique (client, live_day)
    # gives "one live appointment per client per day" on SQLite and PostgreSQL alike.
    live_day = DateField(null=True)
    package = ForeignKeyField(Package, null=True, backref="appointments", on_delete="RESTRICT")
    status = CharField(max_length=12, default=BOOKED, index=True)
    source = CharField(max_length=12, default="individual")
    total_price = DecimalField(max_digits=10, decimal_places=2)
    company_amount = DecimalField(max_digits=10, decimal_places=2, default=0)
    self_amount = DecimalField(max_digits=10, decimal_places=2)
    idempotency_key = CharField(max_length=64, null=True, unique=True)
    booked_by = ForeignKeyField(User, null=True, backref="appointments_booked", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)
    cancel_reason = CharField(max_length=300, default="")
    reminder_sent_at = DateTimeField(null=True)
    # SEQUENCE of the calendar invitation (UID from the exam code): one more at each move or cancellation
    ics_sequence = IntegerField(default=0)
    # the client's name, kept by the database's triggers (migration 0032) on every insert, change of client
    # and change of the client's name: never written here. The day sheet pages a slot by it (index below)
    client_name = CharField(max_length=100, null=True)

    class Meta:
        # (status, day, id): the review queue's checked-in appointments of its window, in order (migration 0023);
        # (day, slot, status): a day's appointments, and the day sheet's counts from the index alone (0031)
        indexes = ((("client", "live_day"), True), (("status", "day", "id"), False), (("day", "slot", "status"), False))

    @property
    def is_live(self):
        return self.status in LIVE_STATUSES


# a day's live appointments by slot and client name (migration 0032): a page of the day sheet is a range of it
Appointment.add_index(
    Appointment.index(
        Appointment.day,
        Appointment.slot,
        Appointment.client_name,
        Appointment.id,
        name="appointment_day_slot_id_client_name_id",
        where=SQL("status <> 'cancelled'"),
    )
)


class AppointmentItem(BaseModel):
    """The snapshot of an item to perform, with the price and payer at booking time."""

    appointment = ForeignKeyField(Appointment, backref="items", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="appointment_items", on_delete="RESTRICT")
    price = DecimalField(max_digits=10, decimal_places=2)
    payer = CharField(max_length=10, default="self")
    is_addon = BooleanField(default=False)
    # the limited resource the item consumed when booked (a later catalog change must not skew counters)
    resource = ForeignKeyField(Resource, null=True, backref="appointment_items", on_delete="RESTRICT")

    class Meta:
        indexes = ((("appointment", "item"), True),)


WAITING, OFFERED, CLAIMED, EXPIRED, LEFT = "waiting", "offered", "claimed", "expired", "left"


class WaitlistEntry(BaseModel):
    client = ForeignKeyField(Client, backref="waitlist_entries", on_delete="CASCADE")
    day = DateField(index=True)
    package = ForeignKeyField(Package, backref="waitlist_entries", on_delete="RESTRICT")
    addon_codes = TextField(default="")
    status = CharField(max_length=12, default="waiting", index=True)  # waiting/offered/claimed/expired/left
    slot = ForeignKeyField(Slot, null=True, backref="offers", on_delete="SET NULL")
    token_hash = CharField(max_length=64, null=True, unique=True)
    held_resources = CharField(max_length=200, default="")  # resource ids held with the slot, comma-separated
    offered_at = DateTimeField(null=True)
    offer_expires_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
