"""The exam floor's station visits (models/station_visits.py): a client scanned in at a station, and when the
visit finished. A new table only; the queue boards and the guidance read it with the day's results."""

from peewee import *


def _stub(db, name):
    class Stub(Model):
        class Meta:
            database = db
            table_name = name

    return Stub


def up(migrator, db):
    User = _stub(db, "user")
    Appointment = _stub(db, "appointment")
    Department = _stub(db, "department")

    class StationVisit(Model):
        appointment = ForeignKeyField(Appointment, backref="+", on_delete="CASCADE")
        station = ForeignKeyField(Department, backref="+", on_delete="RESTRICT")
        day = DateField()
        started_at = DateTimeField()
        started_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        finished_at = DateTimeField(null=True)
        finished_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            database = db
            table_name = "station_visit"
            indexes = ((("appointment", "station"), True), (("day", "station"), False))

    db.create_tables([StationVisit])


def down(migrator, db):
    db.execute_sql("DROP TABLE station_visit")
