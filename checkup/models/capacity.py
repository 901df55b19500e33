"""Bookable capacity: time slots per day and limited-resource days.

Counters live beside their capacity and are only ever changed by conditional
UPDATEs (see services/booking.py); the CHECK constraints make overbooking
impossible even if a bug slipped past the service.
"""

from peewee import BooleanField, Check, DateField, ForeignKeyField, IntegerField, TimeField

from checkup.models.base import BaseModel
from checkup.models.catalog import Resource


class Slot(BaseModel):
    day = DateField(index=True)  # the center's local calendar day
    start_time = TimeField()  # the center's local wall-clock time (CHECKUP_TIMEZONE)
    end_time = TimeField()
    capacity = IntegerField()
    booked = IntegerField(default=0)
    held = IntegerField(default=0)  # places held for waitlist offers
    # places reserved for group contracts (models/groups.ContractReservation); the column carries its
    # own CHECKs because SQLite cannot add table constraints to an existing table
    reserved = IntegerField(
        default=0, constraints=[Check("reserved >= 0"), Check("booked + held + reserved <= capacity")]
    )
    closed = BooleanField(default=False)

    class Meta:
        indexes = ((("day", "start_time"), True),)
        constraints = [
            Check("capacity >= 0"),
            Check("booked >= 0"),
            Check("held >= 0"),
            Check("booked + held <= capacity"),
            Check("start_time < end_time"),
        ]

    @property
    def free(self):
        return max(0, self.capacity - self.booked - self.held - self.reserved)


class ResourceDay(BaseModel):
    resource = ForeignKeyField(Resource, backref="days", on_delete="RESTRICT")
    day = DateField(index=True)
    capacity = IntegerField()
    booked = IntegerField(default=0)
    held = IntegerField(default=0)

    class Meta:
        indexes = ((("resource", "day"), True),)
        constraints = [
            Check("capacity >= 0"),
            Check("booked >= 0"),
            Check("held >= 0"),
            Check("booked + held <= capacity"),
        ]

    @property
    def free(self):
        return max(0, self.capacity - self.booked - self.held)
