"""The daily rollup of the appointment book: per day, source and package, how many appointments there were,
how many were completed (and for how much), how many were no-shows and how many were cancelled late.

One grouped query (``counted``) computes these from the appointments, in SQL on both databases; the same
query fills the rollup for past days and counts the days the rollup does not cover (today always), so a
stored day and a counted day can never disagree. ``rebuild`` is the set-based recomputation of a range of
days (what a bulk loader calls once it has written history); the periodic task ``management.refresh_rollup``
recomputes the recent days, whose figures still move (reports signed days later, no-shows marked).
"""

import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from peewee import SQL, Case, NodeList, PostgresqlDatabase, Value, fn

from checkup.core import clock, locks, tasks
from checkup.models import Appointment, DailyRollup, RollupDay, Slot
from checkup.models.appointments import CANCELLED, COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.services.care import reenrollment

LATE_CANCEL_HOURS = 24  # a cancellation this close to the slot's start is a late one
PERIOD_MONTHS = 12  # the management dashboard's window
RECENT_DAYS = 45  # how long after the day its figures may still change: recomputed on every refresh
COLUMNS = (
    "day",
    "source",
    "package_id",
    "appointments",
    "completed",
    "completed_amount",
    "no_shows",
    "late_cancels",
)
_MARK_BATCH = 400  # covered days written per INSERT (SQLite's limit on bound values)


def period(today):
    """The dashboard's window: (the same day PERIOD_MONTHS earlier, today), both included."""
    return reenrollment.months_before(today, PERIOD_MONTHS), today


def days_between(first, last):
    """Every day of [first, last] (none when last < first)."""
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def cancelled_late(day, start_time, cancelled_at, zone_name):
    """The rule: cancelled less than LATE_CANCEL_HOURS before the slot's local start (naive UTC ``cancelled_at``)."""
    if cancelled_at is None:
        return False
    starts = datetime.datetime.combine(day, start_time, tzinfo=ZoneInfo(zone_name))
    starts = starts.astimezone(datetime.UTC).replace(tzinfo=None)
    return starts - cancelled_at < datetime.timedelta(hours=LATE_CANCEL_HOURS)


def _sqlite_cancelled_late(day, start_time, cancelled_at, zone_name):
    """``cancelled_late`` on SQLite's text values (registered as an SQL function: SQLite has no time zones)."""
    if not (day and start_time and cancelled_at):
        return 0
    return int(
        cancelled_late(
            datetime.date.fromisoformat(day),
            datetime.time.fromisoformat(start_time),
            datetime.datetime.fromisoformat(cancelled_at),
            zone_name,
        )
    )


def _late_cancel():
    """SQL: 1 for an appointment cancelled late (see ``cancelled_late``), else 0. Needs Slot joined."""
    zone_name = current_app.config["TIMEZONE"]
    if isinstance(db.obj, PostgresqlDatabase):
        # the slot's local start as naive UTC, like the stored cancelled_at
        starts = NodeList(
            (
                SQL("(("),
                Appointment.day,
                SQL("+"),
                Slot.start_time,
                SQL(") AT TIME ZONE"),
                Value(zone_name),
                SQL(") AT TIME ZONE 'UTC'"),
            )
        )
        lead = NodeList((starts, SQL("-"), Appointment.cancelled_at))
        late = NodeList((lead, SQL(f"< INTERVAL '{int(LATE_CANCEL_HOURS)} hours'")))
    else:
        db.obj.register_function(_sqlite_cancelled_late, "checkup_cancelled_late", 4, deterministic=True)
        late = fn.checkup_cancelled_late(Appointment.day, Slot.start_time, Appointment.cancelled_at, zone_name) == 1
    return Case(None, [((Appointment.status == CANCELLED) & Appointment.cancelled_at.is_null(False) & late, 1)], 0)


def counted(days):
    """The rollup's rows computed from the appointments whose day matches ``days`` (a peewee condition on
    Appointment.day): one row per day, source and package (0: none), with the columns of COLUMNS."""
    completed = Appointment.status == COMPLETED
    package = fn.COALESCE(Appointment.package, 0)
    return (
        Appointment.select(
            Appointment.day,
            Appointment.source,
            package.alias("package_id"),
            fn.COUNT(Appointment.id).alias("appointments"),
            fn.SUM(Case(None, [(completed, 1)], 0)).alias("completed"),
            fn.SUM(Case(None, [(completed, Appointment.total_price)], 0)).alias("completed_amount"),
            fn.SUM(Case(None, [(Appointment.status == NO_SHOW, 1)], 0)).alias("no_shows"),
            fn.SUM(_late_cancel()).alias("late_cancels"),
        )
        # an appointment's day is its slot's (booking writes both): saying so lets the database find today's
        # few slots by their day instead of reading every slot
        .join(Slot, on=((Appointment.slot == Slot.id) & (Slot.day == Appointment.day)))
        .where(days)
        .group_by(Appointment.day, Appointment.source, package)
    )


def stored(first, last):
    """The stored rollup rows of [first, last], with the columns of COLUMNS (to combine with ``counted``)."""
    return DailyRollup.select(*(getattr(DailyRollup, name) for name in COLUMNS)).where(
        DailyRollup.day.between(first, last)
    )


def covered_days(first, last):
    """The days of [first, last] the rollup covers, as a set (a count first: usually all of them are)."""
    expected = (last - first).days + 1
    if expected <= 0:
        return set()
    in_range = RollupDay.select(RollupDay.day).where(RollupDay.day.between(first, last))
    if in_range.count() == expected:
        return {first + datetime.timedelta(days=n) for n in range(expected)}
    return {day for (day,) in in_range.tuples()}


def rebuild(first, last):
    """Recompute the rollup of the days [first, last] from the appointments and mark them covered.

    Set-based and idempotent: in one transaction, the range's rows are deleted and written again by one
    INSERT … SELECT (``counted``); the covered days in batches of _MARK_BATCH. Safe against a concurrent
    rebuild (a lock). This is the function to call after loading appointments in bulk, e.g. for the
    whole history up to yesterday. Returns the number of days recomputed."""
    days = days_between(first, last)
    if not days:
        return 0
    now = utcnow()
    marks = [(day, now) for day in days]
    with locks.exclusive("daily-rollup"), db.atomic():
        DailyRollup.delete().where(DailyRollup.day.between(first, last)).execute()
        RollupDay.delete().where(RollupDay.day.between(first, last)).execute()
        fields = [getattr(DailyRollup, name) for name in COLUMNS]
        DailyRollup.insert_from(counted(Appointment.day.between(first, last)), fields).execute()
        for start in range(0, len(marks), _MARK_BATCH):
            batch = marks[start : start + _MARK_BATCH]
            RollupDay.insert_many(batch, fields=[RollupDay.day, RollupDay.computed_at]).execute()
    return len(days)


@tasks.handler("management.refresh_rollup", lease_minutes=30)
def refresh(today=None):
    """Periodic task (hourly): recompute the last RECENT_DAYS days before today, reaching back to the
    earliest day of the dashboard's window not covered yet (so the first run fills the whole window).
    Today is never stored: the dashboard counts it live. Returns the number of days recomputed."""
    today = today or clock.today()
    start, _today = period(today)
    yesterday = today - datetime.timedelta(days=1)
    first = max(start, today - datetime.timedelta(days=RECENT_DAYS))
    missing = set(days_between(start, yesterday)) - covered_days(start, yesterday)
    if missing:
        first = min(first, min(missing))
    return rebuild(first, yesterday)
