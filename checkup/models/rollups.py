"""Daily rollups of the appointment book: what the management dashboard reads for past days instead of the
appointments themselves (services/admin/daily_rollup.py computes them; a periodic task keeps them fresh)."""

from peewee import CharField, DateField, DateTimeField, DecimalField, IntegerField

from checkup.models.base import BaseModel, utcnow


class DailyRollup(BaseModel):
    """One day's appointments of one source and package, counted."""

    day = DateField()
    source = CharField(max_length=12)
    # 0 for "no package"; a plain number, not a key, so the rollup never holds a catalog change back
    package_id = IntegerField(default=0)
    appointments = IntegerField(default=0)  # every status
    completed = IntegerField(default=0)
    completed_amount = DecimalField(max_digits=14, decimal_places=2, default=0)  # their total price
    no_shows = IntegerField(default=0)
    late_cancels = IntegerField(default=0)  # cancelled less than LATE_CANCEL_HOURS before the slot began

    class Meta:
        indexes = ((("day", "source", "package_id"), True),)


class RollupDay(BaseModel):
    """A day whose rollup rows are computed; a day without appointments has none but is covered all the same."""

    day = DateField(unique=True)
    computed_at = DateTimeField(default=utcnow)
