"""The daily rollup of the appointment book (models/rollups.py): one row per day, source and package with
the counts the management dashboard shows, and the days it covers. Left empty here: the periodic task
``management.refresh_rollup`` fills the dashboard's year on its first run, and until a day is covered
the dashboard counts that day from the appointments themselves.

Also an index on report (signed_at, id), for the review page's "recently signed" (newest first)."""

from peewee import *


def up(migrator, db):
    class DailyRollup(Model):
        day = DateField()
        source = CharField(max_length=12)
        package_id = IntegerField(default=0)
        appointments = IntegerField(default=0)
        completed = IntegerField(default=0)
        completed_amount = DecimalField(max_digits=14, decimal_places=2, default=0)
        no_shows = IntegerField(default=0)
        late_cancels = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "daily_rollup"
            indexes = ((("day", "source", "package_id"), True),)

    class RollupDay(Model):
        day = DateField(unique=True)
        computed_at = DateTimeField()

        class Meta:
            database = db
            table_name = "rollup_day"

    db.create_tables([DailyRollup, RollupDay])
    migrator.migrate(migrator.add_index("report", ("signed_at", "id"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("report", "report_signed_at_id"))
    db.execute_sql("DROP TABLE rollup_day")
    db.execute_sql("DROP TABLE daily_rollup")
