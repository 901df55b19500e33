"""The center's clock: one configured time zone for cutoffs, reminders and "today"."""

import datetime
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now() -> datetime.datetime:
    """Aware current time in the center's zone."""
    return datetime.datetime.now(zone())


def today() -> datetime.date:
    return now().date()


def local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """Aware datetime for a local calendar day and wall-clock time at the center."""
    return datetime.datetime.combine(day, time, tzinfo=zone())


@overload
def from_utc(moment: datetime.datetime) -> datetime.datetime: ...
@overload
def from_utc(moment: None) -> None: ...
@overload
def from_utc(moment: datetime.datetime | None) -> datetime.datetime | None: ...
def from_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A stored naive-UTC timestamp as an aware datetime in the center's zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=datetime.UTC).astimezone(zone())
