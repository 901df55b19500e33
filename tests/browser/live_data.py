"""Arranging data for browser journeys inside the live server's app, and reading its outbox.

The live server runs in a thread of this process, so a test can open the same app's context and
call the services directly (peewee connections are per thread; the SQLite file is shared).
"""

import contextlib
import datetime
import email
import email.policy
import re
from pathlib import Path


@contextlib.contextmanager
def live_app(live_server):
    """An app context with a database connection of the live server's app."""
    from checkup.models.base import db

    with live_server["app"].app_context(), db.connection_context():
        yield live_server["app"]


def center_today(live_server):
    from checkup.core import clock

    with live_server["app"].app_context():
        return clock.today()


def weekday_on_or_after(day):
    """``day`` or the next Monday–Friday after it (the demo opens weekdays only)."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def new_client(name, sex="male", birth_date=datetime.date(1980, 6, 1), phone="13700137000"):
    """A client on file without a login (e.g. someone who booked by phone). Call inside live_app."""
    from checkup.models import Client

    return Client.create(name=name, sex=sex, birth_date=birth_date, phone=phone)


def whole_day_slot(day, capacity=5):
    """A slot of the test's own on ``day`` lasting the whole day (the desk can book and check in at any hour),
    starting at the first minute after midnight no other slot starts at: the demo's floor day and the other
    journeys of the run make theirs on the same day. Call inside live_app."""
    from checkup.models import Slot

    taken = {s.start_time for s in Slot.select(Slot.start_time).where(Slot.day == day)}
    start = next(datetime.time(0, minute) for minute in range(60) if datetime.time(0, minute) not in taken)
    return Slot.create(day=day, start_time=start, end_time=datetime.time(23, 59), capacity=capacity)


def day_slots(day):
    from checkup.models import Slot

    return list(Slot.select().where(Slot.day == day).order_by(Slot.start_time))


def outbox_messages(live_server, to=None):
    """The .eml files of the live server's outbox (oldest first), parsed; optionally only those to ``to``."""
    folder = Path(live_server["app"].config["OUTBOX_DIR"])
    messages = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to is None or message["To"] == to:
            messages.append(message)
    return messages


def plain_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def link_path(text, pattern):
    """The path of the first link in ``text`` whose path matches ``pattern`` (a regex)."""
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", text)
    assert match, f"no link matching {pattern!r} in:\n{text}"
    return match.group(1)
