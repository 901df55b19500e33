"""The exam floor: a client's visit at a station (scanned in, finished), which the queue boards and the
guidance count from."""

from peewee import DateField, DateTimeField, ForeignKeyField

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import Department


class StationVisit(BaseModel):
    """A client at a station on their exam day: started when the station scans them in, finished when the
    station's items are all resulted (read from the results, see services/exam/station_queue.py) or the
    station says done, or when they are scanned in at another station (a client is in one room at a time).
    One per appointment and station: a rescan opens the same visit again."""

    appointment = ForeignKeyField(Appointment, backref="station_visits", on_delete="CASCADE")
    station = ForeignKeyField(Department, backref="station_visits", on_delete="RESTRICT")
    day = DateField()  # the appointment's day: the boards read one day's visits off (day, station)
    started_at = DateTimeField(default=utcnow)
    started_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    finished_at = DateTimeField(null=True)
    finished_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("appointment", "station"), True), (("day", "station"), False))
