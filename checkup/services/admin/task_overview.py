"""What the admin's "Background work" page shows and lets staff do about the task table.

The page answers three questions: how much work is owed, by kind and state; is anything stuck (a dead
task, or a due task nobody has run for a while); and which tasks failed, with their errors. Staff can
make a failed or dead task due now ("retry") or give it up with a reason ("discard"); both are audited.

Kinds are shown by the name stored on the row: a kind nobody handles any more (renamed, removed) is
listed like any other, so nothing owed can hide from this page.
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass, field
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from checkup.core import audit, tasks
from checkup.core.arguments import parse_page
from checkup.core.errors import NotFound, ValidationError
from checkup.core.pagination import Page, paginate, whole_count
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import User
from checkup.models.base import db, utcnow
from checkup.models.tasks import DEAD, DONE, FAILED, QUEUED, RUNNING, Task

PER_PAGE = 25
# A due task older than this means no worker or dispatcher is picking work up: the dashboard warns.
STALE_AFTER = datetime.timedelta(minutes=15)
# The states a row can be retried or discarded from, and the only ones the list shows.
LISTED_STATES = (FAILED, DEAD)
# Column order of the counts table: from owed, through running, to finished.
STATE_ORDER = (QUEUED, RUNNING, FAILED, DEAD, DONE)
STATE_LABELS = {QUEUED: _l("Queued"), RUNNING: _l("Running"), FAILED: _l("Failed"), DEAD: _l("Dead"), DONE: _l("Done")}
MAX_REASON = 500
ARGUMENTS_SHOWN = 300  # characters of a task's arguments shown in the list
NO_SUCH_TASK = _l("There is no failed or dead background task with this number.")
REASON_MISSING = _l("Say why this work is discarded.")


@dataclass(frozen=True)
class Attention:
    """Whether the background work needs a person: something dead, or due work waiting too long."""

    dead: int
    oldest_due_seconds: float | None

    @property
    def stale(self) -> bool:
        return self.oldest_due_seconds is not None and self.oldest_due_seconds > STALE_AFTER.total_seconds()

    @property
    def needed(self) -> bool:
        return self.dead > 0 or self.stale


@dataclass(frozen=True)
class KindCounts:
    kind: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Summary:
    """Counts by kind and state, the totals per state, and the age of the oldest due task."""

    kinds: list[KindCounts]
    totals: dict[str, int]
    attention: Attention

    @property
    def kind_names(self) -> list[str]:
        return [row.kind for row in self.kinds]


@dataclass(frozen=True)
class ListedTask:
    """One failed or dead task as the list shows it."""

    id: int
    kind: str
    state: str
    arguments: str
    attempts: int
    next_attempt_at: datetime.datetime | None  # only a failed task has a next attempt
    last_error: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    caused_by: str | None


@dataclass
class Overview:
    summary: Summary
    result: Page
    state: str = ""
    kind: str = ""
    # Set when a discard was refused: the task id, the reason typed and the messages for its field.
    errors: dict[int, list[str]] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    state_labels: ClassVar[dict] = STATE_LABELS
    max_reason: ClassVar[int] = MAX_REASON

    @property
    def filters(self) -> dict[str, str]:
        """The filters as URL arguments (empty ones left out), for pager links and redirects."""
        return {name: value for name, value in (("state", self.state), ("kind", self.kind)) if value}


def _count_in_state(state):
    return Task.select(fn.COUNT(SQL("*"))).where(Task.state == state)


def _oldest_due(now):
    """core.tasks.oldest_queued_age's select (the same due rule, the same index walk)."""
    return (
        Task.select(Task.next_attempt_at)
        .where(Task.state.in_((QUEUED, FAILED)), Task.next_attempt_at <= now)
        .order_by(Task.next_attempt_at)
        .limit(1)
    )


# read on every visit of the admin's home page: built once per process (a moment nothing equals stands for now)
_COUNT_IN_STATE = PreparedSelect(_count_in_state, "checkup_tasks_count_in_state")
_OLDEST_DUE = PreparedSelect(_oldest_due, "checkup_tasks_oldest_due", samples=(datetime.datetime(1901, 2, 6, 7, 8, 9),))


def attention(now: datetime.datetime | None = None) -> Attention:
    """The dashboard's check, in two queries: how many tasks are dead, how long the oldest due one waited
    (as core.tasks.oldest_queued_age answers it; both selects prepared)."""
    now = now or utcnow()
    dead = _COUNT_IN_STATE.plain(DEAD)[0][0]
    oldest = _OLDEST_DUE.plain(now)
    return Attention(dead, max(0.0, (now - oldest[0][0]).total_seconds()) if oldest else None)


def _summary_query():
    return Task.select(Task.kind, Task.state, fn.COUNT(Task.id)).group_by(Task.kind, Task.state).order_by(Task.kind)


def summary(now: datetime.datetime | None = None) -> Summary:
    """Counts of every kind in every state (one grouped query) and the oldest due task's age (one more)."""
    counts: dict[str, dict[str, int]] = {}
    totals = {state: 0 for state in STATE_ORDER}
    for kind, state, n in plain_tuples(_summary_query()):
        counts.setdefault(kind, {state: 0 for state in STATE_ORDER})[state] = n
        totals[state] = totals.get(state, 0) + n
    kinds = [KindCounts(kind, by_state) for kind, by_state in sorted(counts.items())]
    now = now or utcnow()
    oldest = _OLDEST_DUE.plain(now)
    age = max(0.0, (now - oldest[0][0]).total_seconds()) if oldest else None
    return Summary(kinds, totals, Attention(totals.get(DEAD, 0), age))


def _listed_query(state, kind, limit, offset):
    query = (
        Task.select(
            Task.id,
            Task.kind,
            Task.state,
            Task.args_json,
            Task.attempts,
            Task.next_attempt_at,
            Task.last_error,
            Task.created_at,
            Task.finished_at,
            Task.caused_by,
            User.name,
            User.email,
            whole_count(),
        )
        .join(User, JOIN.LEFT_OUTER, on=(Task.caused_by == User.id))
        .where(Task.state.in_((state,) if state else LISTED_STATES))
        .order_by(Task.created_at.desc(), Task.id.desc())
    )
    if kind is not None:
        query = query.where(Task.kind == kind)
    return query.limit(limit).offset(offset)


# the list's SQL is built once per process and filter shape (state: any, failed or dead; a kind or none):
# values nothing equals stand for the kind, the limit and the offset
_LISTED: dict[tuple[str, bool], PreparedSelect] = {
    (state, by_kind): PreparedSelect(
        functools.partial(_listed_query, state) if by_kind else functools.partial(_listed_query, state, None),
        f"checkup_tasks_listed_{state or 'any'}{'_of_kind' if by_kind else ''}",
        ("-no kind-", -2_000_000_401, -2_000_000_402) if by_kind else (-2_000_000_401, -2_000_000_402),
    )
    for state in ("", *LISTED_STATES)
    for by_kind in (False, True)
}


def _listed_page(state: str, kind: str, number: int) -> Page:
    """One page of failed and dead tasks, counted in the same query (as ``counted_page`` reads it, the
    select prepared)."""
    prepared = _LISTED[(state, bool(kind))]
    limits = (PER_PAGE, (number - 1) * PER_PAGE)
    rows = prepared.plain(kind, *limits) if kind else prepared.plain(*limits)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        return Page([row[:-1] for row in rows], number, max(1, -(-total // PER_PAGE)), total, PER_PAGE)
    # past the end: counted and clamped as counted_page does
    result = paginate(_listed_query(state, kind or None, None, None).tuples(), number, PER_PAGE)
    result.items = [row[:-1] for row in result.items]
    return result


def overview(page: object = 1, state: object = "", kind: object = "") -> Overview:
    """The whole page: the summary and one page of failed and dead tasks, newest first, filtered by
    ``state`` (failed or dead) and ``kind`` (one that has rows). Filters outside those lists are ignored,
    never passed to the database. Three queries whatever the page length."""
    shown = summary()
    state = state if isinstance(state, str) and state in LISTED_STATES else ""
    kind = kind if isinstance(kind, str) and kind in shown.kind_names else ""
    result = _listed_page(state, kind, max(1, parse_page(page) or 1))
    result.items = [_listed(*row) for row in result.items]
    return Overview(shown, result, state, kind)


def _listed(
    task_id: int,
    kind: str,
    state: str,
    args_json: str,
    attempts: int,
    next_attempt_at: datetime.datetime | None,
    last_error: str,
    created_at: datetime.datetime,
    finished_at: datetime.datetime | None,
    caused_by_id: int | None,
    user_name: str | None,
    user_email: str | None,
) -> ListedTask:
    return ListedTask(
        id=task_id,
        kind=kind,
        state=state,
        arguments=describe_arguments(args_json),
        attempts=attempts,
        next_attempt_at=next_attempt_at if state == FAILED else None,
        last_error=last_error,
        created_at=created_at,
        finished_at=finished_at,
        caused_by=(user_name or user_email) if caused_by_id is not None and user_email is not None else None,
    )


def describe_arguments(args_json: str) -> str:
    """A task's arguments as compact JSON text, cut to a readable length (stored text that is not JSON is
    shown as it is)."""
    try:
        text = json.dumps(json.loads(args_json), ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = str(args_json or "")
    return text if len(text) <= ARGUMENTS_SHOWN else text[: ARGUMENTS_SHOWN - 1] + "…"


def listed_task(task_id: int) -> Task:
    """The failed or dead task ``task_id``. Raises NotFound for a missing task and for one in any other
    state alike (the conditional UPDATE in core.tasks settles a race with a worker or another admin)."""
    task = Task.get_or_none(Task.id == task_id, Task.state.in_(LISTED_STATES))
    if task is None:
        raise NotFound(NO_SUCH_TASK)
    return task


def retry(actor: audit.Actor, task_id: int) -> Task:
    """Make failed or dead task ``task_id`` due now (a worker is woken once this commits) and audit it as
    ``task.retry``. Raises NotFound when there is no such task, or it is not failed or dead (any more)."""
    with db.atomic():
        task = listed_task(task_id)
        if not tasks.retry_now(task.id):
            raise NotFound(NO_SUCH_TASK)
        audit.record(actor, "task.retry", task, kind=task.kind, state=task.state, attempts=task.attempts)
    return task


def discard(actor: audit.Actor, task_id: int, reason: str) -> Task:
    """Give up failed or dead task ``task_id``: it is dead and will not be tried again; ``reason`` is kept
    as its last error and in the ``task.discard`` audit event. Raises NotFound as ``retry`` does, and
    ValidationError (field ``reason``) for a missing or overlong reason; either way nothing changes."""
    reason = (reason or "").strip()
    with db.atomic():
        task = listed_task(task_id)
        if not reason:
            raise ValidationError(REASON_MISSING, {"reason": REASON_MISSING})
        if len(reason) > MAX_REASON:
            too_long = _l("Use at most %(max)d characters.", max=MAX_REASON)
            raise ValidationError(too_long, {"reason": too_long})
        if not tasks.discard(task.id, reason):
            raise NotFound(NO_SUCH_TASK)
        audit.record(
            actor, "task.discard", task, kind=task.kind, state=task.state, attempts=task.attempts, reason=reason
        )
    return task
