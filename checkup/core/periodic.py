"""The periodic work and the one scheduler that owes it.

Each entry is a task kind and its interval. ``owe_due`` writes one task per kind per interval, keyed
``periodic:<kind>:<interval number>``, so however many schedulers run (or restart), a periodic run is
owed once per interval. ``flask cron`` holds a lock so that only one scheduler is active at a time; a
second one waits for the lock and takes over when the first stops.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

from checkup.core import tasks
from checkup.models.base import db, utcnow

log = logging.getLogger(__name__)

MINUTE, HOUR, DAY = 60, 60 * 60, 24 * 60 * 60
SCHEDULE: tuple[tuple[str, int], ...] = (
    ("booking.send_due_reminders", 15 * MINUTE),
    ("waitlist.expire_offers", MINUTE),
    ("campaign.requeue_stalled", 5 * MINUTE),
    ("mail.retry_failed", 5 * MINUTE),
    ("contract.release_reservations", HOUR),
    ("reenrollment.send_invitations", DAY),
    ("renewal.create_due_tasks", DAY),
    ("invitation.send_reminders", DAY),
    ("tasks.purge_done", DAY),
    ("data_export.purge_expired", HOUR),
    ("hr_export.purge_expired", HOUR),
    ("money.post_missing_charges", HOUR),  # appointments booked by a path that owed no charge lines yet
    ("retention.run", DAY),
    ("management.refresh_rollup", HOUR),
)
TICK_SECONDS = 15


def owe_due(now: datetime.datetime | None = None, only: str | None = None, fresh: bool = False) -> list[int]:
    """Owe every periodic kind whose current interval has no task yet (``fresh``: one more run of each
    now, whatever the interval). Returns the task ids written or found."""
    now = now or utcnow()
    epoch = int(now.replace(tzinfo=datetime.UTC).timestamp())
    ids = []
    for kind, seconds in SCHEDULE:
        if only and kind != only:
            continue
        key = None if fresh else f"periodic:{kind}:{epoch // seconds}"
        ids.append(tasks.defer(kind, dedupe_key=key))
    return ids


def run_scheduler(stop: Callable[[], bool] = lambda: False, tick: float = TICK_SECONDS) -> None:
    """The body of ``flask cron`` once it holds the lock: every tick, owe the periodic tasks that are due
    and wake the dispatcher for rows whose retry time has come. Database or Redis errors are logged and
    the loop goes on (they are what the next tick heals)."""
    while not stop():
        try:
            with db.connection_context():
                owe_due()
                tasks.wake_dispatcher()
        except Exception:  # keep scheduling through outages; each tick is idempotent
            log.exception("periodic tick failed; trying again in %s s", tick)
        time.sleep(tick)
