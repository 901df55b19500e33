"""Reports in the client's language and calendar updates (issue 13, items 7 and 8).

- ``result.language``: the language a free-text result was written in ("" = read it from the script),
  so a report in the other language marks it instead of mixing languages.
- ``report.amendment_note``: what the client is told about an amendment (the internal reason,
  ``amendment_reason``, stays with the staff).
- ``appointment.ics_sequence``: the SEQUENCE of the appointment's calendar invitation, one more at
  each move or cancellation, so a calendar replaces the earlier event (same UID).
"""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("result", "language", CharField(max_length=5, default="")))
    migrator.migrate(migrator.add_column("report", "amendment_note", CharField(max_length=500, default="")))
    migrator.migrate(migrator.add_column("appointment", "ics_sequence", IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("appointment", "ics_sequence"))
    migrator.migrate(migrator.drop_column("report", "amendment_note"))
    migrator.migrate(migrator.drop_column("result", "language"))
