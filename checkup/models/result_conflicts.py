"""An instrument value that differs from a result already entered: kept aside for the station doctor."""

from peewee import CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField

from checkup.models.accounts import User
from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel, utcnow
from checkup.models.catalog import Department, ExamItem
from checkup.models.results import Result

KEEP_ENTERED, TAKE_INSTRUMENT = "keep", "take"
CHOICES = (KEEP_ENTERED, TAKE_INSTRUMENT)


class ResultConflict(BaseModel):
    """The entered value stays until the station doctor chooses: keep it, or take the instrument's.

    ``department`` and ``day`` copy the item's station and the appointment's day, so a station's list
    for a day reads one index. ``open_result`` equals ``result`` while the conflict is open and is NULL
    once resolved: unique, it allows one open conflict per result on SQLite and PostgreSQL alike.
    """

    result = ForeignKeyField(Result, backref="conflicts", on_delete="CASCADE")
    open_result = IntegerField(null=True, unique=True)
    appointment = ForeignKeyField(Appointment, backref="result_conflicts", on_delete="CASCADE")
    item = ForeignKeyField(ExamItem, backref="result_conflicts", on_delete="RESTRICT")
    department = ForeignKeyField(Department, backref="result_conflicts", on_delete="RESTRICT")
    day = DateField()
    entered_value = CharField(max_length=500, default="")  # as entered: the value, or "" when skipped
    entered_skipped = CharField(max_length=200, default="")  # the skip reason when the item was skipped
    entered_source = CharField(max_length=12, default="")
    instrument_value = CharField(max_length=40)
    instrument_num = DecimalField(max_digits=14, decimal_places=4)
    source = CharField(max_length=12, default="instrument")  # instrument (CSV) | a later API's name
    source_ref = CharField(max_length=200, default="")  # the file name, or the message id of an API
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    resolved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    resolved_at = DateTimeField(null=True)
    choice = CharField(max_length=4, default="")  # "" while open | keep | take

    class Meta:
        table_name = "result_conflict"
        # a station's conflicts of a day, open ones first, oldest first
        indexes = ((("department", "day", "choice", "id"), False),)

    @property
    def is_open(self):
        return self.resolved_at is None
