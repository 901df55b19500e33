"""The center's clock: one configured time zone for cutoffs, reminders and "today"."""
import datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone():
    return ZoneInfo(current_app.config["TIMEZONE"])


def now():
    """Aware current time in the center's zone."""
    return datetime.datetime.now(zone())


def today():
    return now().date()


def local(day, time):
    """Aware datetime for a local calendar day and wall-clock time at the center."""
    return datetime.datetime.combine(day, time, tzinfo=zone())


def from_utc(moment):
    """A stored naive-UTC timestamp as an aware datetime in the center's zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(zone())
