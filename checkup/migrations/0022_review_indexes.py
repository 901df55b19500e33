"""An index on appointment (status, day, id) for the chief physicians' review queue
(services/exam/report_review.py ``_ready_ids``): the checked-in appointments of the queue's window are read off
the index in queue order (day, id), whatever the number of other appointments — completed ones of past years,
booked ones ahead — instead of every checked-in appointment ever being probed."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index("appointment", ("status", "day", "id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("appointment", "appointment_status_day_id"))
