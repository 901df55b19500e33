"""A partial index on the surveys with a low score (checkup.models.care.survey_low_condition): the counselors'
"recent low scores" reads the few low ones newest first instead of walking a year of answered surveys
(~23k on a big center, 9 ms a view, for one low score)."""

from peewee import *

LOW = " OR ".join(
    f"{name} <= 2" for name in ("overall", "booking", "front_desk", "stations", "report_clarity", "staff_attitude")
)


def up(migrator, db):
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS survey_low_score_answered ON survey (answered_at, id) WHERE {LOW}")


def down(migrator, db):
    db.execute_sql("DROP INDEX IF EXISTS survey_low_score_answered")
